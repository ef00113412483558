package command

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/execjob"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
	"github.com/spf13/cobra"
)

// execRecord is one job of `fanout exec`.
type execRecord struct {
	Input      string       `json:"input"`
	Line       int          `json:"line"`
	ExitCode   int          `json:"exit_code"`
	Signal     string       `json:"signal,omitempty"`
	DurationMS runio.Millis `json:"duration_ms"`
	Attempts   int          `json:"attempts,omitempty"`
	Stdout     string       `json:"stdout"`
	Stderr     string       `json:"stderr"`
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
	Input      string       `json:"input"`
	Line       int          `json:"line"`
	ExitCode   int          `json:"exit_code"`
	Signal     string       `json:"signal,omitempty"`
	DurationMS runio.Millis `json:"duration_ms"`
	Attempts   int          `json:"attempts"`
	Start      string       `json:"start"`
	Error      string       `json:"error,omitempty"`
}

// maxAutoJobs caps -j 0 (as many jobs at once as there are inputs): GNU
// parallel's -j 0 stops near 250 too, on file handles ("Only enough file
// handles to run 252 jobs in parallel").
const maxAutoJobs = 256

// execOptions is everything `fanout exec` needs: its flags, parsed.
type execOptions struct {
	run                            runFlags
	retries, maxArgs               int
	inputs                         []string // --arg
	shell, tag, halt, dryRun, null bool
	timeout, grace                 time.Duration
	joblog, maxOutput, repl        string
	replSet                        bool // -I given, even empty
	// Parsed by validate.
	words   []string     // the command
	sources []execSource // the ::: and :::: lists after it
	limit   int64        // --max-output
}

func newExec(e *env) *cobra.Command {
	var o execOptions
	c := &cobra.Command{
		Use:   "exec [flags] [--] COMMAND [ARGS...] [::: INPUTS... | :::: FILE...]...",
		Short: "Run a command once per input line",
		Long: `Run COMMAND once per input, many at once, as GNU parallel and xargs -P do.
Inputs are the lines of stdin, of -i FILE, the --arg values, or the lists
given after the command: "::: a b c" (arguments) and ":::: FILE" (its lines;
"-" is stdin). Several lists combine as in GNU parallel: every combination,
the last list varying fastest ("::: a b ::: 1 2" runs a 1, a 2, b 1, b 2),
with {1} {2} for the value from each list.

Inputs are bytes, taken as they are, as xargs and GNU parallel take them:
only the newline that ends a line is dropped (not spaces, not a CR; a blank
line is an empty input, a line starting with '#' an input too). -0 ends
inputs with NUL instead (find -print0 | fanout exec -0 ...). fanout itself
shows an input that is not printable UTF-8 quoted and escaped ("caf\xe9",
"a\r"), in messages, --json, --csv and the timeline. A NUL byte cannot be
in an argument: such a job fails and says so.

Placeholders, with GNU parallel's meanings, in any argument (also inside
one: --name={}):
  {}    the input            {.}   without its extension (a/b.jpg: a/b)
  {/}   its basename (b.jpg) {//}  its directory (a)
  {/.}  basename without extension (b)
  {#}   the job's number (for lines: the line's number)
  {%}   the job slot, 1..-j: no two running jobs share one
  {1} {2}...  the job's first, second... input (also {1.} {2/} and so on)
When the command holds no placeholder at all, the input is added as the
last argument ({#} or {%} alone add nothing, as in GNU parallel; with
--shell nothing is ever added: the input is $1). -I R, as xargs -I: R is
the one placeholder, standing for the input, and nothing is added.
Each is replaced once: what an input brings in is never expanded again.
No shell is involved: an input is always exactly one argument, whatever it
contains (spaces, quotes, ';', '$(...)', a leading '-'). With --shell the
words are joined and run by "sh -c"; the inputs are still never pasted into
the script: the input is the positional parameter $1 ("{#}" is $2), and
each placeholder becomes a reference to its own parameter, quoted for where
it stands.

-n N runs each command on up to N inputs at once: without "{}" they are
appended (xargs -n N); an argument holding "{}" is repeated once per input,
GNU parallel's -X ("pre-{}-post" gives pre-a-post pre-b-post; parallel's -m,
and its bare -n here, would give pre-a b-post). {1}..{N} are the inputs by
position. A job's record names its inputs shell-quoted ("a 'b c'").

An input may be up to 128 KiB (131071 bytes, Linux's limit for one
argument); a longer one, or a command line over the system's ARG_MAX, fails
that input with an error naming the limit: nothing is ever cut to fit.

Each job's output is printed whole when it ends (never interleaved with
another's): its stdout to stdout, its stderr to stderr; as jobs finish, or in
input order with -k (--keep-order, --ordered); --tag prefixes each line with
the input and a tab. --json prints one record per job instead (input, line,
exit_code, signal, duration_ms, attempts, stdout, stderr, and
stdout_cut/stderr_cut: bytes dropped past --max-output). Jobs write their
output into temporary files in $TMPDIR, not pipes, so none blocks on a full
pipe. A job's stdin is /dev/null. --dry-run prints each command, quoted for
sh, in input order, and runs nothing.

--timeout kills the job's whole process group (what it started too): SIGTERM,
then SIGKILL after --kill-grace; so does Ctrl-C, and a second Ctrl-C kills
with SIGKILL at once. A COMMAND not in PATH is a usage error before anything
runs.

Exit status: 0 when every job exited 0, 1 when any did not (the summary says
how many), 2 for usage errors, 130 when interrupted.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.replSet = c.Flags().Changed("replace")
			return runExec(c.Context(), e, &o, args)
		},
	}
	o.add(c)
	return c
}

// add declares exec's flags.
func (o *execOptions) add(c *cobra.Command) {
	o.run.add(c, workersFlag{def: runtime.NumCPU(), usage: "jobs running at once"}, runAll)
	f := c.Flags()
	// Flags after COMMAND belong to it: `fanout exec grep -c x` needs no "--".
	f.SetInterspersed(false)
	// -j and -P are --workers under the peers' names, and take 0 too.
	for _, p := range []struct{ name, short, usage string }{
		{"jobs", "j", "same as --workers (GNU parallel's -j); 0: as many as there are inputs, at most 256"},
		{"max-procs", "P", "same as -j (xargs's -P)"},
	} {
		f.VarPF(workersValue{n: &o.run.workers}, p.name, p.short, p.usage).DefValue = "" // --workers' default, said once
	}
	f.StringVarP(&o.repl, "replace", "I", "", "R in the command stands for the input, as xargs -I R does (one input per command; nothing appended)")
	f.IntVarP(&o.maxArgs, "max-args", "n", 1, "up to N inputs per command: appended, or each in its own copy of a {} argument (parallel -X)")
	f.BoolVarP(&o.run.ordered, "keep-order", "k", false, "same as --ordered (GNU parallel's -k)")
	f.BoolVar(&o.dryRun, "dry-run", false, "print each command, quoted for sh, in input order; run nothing, log nothing")
	f.StringArrayVar(&o.inputs, "arg", nil, "an input (repeatable), instead of stdin or -i")
	f.BoolVarP(&o.null, "null", "0", false, "inputs end with a NUL byte, not a newline (find -print0 | fanout exec -0, as xargs -0)")
	f.BoolVar(&o.shell, "shell", false, `run the command with "sh -c"; the input is "$1", never script text`)
	f.BoolVar(&o.tag, "tag", false, "prefix each output line with the input and a tab")
	durationVar(f, &o.timeout, "timeout", "", 0, "kill a job's process group after this long: 10, 0.5, 1m (0: no limit)")
	durationVar(f, &o.grace, "kill-grace", "", execjob.DefaultGrace, "time between SIGTERM and SIGKILL when killing a job")
	f.IntVar(&o.retries, "retries", 0, "rerun a failed job (exit status not 0, killed or timed out) up to N times")
	f.BoolVar(&o.halt, "halt", false, "stop at the first failed job: start no more, kill those running")
	f.StringVar(&o.joblog, "joblog", "", "append one JSON line per finished job to FILE")
	f.StringVar(&o.maxOutput, "max-output", "16MiB", "most output kept per job and stream; the rest is dropped and counted (0: no limit)")
}

// validate splits args into the command and its input lists and refuses
// what exec cannot do, before anything runs.
func (o *execOptions) validate(args []string) error {
	var err error
	if o.words, o.sources, err = splitSources(args); err != nil {
		return err
	}
	switch {
	case o.retries < 0:
		return usagef("--retries cannot be negative")
	case o.maxArgs < 1:
		return usagef("-n must be at least 1")
	case o.repl != "" && (o.maxArgs > 1 || len(o.sources) > 1):
		return usagef("-I takes one input per command (as xargs -I): not with -n or several input lists")
	case o.replSet && o.repl == "":
		return usagef("-I needs a replacement string: -I {} or -I %%")
	case o.maxArgs > 1 && len(o.sources) > 1:
		return usagef("-n takes one list of inputs, not %d", len(o.sources))
	case len(o.sources) > 0 && (len(o.inputs) > 0 || o.run.input != ""):
		return usagef("give inputs with ::: or ::::, or with --arg or -i, not both")
	case o.dryRun && o.run.resume != "":
		return usagef("--dry-run runs nothing: --resume would record the jobs as done")
	case o.dryRun && (o.run.json || o.run.csv):
		return usagef("--dry-run prints commands as text, not --json or --csv")
	}
	o.limit, err = sizeFlag("max-output", o.maxOutput)
	return err
}

// template is the command to run per job.
func (o *execOptions) template() (*execjob.Template, error) {
	if o.repl != "" {
		return execjob.NewReplacing(o.words, o.shell, o.repl)
	}
	return execjob.New(o.words, o.shell, max(o.maxArgs, len(o.sources)))
}

// runExec runs the command once per input (or -n inputs) the flags and
// args name.
func runExec(ctx context.Context, e *env, o *execOptions, args []string) (err error) {
	if err := o.validate(args); err != nil {
		return err
	}
	if o.dryRun {
		o.run.ordered = true
	}
	tmpl, err := o.template()
	if err != nil {
		// Every job would fail the same way: say it once, up front.
		return usageError{err}
	}
	defer tmpl.Close()
	format, err := o.run.format()
	if err != nil {
		return err
	}
	mode := runio.Mode{Max: execjob.MaxArg, Raw: true, Null: o.null}
	in, err := execInputs(ctx, e, &o.run, o.inputs, o.sources, o.maxArgs, mode)
	if err != nil {
		return err
	}
	defer in.close()
	if o.run.workers == 0 { // -j 0: as many as there are inputs
		o.run.workers = maxAutoJobs
		if n := in.total(); n >= 0 {
			o.run.workers = int(min(max(n, 1), maxAutoJobs))
		}
	}
	var log *jobLog
	if o.joblog != "" && !o.dryRun {
		if log, err = openJobLog(o.joblog); err != nil {
			return usageError{err}
		}
		defer func() {
			if cerr := log.close(); cerr != nil && err == nil {
				err = fmt.Errorf("--joblog: %w", cerr)
			}
		}()
	}
	// A second Ctrl-C kills every job's group at once.
	force, stopForce := forceContext(e.force)
	defer stopForce()
	opts := execjob.Options{Timeout: o.timeout, Grace: o.grace, Retries: o.retries, MaxOutput: o.limit, Force: force}
	w := &execWriter{tag: o.tag, quiet: o.run.quiet, format: format, log: log}
	return runSpec(ctx, e, &o.run, nil, o.spec(tmpl, in, opts, w))
}

// spec is exec's part of the run: its jobs, words and output.
func (o *execOptions) spec(tmpl *execjob.Template, in *execIn, opts execjob.Options, w *execWriter) spec[execRecord] {
	running := new(atomic.Int64)
	s := spec[execRecord]{
		// During the kill grace after a first Ctrl-C the run may sit
		// silent for --kill-grace: say what it waits for.
		interrupted: func(stderr io.Writer) {
			if n := int(running.Load()); n > 0 && !o.dryRun {
				them := "them"
				if n == 1 {
					them = "it"
				}
				fmt.Fprintf(stderr, "fanout: interrupted: waiting up to %v (--kill-grace) for %s to end after SIGTERM; Ctrl-C again to kill %s now\n",
					cmp.Or(opts.Grace, execjob.DefaultGrace), plural(n, "job"), them)
			}
		},
		lines: in.lines,
		total: in.total,
		newJob: func(workers int) (job[execRecord], func()) {
			j := execJob(tmpl, opts, workers, in.multi, o.dryRun, running)
			j.halt = o.halt
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
	}
	if o.dryRun {
		s.what = "printing"
		s.summary = func(w io.Writer, t *runio.Tally) {
			fmt.Fprintf(w, "%d commands printed, %d refused (--dry-run: none was run)\n", t.Count("succeeded"), t.Count("failed"))
		}
	}
	return s
}

// execSource is one list of inputs after the command: ::: ARGS, or one
// FILE of :::: ("-": stdin).
type execSource struct {
	args []string
	file string
}

// splitSources splits exec's arguments into the command's words and the
// ::: and :::: lists after them.
func splitSources(args []string) ([]string, []execSource, error) {
	i := slices.IndexFunc(args, func(a string) bool { return a == ":::" || a == "::::" })
	if i < 0 {
		return args, nil, nil
	}
	words, rest := args[:i], args[i:]
	if len(words) == 0 {
		return nil, nil, usagef("no command before %s", rest[0])
	}
	var sources []execSource
	for len(rest) > 0 {
		sep := rest[0]
		n := slices.IndexFunc(rest[1:], func(a string) bool { return a == ":::" || a == "::::" })
		if n < 0 {
			n = len(rest) - 1
		}
		list := rest[1 : 1+n]
		if len(list) == 0 {
			return nil, nil, usagef("%s needs at least one %s", sep, map[string]string{":::": "input", "::::": "file"}[sep])
		}
		if sep == ":::" {
			sources = append(sources, execSource{args: list})
		} else {
			for _, file := range list {
				sources = append(sources, execSource{file: file})
			}
		}
		rest = rest[1+n:]
	}
	return words, sources, nil
}

// execIn is what exec runs on: the jobs' lines, how many there will be,
// and whether each line is several inputs (named shell-quoted: -n, or
// several lists).
type execIn struct {
	lines iter.Seq[runio.Line]
	total func() int64
	multi bool
	close func()
}

// execInputs makes the lines of exec's jobs: one per input of the ::: and
// :::: lists (every combination of them when there are several), or of
// --arg, -i or stdin; with -n, runs of up to maxArgs inputs.
func execInputs(ctx context.Context, e *env, f *runFlags, args []string, sources []execSource, maxArgs int, mode runio.Mode) (*execIn, error) {
	in := &execIn{multi: maxArgs > 1 || len(sources) > 1}
	var closers []func()
	in.close = func() {
		for _, c := range closers {
			c()
		}
	}
	type list struct {
		lines iter.Seq[runio.Line]
		size  int64 // -1: unknown
	}
	var lists []list
	if len(sources) == 0 {
		lines, done, err := f.linesAs(ctx, e, args, mode)
		if err != nil {
			return nil, err
		}
		closers = append(closers, done)
		lists = append(lists, list{lines, f.total(args, mode)})
	}
	stdin := false
	for _, src := range sources {
		switch {
		case src.file == "":
			lists = append(lists, list{runio.ArgsAs(src.args, mode), int64(len(src.args))})
		case src.file == "-":
			if stdin {
				in.close()
				return nil, usagef(":::: - reads stdin once")
			}
			stdin = true
			lists = append(lists, list{runio.Read(ctx, e.stdin, mode), -1})
		default:
			file, err := os.Open(src.file)
			if err == nil {
				if st, serr := file.Stat(); serr == nil && st.IsDir() {
					file.Close()
					err = errors.New("is a directory, not a file of inputs")
				}
			}
			if err != nil {
				in.close()
				return nil, usagef(":::: %s: %v", src.file, err)
			}
			closers = append(closers, func() { file.Close() })
			lists = append(lists, list{runio.Read(ctx, file, mode), runio.CountLines(src.file, mode)})
		}
	}
	lines, size := lists[0].lines, lists[0].size
	if len(lists) > 1 {
		// The first list streams; the others are read now, as each of
		// their values goes with every value of the first.
		var rest [][]runio.Line
		for _, l := range lists[1:] {
			vals := slices.Collect(l.lines)
			rest = append(rest, vals)
			if size >= 0 {
				size *= int64(len(vals))
			}
		}
		lines = product(lines, rest)
	}
	if maxArgs > 1 {
		lines = chunks(lines, maxArgs)
		if size > 0 {
			size = (size + int64(maxArgs) - 1) / int64(maxArgs)
		}
	}
	in.lines = lines
	in.total = func() int64 { return size }
	return in, nil
}

// product yields a line for every combination of a line of first with one
// of each of rest, the last varying fastest, numbered from 1 (GNU
// parallel's ::: a b ::: 1 2). An unusable value makes its combinations
// unusable.
func product(first iter.Seq[runio.Line], rest [][]runio.Line) iter.Seq[runio.Line] {
	return func(yield func(runio.Line) bool) {
		for _, r := range rest {
			if len(r) == 0 {
				return
			}
		}
		n := 0
		idx := make([]int, len(rest))
		vals := make([]string, 0, len(rest)+1)
		for l0 := range first {
			clear(idx)
			for {
				n++
				vals = append(vals[:0], l0.Raw)
				err := l0.Err
				for g, i := range idx {
					vals = append(vals, rest[g][i].Raw)
					if err == nil {
						err = rest[g][i].Err
					}
				}
				if !yield(multiLine(n, vals, err)) {
					return
				}
				g := len(idx) - 1
				for ; g >= 0; g-- {
					if idx[g]++; idx[g] < len(rest[g]) {
						break
					}
					idx[g] = 0
				}
				if g < 0 {
					break
				}
			}
		}
	}
}

// multiLine is the line of a job of several raw inputs: shell-quoted, and
// that shown printable.
func multiLine(n int, vals []string, err error) runio.Line {
	raw := execjob.Quote(vals)
	return runio.Line{N: n, Text: runio.Printable(raw), Raw: raw, Err: err}
}

// chunks yields runs of up to n usable lines as one line each (numbered
// from 1), and each unusable line alone, in order.
func chunks(lines iter.Seq[runio.Line], n int) iter.Seq[runio.Line] {
	return func(yield func(runio.Line) bool) {
		seq := 0
		batch := make([]string, 0, n)
		flush := func() bool {
			if len(batch) == 0 {
				return true
			}
			seq++
			l := multiLine(seq, batch, nil)
			batch = batch[:0]
			return yield(l)
		}
		for l := range lines {
			if l.Err != nil {
				if !flush() {
					return
				}
				seq++
				l.N = seq
				if !yield(l) {
					return
				}
				continue
			}
			if batch = append(batch, l.Raw); len(batch) == n && !flush() {
				return
			}
		}
		flush()
	}
}

// execJob runs one line with tmpl, on up to workers at once: each job
// holds a slot number ({%}) while it runs. With multi, the line is several
// inputs, shell-quoted. With dry, it prints the command instead.
func execJob(tmpl *execjob.Template, o execjob.Options, workers int, multi, dry bool, running *atomic.Int64) job[execRecord] {
	slots := make(chan int, workers)
	for i := range workers {
		slots <- i + 1
	}
	invalid := func(l runio.Line) execRecord {
		msg := l.Err.Error()
		if errors.Is(l.Err, runio.ErrTooLong) {
			msg += ", the most Linux takes in one argument (MAX_ARG_STRLEN, 128 KiB with its NUL)"
		}
		return execRecord{Input: l.Text, Line: l.N, ExitCode: -1, Error: msg, start: time.Now()}
	}
	return job[execRecord]{
		do: func(ctx context.Context, l runio.Line) execRecord {
			args := []string{l.Raw}
			if multi {
				var err error
				if args, err = execjob.Unquote(l.Raw); err != nil {
					return invalid(runio.Line{N: l.N, Text: l.Text, Err: err})
				}
			}
			slot := <-slots
			defer func() { slots <- slot }()
			j := execjob.Job{Args: args, Seq: l.N, Slot: slot}
			if dry {
				rec := execRecord{Input: l.Text, Line: l.N, start: time.Now()}
				argv, err := tmpl.Argv(j)
				if err != nil {
					rec.ExitCode, rec.Error = 126, err.Error()
				} else {
					rec.Stdout = execjob.Quote(argv) + "\n"
				}
				return rec
			}
			running.Add(1)
			r := tmpl.Run(ctx, j, o)
			running.Add(-1)
			rec := execRecord{Input: l.Text, Line: l.N, ExitCode: r.ExitCode, Signal: r.Signal,
				DurationMS: runio.MS(r.Duration), Attempts: r.Attempts,
				Stdout: string(r.Stdout), Stderr: string(r.Stderr), StdoutCut: r.StdoutCut, StderrCut: r.StderrCut,
				TimedOut: r.TimedOut, start: r.Start}
			if r.Err != nil {
				rec.Error = r.Err.Error()
			}
			return rec
		},
		invalid: invalid,
		passed:  execRecord.ok,
	}
}

// execWriter prints finished jobs. It is called from one goroutine (the
// run loop), one record at a time, so a job's output is never split.
type execWriter struct {
	tag    bool
	quiet  bool
	format runio.Format
	log    *jobLog
	buf    bytes.Buffer
}

func (w *execWriter) write(out *runio.Writer, stderr io.Writer, r execRecord) error {
	if err := w.log.add(r); err != nil {
		return err
	}
	if w.format != runio.Text {
		return out.Write(r)
	}
	// One write per stream per job: whole, even if other programs share
	// our stdout.
	if text := w.tagged(r.Input, r.Stdout); text != "" {
		if err := out.WriteText(text); err != nil {
			return err
		}
	}
	if text := w.tagged(r.Input, r.Stderr); text != "" {
		fmt.Fprint(stderr, text)
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
	name := r.Input
	if len(name) > 100 { // a 128 KiB input is named, not printed
		cut := 80
		for !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + fmt.Sprintf("... (%d bytes)", len(name))
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "fanout: exec %s: %s\n", name, n)
	}
	return nil
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

// add appends r's line; an error stops the run, as the journal's does.
func (l *jobLog) add(r execRecord) error {
	if l == nil {
		return nil
	}
	b, err := json.Marshal(r.logLine())
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("--joblog: %w", err)
	}
	return nil
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
