package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/fanout-dev/fanout/internal/cli"
	"github.com/fanout-dev/fanout/internal/execjob"
	"github.com/spf13/cobra"
)

// execRecord is one job of `fanout exec`.
type execRecord struct {
	Input      string     `json:"input"`
	Line       int        `json:"line"`
	ExitCode   int        `json:"exit_code"`
	Signal     string     `json:"signal,omitempty"`
	DurationMS cli.Millis `json:"duration_ms"`
	Attempts   int        `json:"attempts,omitempty"`
	Stdout     string     `json:"stdout"`
	Stderr     string     `json:"stderr"`
	// StdoutCut and StderrCut count the bytes dropped past --max-output.
	StdoutCut int64     `json:"stdout_cut,omitempty"`
	StderrCut int64     `json:"stderr_cut,omitempty"`
	TimedOut  bool      `json:"timed_out,omitempty"`
	Error     string    `json:"error,omitempty"`
	start     time.Time // for the job log
}

func (r execRecord) ok() bool { return r.ExitCode == 0 && r.Error == "" }

func (r execRecord) TextLine() string { return r.Input } // unused: exec writes text itself

// joblogLine is one line of --joblog.
type joblogLine struct {
	Input      string     `json:"input"`
	Line       int        `json:"line"`
	ExitCode   int        `json:"exit_code"`
	Signal     string     `json:"signal,omitempty"`
	DurationMS cli.Millis `json:"duration_ms"`
	Attempts   int        `json:"attempts"`
	Start      string     `json:"start"`
	Error      string     `json:"error,omitempty"`
}

func newExec(e *env) *cobra.Command {
	var iof ioFlags
	var workers, jobs, retries int
	var inputs []string
	var shell, tag, halt bool
	var timeout, grace time.Duration
	var joblog, maxOutput string
	c := &cobra.Command{
		Use:   "exec [flags] [--] COMMAND [ARGS...]",
		Short: "Run a command once per input line",
		Long: `Run COMMAND once per input, many at once: inputs are the lines of stdin,
of -i FILE, or the --arg values.

"{}" in any argument (also inside one: --name={}) is replaced by the input,
"{#}" by its line number; without "{}" the input is added as the last
argument. No shell is involved: an input is always exactly one argument,
whatever it contains (spaces, quotes, ';', '$(...)', a leading '-').
With --shell the words are joined and run by "sh -c"; the input is still
never pasted into the script: it is the positional parameter $1 ("{#}" is
$2), and each "{}" becomes a reference to it, quoted for where it stands.

Each job's output is printed whole when it ends (never interleaved with
another's): its stdout to stdout, its stderr to stderr; as jobs finish, or in
input order with --ordered; --tag prefixes each line with the input and a tab.
--json prints one record per job instead (input, line, exit_code, signal,
duration_ms, attempts, stdout, stderr, and stdout_cut/stderr_cut: bytes dropped
past --max-output). Jobs write their output into temporary files in $TMPDIR,
not pipes, so none blocks on a full pipe. A job's stdin is /dev/null.

--timeout kills the job's whole process group (what it started too): SIGTERM,
then SIGKILL after --kill-grace; so does Ctrl-C. A COMMAND not in PATH is a
usage error before anything runs.

Exit status: 0 when every job exited 0, 1 when any did not (the summary says
how many), 2 for usage errors, 130 when interrupted.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if c.Flags().Changed("jobs") {
				workers = jobs
			}
			switch {
			case workers < 1:
				return usagef("--workers must be at least 1")
			case retries < 0:
				return usagef("--retries cannot be negative")
			}
			limit, err := sizeFlag("max-output", maxOutput)
			if err != nil {
				return err
			}
			tmpl, err := execjob.New(args, shell)
			if err != nil {
				// Every job would fail the same way: say it once, up front.
				return usageError{err}
			}
			defer tmpl.Close()
			format, err := iof.format()
			if err != nil {
				return err
			}
			var log *jobLog
			if joblog != "" {
				if log, err = openJobLog(joblog); err != nil {
					return usageError{err}
				}
				defer log.close()
			}
			// A second Ctrl-C kills every job's group at once.
			force, stopForce := forceContext(e.force)
			defer stopForce()
			opts := execjob.Options{Timeout: timeout, Grace: grace, Retries: retries, MaxOutput: limit, Force: force}
			w := &execWriter{tag: tag, quiet: iof.quiet, format: format, log: log}
			// --arg values are the inputs runSpec takes from arguments.
			return runSpec(c.Context(), e, &iof, inputs, spec[execRecord]{
				workers: workers,
				newJob: func(int) (job[execRecord], func()) {
					j := execJob(tmpl, opts)
					j.halt = halt
					return j, func() {}
				},
				outcome: func(r execRecord) string {
					if r.ok() {
						return "succeeded"
					}
					return "failed"
				},
				outcomes: []string{"succeeded", "failed"},
				what:     "running",
				verb:     "jobs",
				write:    w.write,
				journal:  func(r execRecord) any { return r.logLine() },
			})
		},
	}
	iof.add(c)
	f := c.Flags()
	// Flags after COMMAND belong to it: `fanout exec grep -c x` needs no "--".
	f.SetInterspersed(false)
	f.IntVarP(&workers, "workers", "w", runtime.NumCPU(), "jobs running at once")
	f.IntVarP(&jobs, "jobs", "j", 0, "same as --workers (GNU parallel's -j)")
	f.StringArrayVar(&inputs, "arg", nil, "an input (repeatable), instead of stdin or -i")
	f.BoolVar(&shell, "shell", false, `run the command with "sh -c"; the input is "$1", never script text`)
	f.BoolVar(&tag, "tag", false, "prefix each output line with the input and a tab")
	durationVar(f, &timeout, "timeout", "", 0, "kill a job's process group after this long: 10, 0.5, 1m (0: no limit)")
	durationVar(f, &grace, "kill-grace", "", execjob.DefaultGrace, "time between SIGTERM and SIGKILL when killing a job")
	f.IntVar(&retries, "retries", 0, "rerun a failed job (exit status not 0, killed or timed out) up to N times")
	f.BoolVar(&halt, "halt", false, "stop at the first failed job: start no more, kill those running")
	f.StringVar(&joblog, "joblog", "", "append one JSON line per finished job to FILE")
	f.StringVar(&maxOutput, "max-output", "16MiB", "most output kept per job and stream; the rest is dropped and counted (0: no limit)")
	return c
}

// execJob runs one input with tmpl.
func execJob(tmpl *execjob.Template, o execjob.Options) job[execRecord] {
	return job[execRecord]{
		do: func(ctx context.Context, l cli.Line) execRecord {
			r := tmpl.Run(ctx, l.Text, l.N, o)
			rec := execRecord{Input: l.Text, Line: l.N, ExitCode: r.ExitCode, Signal: r.Signal,
				DurationMS: cli.MS(r.Duration), Attempts: r.Attempts,
				Stdout: string(r.Stdout), Stderr: string(r.Stderr), StdoutCut: r.StdoutCut, StderrCut: r.StderrCut,
				TimedOut: r.TimedOut, start: r.Start}
			if r.Err != nil {
				rec.Error = r.Err.Error()
			}
			return rec
		},
		invalid: func(l cli.Line) execRecord {
			return execRecord{Input: l.Text, Line: l.N, ExitCode: -1, Error: l.Err.Error(), start: time.Now()}
		},
		passed: execRecord.ok,
	}
}

// execWriter prints finished jobs. It is called from one goroutine (the
// run loop), one record at a time, so a job's output is never split.
type execWriter struct {
	tag    bool
	quiet  bool
	format cli.Format
	log    *jobLog
	buf    bytes.Buffer
}

func (w *execWriter) write(out *cli.Writer, stderr io.Writer, r execRecord) {
	w.log.add(r)
	if w.format != cli.Text {
		out.Write(r)
		return
	}
	// One write per stream per job: whole, even if other programs share
	// our stdout.
	if text := w.tagged(r.Input, r.Stdout); text != "" {
		out.WriteText(text)
	}
	if text := w.tagged(r.Input, r.Stderr); text != "" {
		io.WriteString(stderr, text)
	}
	var notes []string
	if r.StdoutCut > 0 {
		notes = append(notes, fmt.Sprintf("stdout cut: %d bytes past --max-output dropped", r.StdoutCut))
	}
	if r.StderrCut > 0 {
		notes = append(notes, fmt.Sprintf("stderr cut: %d bytes past --max-output dropped", r.StderrCut))
	}
	if r.Error != "" {
		notes = append(notes, r.Error)
	} else if r.Signal != "" {
		notes = append(notes, "killed by "+r.Signal)
	} else if r.ExitCode != 0 && !w.quiet {
		// Which jobs failed, where the summary only counts them (as rush
		// does; GNU parallel says nothing).
		notes = append(notes, "exit status "+strconv.Itoa(r.ExitCode))
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "fanout: exec %s: %s\n", r.Input, n)
	}
}

// tagged is text, each line prefixed with "input\t" when tagging, with
// a final newline added if the job left its last line open.
func (w *execWriter) tagged(input, text string) string {
	if text == "" || !w.tag {
		return text
	}
	w.buf.Reset()
	for text != "" {
		line := text
		if i := bytes.IndexByte([]byte(text), '\n'); i >= 0 {
			line, text = text[:i+1], text[i+1:]
		} else {
			text = ""
		}
		w.buf.WriteString(input)
		w.buf.WriteByte('\t')
		w.buf.WriteString(line)
	}
	if b := w.buf.Bytes(); b[len(b)-1] != '\n' {
		w.buf.WriteByte('\n')
	}
	return w.buf.String()
}

// jobLog is --joblog: JSON lines appended to a file, one write(2) per
// finished job, unbuffered, so a crash or a concurrent reader never sees a
// torn line, and lines from another run appending to the same file (O_APPEND)
// never mix with ours.
type jobLog struct {
	mu sync.Mutex
	f  *os.File
}

func openJobLog(path string) (*jobLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("--joblog: %w", err)
	}
	return &jobLog{f: f}, nil
}

// logLine is the record without the job's output: for --joblog, and
// what --resume keeps.
func (r execRecord) logLine() joblogLine {
	return joblogLine{Input: r.Input, Line: r.Line, ExitCode: r.ExitCode, Signal: r.Signal,
		DurationMS: r.DurationMS, Attempts: r.Attempts, Start: r.start.UTC().Format(time.RFC3339Nano), Error: r.Error}
}

func (l *jobLog) add(r execRecord) {
	if l == nil {
		return
	}
	b, err := json.Marshal(r.logLine())
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.f.Write(append(b, '\n'))
}

func (l *jobLog) close() error {
	if l == nil {
		return nil
	}
	return errors.Join(l.f.Sync(), l.f.Close())
}

// forceContext is a context that ends when force is closed.
func forceContext(force <-chan struct{}) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	if force == nil {
		return ctx, cancel
	}
	go func() {
		select {
		case <-force:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
