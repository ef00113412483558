package command

import (
	"context"
	"iter"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fanout-dev/fanout/internal/cli"
	"github.com/fanout-dev/fanout/internal/httpcheck"
	"github.com/spf13/cobra"
)

// httpFlags are the flags of every command that makes HTTP requests.
type httpFlags struct {
	workers   int
	timeout   time.Duration
	headers   []string
	userAgent string
	insecure  bool
	redirects int
	retries   int
	rate      float64
	perHost   int
}

func (f *httpFlags) add(c *cobra.Command) {
	c.Flags().IntVarP(&f.workers, "workers", "w", 64, "requests in flight at once")
	c.Flags().DurationVar(&f.timeout, "timeout", 10*time.Second, "time limit per request, redirects included (each retry has its own)")
	c.Flags().StringArrayVarP(&f.headers, "header", "H", nil, `extra request header, "Name: value" (repeatable)`)
	c.Flags().StringVar(&f.userAgent, "user-agent", "", "User-Agent header (default fanout/<version>)")
	c.Flags().BoolVar(&f.insecure, "insecure", false, "do not verify TLS certificates")
	c.Flags().IntVar(&f.redirects, "max-redirects", 10, "most redirects followed (0: none)")
	c.Flags().IntVar(&f.retries, "retries", 2, "retries after 429, 502-504 or a broken connection, with exponential backoff and jitter; Retry-After is honoured")
	c.Flags().Float64Var(&f.rate, "rate", 0, "most requests per second to any one host (0: no limit)")
	c.Flags().IntVar(&f.perHost, "per-host", 0, "most connections to any one host at once (0: no limit)")
}

func (f *httpFlags) options() (httpcheck.Options, error) {
	switch {
	case f.workers < 1:
		return httpcheck.Options{}, usagef("--workers must be at least 1")
	case f.retries < 0 || f.rate < 0 || f.perHost < 0 || f.timeout < 0:
		return httpcheck.Options{}, usagef("--retries, --rate, --per-host and --timeout cannot be negative")
	}
	h := http.Header{}
	for _, kv := range f.headers {
		k, v, ok := strings.Cut(kv, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return httpcheck.Options{}, usagef("-H %q: want \"Name: value\"", kv)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	redirects := f.redirects
	if redirects == 0 {
		redirects = -1 // the flag's 0 means none; httpcheck's 0 means the default
	}
	return httpcheck.Options{Workers: f.workers, Timeout: f.timeout, Insecure: f.insecure,
		UserAgent: f.userAgent, Header: h, Redirects: redirects, Retries: f.retries, Rate: f.rate, PerHost: f.perHost}, nil
}

// ioFlags are the input and output flags every command shares.
type ioFlags struct {
	input                string
	ordered              bool
	json                 bool
	csv                  bool
	quiet                bool
	progress, noProgress bool
	compare              bool
	resume               string
	retryFailed          bool
	shard                string
}

func (f *ioFlags) add(c *cobra.Command) {
	c.Flags().StringVarP(&f.input, "input", "i", "", "read inputs from FILE, one per line (default: arguments, else stdin)")
	c.Flags().BoolVar(&f.ordered, "ordered", false, "print results in input order (default: as they finish)")
	c.Flags().BoolVar(&f.json, "json", false, "print JSON lines")
	c.Flags().BoolVar(&f.csv, "csv", false, "print CSV")
	c.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "no summary or progress bar on stderr")
	c.Flags().BoolVar(&f.progress, "progress", false, "show a progress bar on stderr even when it is not a terminal")
	c.Flags().BoolVar(&f.noProgress, "no-progress", false, "never show a progress bar")
	c.Flags().BoolVar(&f.compare, "compare", false, "first run the same inputs with one worker (output discarded), then print both times and the speedup")
	c.Flags().StringVar(&f.resume, "resume", "", "append each finished record to FILE (JSON lines) and skip the inputs FILE already holds: rerun with the same FILE after a crash")
	c.Flags().BoolVar(&f.retryFailed, "retry-failed", false, "with --resume: also run again the inputs whose record in FILE did not pass (GNU parallel's --resume-failed)")
	c.Flags().StringVar(&f.shard, "shard", "", "take only shard K of N (K/N, K from 1) of the inputs, by a stable hash of each line: N runs on N machines cover every input once")
}

// progressBar returns the bar for this run, or nil: shown on a terminal
// unless --quiet or --no-progress, with a total when the inputs are
// arguments or a regular file.
func (f *ioFlags) progressBar(e *env, args []string, what string) *cli.Progress {
	if f.quiet || !cli.ShowProgress(e.stderr, f.progress, f.noProgress) {
		return nil
	}
	total := int64(-1)
	switch {
	case f.resume != "" || f.shard != "":
		// Some inputs will be skipped; the count is not known ahead.
	case len(args) > 0:
		total = int64(len(args))
	case f.input != "" && f.input != "-":
		total = cli.CountLines(f.input)
	}
	return cli.NewProgress(e.stderr, total, what)
}

func (f *ioFlags) format() (cli.Format, error) {
	switch {
	case f.json && f.csv:
		return 0, usagef("--json and --csv exclude each other")
	case f.json:
		return cli.JSON, nil
	case f.csv:
		return cli.CSV, nil
	}
	return cli.Text, nil
}

// lines returns the inputs: arguments, else -i FILE, else stdin, read as a
// stream. The returned func closes what it opened.
func (f *ioFlags) lines(ctx context.Context, e *env, args []string) (iter.Seq[cli.Line], func(), error) {
	switch {
	case len(args) > 0 && f.input != "":
		return nil, nil, usagef("give inputs as arguments or with -i, not both")
	case len(args) > 0:
		return cli.Args(args), func() {}, nil
	case f.input != "" && f.input != "-":
		file, err := os.Open(f.input)
		if err != nil {
			return nil, nil, usageError{err}
		}
		return cli.Lines(ctx, file), func() { file.Close() }, nil
	}
	return cli.Lines(ctx, e.stdin), func() {}, nil
}

// checkRecord is one line of `fanout check` output.
type checkRecord struct {
	Input     string  `json:"input"`
	Line      int     `json:"line"`
	Result    string  `json:"result"`
	Status    int     `json:"status,omitempty"`
	Error     string  `json:"error,omitempty"`
	ElapsedMS float64 `json:"elapsed_ms"`
	class     httpcheck.Class
}

func (r checkRecord) TextLine() string { return r.Input + " - " + r.Result }
func (r checkRecord) CSVHeader() []string {
	return []string{"input", "line", "result", "status", "error", "elapsed_ms"}
}
func (r checkRecord) CSVRow() []string {
	status := ""
	if r.Status != 0 {
		status = strconv.Itoa(r.Status)
	}
	return []string{r.Input, strconv.Itoa(r.Line), r.Result, status, r.Error, strconv.FormatFloat(r.ElapsedMS, 'f', 1, 64)}
}

func newCheckRecord(l cli.Line, r httpcheck.Result) checkRecord {
	rec := checkRecord{Input: l.Text, Line: l.N, Result: r.Word(), Status: r.Status, class: r.Class,
		ElapsedMS: float64(r.Elapsed.Microseconds()) / 1000}
	if r.Err != nil {
		rec.Error = httpcheck.Reason(r.Err)
	}
	return rec
}

func init() { commands = append(commands, newCheck) }

func newCheck(e *env) *cobra.Command {
	var hf httpFlags
	var iof ioFlags
	c := &cobra.Command{
		Use:   "check [URL...]",
		Short: "Does each page exist?",
		Long: `Check whether each URL's page exists, many at once: HEAD first, GET when the
server refuses HEAD, never more than a small part of a body.

Each line says: exists (2xx after redirects), does not exist (404, 410),
blocked (401, 403), rate-limited (429), unknown (any other status), or
error: <reason> (malformed URL, DNS, refused, timeout, TLS).

Exit status: 0 when every page exists, 1 when any does not (or is blocked,
rate-limited, unknown or an error), 2 for usage errors, 130 when interrupted.`,
		RunE: func(c *cobra.Command, args []string) error {
			opts, err := hf.options()
			if err != nil {
				return err
			}
			return runSpec(c.Context(), e, &iof, args, spec[checkRecord]{
				workers: hf.workers,
				newJob: func(workers int) (job[checkRecord], func()) {
					o := opts
					o.Workers = workers
					checker := httpcheck.New(o)
					return checkJob(checker), checker.Close
				},
				outcome:  func(r checkRecord) string { return string(r.class) },
				outcomes: classNames(),
				what:     "checking",
				verb:     "checked",
			})
		},
	}
	hf.add(c)
	iof.add(c)
	return c
}

func classNames() []string {
	var s []string
	for _, c := range httpcheck.Classes {
		s = append(s, string(c))
	}
	return s
}

// checkJob checks one line with checker.
func checkJob(checker *httpcheck.Checker) job[checkRecord] {
	return job[checkRecord]{
		do: func(ctx context.Context, l cli.Line) checkRecord {
			if l.Err != nil {
				return checkRecord{Input: l.Text, Line: l.N, Result: "error: " + l.Err.Error(), Error: l.Err.Error(), class: httpcheck.Error}
			}
			return newCheckRecord(l, checker.Check(ctx, l.Text))
		},
		passed: func(r checkRecord) bool { return r.class == httpcheck.Exists },
		broken: func(err error) checkRecord {
			return checkRecord{Result: "error: " + err.Error(), Error: err.Error(), class: httpcheck.Error}
		},
	}
}
