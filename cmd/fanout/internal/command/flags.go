package command

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fanout-dev/fanout"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/size"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The flags shared by several commands, declared once so that the same
// flag reads the same way everywhere.

// durationValue is every duration flag: a Go duration (10s, 500ms, 1m30s)
// or plain seconds (10, 0.5), as ping, curl and timeout(1) take them.
type durationValue struct{ d *time.Duration }

func durationVar(f *pflag.FlagSet, p *time.Duration, name, short string, def time.Duration, usage string) {
	*p = def
	f.VarP(durationValue{p}, name, short, usage)
}

func (v durationValue) String() string {
	if v.d == nil {
		return ""
	}
	return v.d.String()
}

func (v durationValue) Type() string { return "duration" }

func (v durationValue) Set(s string) error {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || f > float64(1<<63-1)/float64(time.Second) {
			return fmt.Errorf("%q is out of range", s)
		}
		*v.d = time.Duration(f * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want seconds (10, 0.5) or a duration (10s, 500ms)")
	}
	if d < 0 {
		return fmt.Errorf("%q is negative", s)
	}
	*v.d = d
	return nil
}

// maxWorkers is the most workers any command runs at once. Far beyond what
// one host's file descriptors and sockets allow, and low enough that a typo
// (-w 2147483647) is refused at once rather than crashing out of memory.
const maxWorkers = 1 << 16

// workersValue is every --workers and -j flag: a count from min up to
// maxWorkers, and "auto" where auto is not nil.
type workersValue struct {
	n    *int
	min  int
	auto *bool
}

// workersFlag is a command's --workers: each passes its default and its
// usage line, as a worker is a request, a job, a host or a file.
type workersFlag struct {
	def   int
	usage string
	// auto, if set, takes --workers auto (the http commands): see
	// autoCeiling.
	auto *bool
	// noShort declares --workers without -w, which is the command's own
	// (ping's deadline, as ping -w).
	noShort bool
}

// add declares --workers (-w) into p, the one declaration of the flag.
func (w workersFlag) add(f *pflag.FlagSet, p *int) {
	*p = w.def
	short := "w"
	if w.noShort {
		short = ""
	}
	f.VarP(workersValue{n: p, min: 1, auto: w.auto}, "workers", short, w.usage)
}

func (v workersValue) String() string {
	switch {
	case v.auto != nil && *v.auto:
		return "auto"
	case v.n == nil:
		return ""
	}
	return strconv.Itoa(*v.n)
}

func (v workersValue) Type() string {
	if v.auto != nil {
		return "N|auto"
	}
	return "int"
}

func (v workersValue) Set(s string) error {
	if v.auto != nil {
		if *v.auto = s == "auto"; *v.auto {
			// The executor holds up to autoHold tasks, most of them
			// waiting for a busy host, so that the other hosts'
			// requests go on.
			*v.n = autoHold
			return nil
		}
	}
	n, err := strconv.Atoi(s)
	switch {
	case errors.Is(err, strconv.ErrRange) || err == nil && n > maxWorkers:
		return fmt.Errorf("at most %d", maxWorkers)
	case err != nil && v.auto != nil:
		return fmt.Errorf("want a number or auto")
	case err != nil:
		return fmt.Errorf("want a number")
	case n < v.min:
		return fmt.Errorf("at least %d", v.min)
	}
	*v.n = n
	return nil
}

// sizeFlag parses a size flag's value ("" and "0": no limit).
func sizeFlag(name, v string) (int64, error) {
	n, err := size.Limit(v)
	if err != nil {
		return 0, usagef("--%s: %v", name, err)
	}
	return n, nil
}

// httpFlags are the flags of every command that makes HTTP requests.
type httpFlags struct {
	auto       bool            // --workers auto: see autoCeiling
	limiter    *fanout.Limiter // with auto, once options ran
	timeout    time.Duration
	headers    []string
	userAgent  string
	insecure   bool
	redirects  int
	retries    int
	rate       float64
	perHost    int
	scheme     string
	method     string
	matchCode  string
	filterCode string
	accept     string
	// Parsed by options.
	match, filter, accepted httpcheck.Statuses
}

func (f *httpFlags) add(c *cobra.Command) {
	durationVar(c.Flags(), &f.timeout, "timeout", "", 10*time.Second, "time limit per request, redirects included (each retry has its own): 10, 0.5, 1m")
	c.Flags().StringArrayVarP(&f.headers, "header", "H", nil, `extra request header, "Name: value" (repeatable); "Host: name" sets the Host (a virtual host), as curl does`)
	c.Flags().StringVar(&f.userAgent, "user-agent", "", "User-Agent header (default fanout/<version>)")
	c.Flags().BoolVar(&f.insecure, "insecure", false, "do not verify TLS certificates")
	c.Flags().IntVar(&f.redirects, "max-redirects", 10, "most redirects followed (0: none; a 3xx is then the answer, with its Location)")
	c.Flags().IntVar(&f.retries, "retries", 2, "retries after 429, 502-504 or a broken connection, with exponential backoff and jitter; a Retry-After is honoured when it fits in (1 + retries) x --timeout, else the answer is reported at once")
	c.Flags().Float64Var(&f.rate, "rate", 0, "most requests per second to any one host (0: no limit)")
	c.Flags().IntVar(&f.perHost, "per-host", 0, "most connections to any one host at once (0: no limit)")
	c.Flags().StringVar(&f.matchCode, "match-code", "", "print only the records with these statuses: 200,302 or ranges (httpx's -mc)")
	c.Flags().StringVar(&f.filterCode, "filter-code", "", "never print the records with these statuses: 404,500..=599 (httpx's -fc)")
	c.Flags().StringVar(&f.accept, "accept", "", "statuses that count as success, for the record and the exit status: 200,403,429 or 200..=299 (lychee's --accept; 200..300 excludes 300)")
}

func (f *httpFlags) options() (httpcheck.Options, error) {
	switch {
	case f.retries < 0 || f.rate < 0 || f.perHost < 0:
		return httpcheck.Options{}, usagef("--retries, --rate and --per-host cannot be negative")
	case f.method != "" && f.method != "HEAD" && f.method != "GET":
		return httpcheck.Options{}, usagef("--method %q: want HEAD or GET", f.method)
	case f.scheme != "" && f.scheme != "http" && f.scheme != "https":
		return httpcheck.Options{}, usagef("--scheme %q: want http or https", f.scheme)
	}
	for _, s := range []struct {
		name, value string
		set         *httpcheck.Statuses
	}{{"match-code", f.matchCode, &f.match}, {"filter-code", f.filterCode, &f.filter}, {"accept", f.accept, &f.accepted}} {
		if s.value == "" {
			continue
		}
		set, err := httpcheck.ParseStatuses(s.value)
		if err != nil {
			return httpcheck.Options{}, usagef("--%s %v", s.name, err)
		}
		*s.set = set
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
	if f.auto {
		// Only the requests in flight hold files (the tasks waiting for
		// a host hold none), so the open-file limit caps the limiter's
		// ceiling, not the executor (see capWorkers).
		ceiling := min(autoCeiling, fileRoom())
		f.limiter = fanout.NewLimiter(1, ceiling, ceiling)
	}
	return httpcheck.Options{Limiter: f.limiter, Timeout: f.timeout, Insecure: f.insecure,
		UserAgent: f.userAgent, Header: h, Redirects: redirects, Retries: f.retries, Rate: f.rate, PerHost: f.perHost,
		Scheme: f.scheme, Method: f.method}, nil
}

// host returns, under --workers auto, the host an input line's requests
// go to (see admission); nil otherwise.
func (f *httpFlags) host() func(runio.Line) string {
	if f.limiter == nil {
		return nil
	}
	return func(l runio.Line) string {
		t, err := httpcheck.ParseTarget(l.Text, f.scheme)
		if err != nil {
			return ""
		}
		return t.URL.Host
	}
}

// --workers auto: at most autoCeiling requests in flight, to one host and
// to all together (Python's http.server crawled in 0.12 s at 4 per host and
// 2.6-11.3 s at 64; a host on a fast link takes a few hundred), and
// autoHold inputs taken ahead, waiting for their host.
const (
	autoCeiling = 256
	autoHold    = 16 * autoCeiling
)

// settled reports, after a run with --workers auto, where each host's
// limit stood at the end (at most settledShown hosts, by name), and
// passes err on.
func (f *httpFlags) settled(w io.Writer, quiet bool, err error) error {
	if f.limiter == nil || quiet {
		return err
	}
	keys := f.limiter.Keys()
	hosts := slices.Sorted(maps.Keys(keys))
	for i, h := range hosts {
		if i == settledShown {
			fmt.Fprintf(w, "and %d more hosts\n", len(hosts)-i)
			break
		}
		fmt.Fprintf(w, "%s settled at %d in flight\n", h, keys[h])
	}
	return err
}

const settledShown = 10

// workersFlag is the http commands' --workers, which takes auto.
func (f *httpFlags) workersFlag() workersFlag {
	return workersFlag{def: 64, auto: &f.auto,
		usage: "requests in flight at once; auto: as many as each host takes, found by its latency and its 429s and 503s, up to 256 in all"}
}

// addScheme registers --scheme, for the commands whose inputs are URLs
// (links reads its links with their scheme).
func (f *httpFlags) addScheme(c *cobra.Command) {
	c.Flags().StringVar(&f.scheme, "scheme", "", "scheme for inputs without one (example.org/path): http or https (default: https, then http if https gets no answer)")
}

// addMethod registers --method, for the commands that only ask whether a
// page is there (probe and get always GET).
func (f *httpFlags) addMethod(c *cobra.Command) {
	c.Flags().StringVarP(&f.method, "method", "X", "GET", "GET: one GET per URL, reading the header and at most 16 KiB of body, as the tutorials and lychee do; HEAD: ask with HEAD, and confirm any answer but a 2xx with a GET (the GET wins)")
}

// shows reports whether --match-code and --filter-code let a record with
// this status (0: no HTTP answer) be printed.
func (f *httpFlags) shows(status int) bool {
	return (f.match.Empty() || f.match.Has(status)) && !f.filter.Has(status)
}

// passes reports whether a record passes: its status is in --accept, or,
// without --accept, ok (the command's own rule, such as 2xx).
func (f *httpFlags) passes(status int, ok bool) bool {
	if f.accepted.Empty() {
		return ok
	}
	return status != 0 && f.accepted.Has(status)
}

// dedupRecent is how many finished URLs each run remembers to answer
// repeats without a request (besides those in flight).
const dedupRecent = 4096

// runFlags are the run path's shared flags, read by runSpec: how many
// workers, where the inputs come from, how the records are written.
type runFlags struct {
	workers int
	// inputs
	input       string
	resume      string
	retryFailed bool
	shard       string
	// output
	ordered              bool
	json                 bool
	csv                  bool
	quiet                bool
	progress, noProgress bool
	compare              bool
	failures             bool
	timeline             string
	cmd                  *cobra.Command // for the --resume journal's header (job)
}

// runGroup is a group of run flags. A command registers only the groups
// it takes, so that its --help lists only what it does (replace walks its
// PATHs: no -i, --resume or --shard).
type runGroup uint

const (
	runInput   runGroup = 1 << iota // -i FILE
	runResume                       // --resume, --retry-failed
	runShard                        // --shard
	runCompare                      // --compare
	runOutput                       // --ordered, --json, --csv, -q, --progress, --no-progress, --timeline, --failures
	runAll     = runInput | runResume | runShard | runCompare | runOutput
)

// add declares --workers, as w says, and the groups of run flags c takes.
func (f *runFlags) add(c *cobra.Command, w workersFlag, groups runGroup) {
	f.cmd = c
	fs := c.Flags()
	w.add(fs, &f.workers)
	if groups&runInput != 0 {
		fs.StringVarP(&f.input, "input", "i", "", "read inputs from FILE, one per line (default: arguments, else stdin)")
	}
	if groups&runResume != 0 {
		fs.StringVar(&f.resume, "resume", "", "append each finished record to FILE (JSON lines, after a header naming the job) and skip the inputs FILE already holds: rerun with the same FILE after a crash or Ctrl-C; a FILE of another job, or that another run is writing, is refused")
		fs.BoolVar(&f.retryFailed, "retry-failed", false, "with --resume: also run again the inputs whose record in FILE did not pass (GNU parallel's --resume-failed)")
	}
	if groups&runShard != 0 {
		fs.StringVar(&f.shard, "shard", "", "take only shard K of N (K/N, K from 1) of the inputs, by a stable hash of each line: N runs on N machines cover every input once")
	}
	if groups&runCompare != 0 {
		fs.BoolVar(&f.compare, "compare", false, "first run the same inputs with one worker (output discarded), then print both times and the speedup")
	}
	if groups&runOutput != 0 {
		fs.BoolVar(&f.ordered, "ordered", false, "print results in input order (default: as they finish)")
		fs.BoolVar(&f.json, "json", false, "print JSON lines")
		fs.BoolVar(&f.csv, "csv", false, "print CSV; a text cell starting with = + - @ or a tab gets a leading ' (no spreadsheet formulas), controls are escaped (\\x1b)")
		fs.BoolVarP(&f.quiet, "quiet", "q", false, "no summary or progress bar on stderr")
		fs.BoolVar(&f.progress, "progress", false, "show the progress bar on stderr even when it is not a terminal")
		fs.BoolVar(&f.noProgress, "no-progress", false, "never show the progress bar")
		fs.StringVar(&f.timeline, "timeline", "", "after the run, draw what each worker did into FILE: FILE.svg, or FILE.html to open in a browser (with --compare, both runs)")
		fs.BoolVar(&f.failures, "failures", false, "print only the records that did not pass (every record is still counted in the summary)")
	}
}

func (f *runFlags) format() (runio.Format, error) {
	switch {
	case f.json && f.csv:
		return 0, usagef("--json and --csv exclude each other")
	case f.json:
		return runio.JSON, nil
	case f.csv:
		return runio.CSV, nil
	}
	return runio.Text, nil
}

// openInput opens -i FILE; a directory, a missing or unreadable file is a
// usage error naming it, before anything runs.
func openInput(path string) (*os.File, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, usageError{fmt.Errorf("-i: %w", err)}
	}
	if st, err := file.Stat(); err == nil && st.IsDir() {
		file.Close()
		return nil, usagef("-i %s: is a directory, not a file of inputs", path)
	}
	return file, nil
}
