package command

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// checkRecord is one line of `fanout check` output.
type checkRecord struct {
	Input     string       `json:"input"`
	Line      int          `json:"line"`
	Result    string       `json:"result"`
	Status    int          `json:"status,omitempty"`
	Error     string       `json:"error,omitempty"`
	ElapsedMS runio.Millis `json:"elapsed_ms"`
	Location  string       `json:"location,omitempty"` // a 3xx not followed
	URL       string       `json:"url,omitempty"`      // what a bare host became: https://host/...
	class     httpcheck.Class
	ok        bool
}

func (r checkRecord) TextLine() string { return r.Input + " - " + r.Result }

func newCheckRecord(l runio.Line, r httpcheck.Result) checkRecord {
	rec := checkRecord{Input: l.Text, Line: l.N, Result: r.Word(), Status: r.Status, class: r.Class,
		ElapsedMS: runio.MS(r.Elapsed), Location: r.Location, URL: r.Requested}
	if r.Err != nil {
		rec.Error = httpcheck.Reason(r.Err)
	}
	return rec
}

// checkOptions is everything `fanout check` needs: its flags, parsed.
type checkOptions struct {
	run  runFlags
	http httpFlags
}

func newCheck(e *env) *cobra.Command {
	var o checkOptions
	c := &cobra.Command{
		Use:   "check [URL...]",
		Short: "Does each page exist?",
		Long: `Check whether each URL's page exists, many at once: one GET per URL, as
the tutorials and lychee do, reading the header and at most 16 KiB of body
(a longer body is not read: the connection is closed instead). --method
HEAD asks with HEAD first, then GET whenever HEAD's answer is not a 2xx
(some servers answer HEAD with 404 or 500 and GET with the page; the GET's
answer wins). A URL repeated in the input is requested once.

Each line says: exists (2xx after redirects), redirect (a 3xx not followed,
with its Location), does not exist (404, 410), blocked (401, 403),
rate-limited (429), unknown (any other status), or error: <reason>
(malformed URL, DNS, refused, timeout, TLS).

An input without a scheme (example.org, example.org/path, 127.0.0.1:8080/x)
is tried with https://, then http:// if https gets no answer; --scheme
fixes one.

Exit status: 0 when every page exists (or has a status --accept lists),
1 when any does not, 2 for usage errors, 130 when interrupted.`,
		RunE: func(c *cobra.Command, args []string) error { return runCheck(c.Context(), e, &o, args) },
	}
	o.add(c)
	return c
}

// add declares check's flags.
func (o *checkOptions) add(c *cobra.Command) {
	o.http.add(c)
	o.http.addMethod(c)
	o.http.addScheme(c)
	o.run.add(c, o.http.workersFlag(), runAll)
}

// runCheck checks the page of each input the flags and args name.
func runCheck(ctx context.Context, e *env, o *checkOptions, args []string) error {
	opts, err := o.http.options()
	if err != nil {
		return err
	}
	if err := refuseFileArgs(args); err != nil {
		return err
	}
	sayReadingTerminal(e, &o.run, args, "URLs")
	return o.http.settled(e.stderr, o.run.quiet, runSpec(ctx, e, &o.run, args, spec[checkRecord]{
		limiter: o.http.limiter,
		host:    o.http.host(),
		newJob: func(workers int) (job[checkRecord], func()) {
			opts := opts
			opts.Workers = workers
			checker := httpcheck.New(opts)
			return checkJobWith(checker, &o.http), checker.Close
		},
		outcome:  func(r checkRecord) string { return string(r.class) },
		outcomes: classNames(),
		what:     "checking",
		verb:     "checked",
		show:     func(r checkRecord) bool { return o.http.shows(r.Status) },
	}))
}

func classNames() []string {
	var s []string
	for _, c := range httpcheck.Classes {
		s = append(s, string(c))
	}
	return s
}

// checkJob checks one line with checker (fanout demo's job).
func checkJob(checker *httpcheck.Checker) job[checkRecord] {
	return checkJobWith(checker, &httpFlags{})
}

// checkJobWith checks one line with checker, once per distinct URL among
// the recent ones; --accept decides which records pass.
func checkJobWith(checker *httpcheck.Checker, hf *httpFlags) job[checkRecord] {
	seen := httpcheck.NewDedup[httpcheck.Result](dedupRecent)
	return job[checkRecord]{
		do: func(ctx context.Context, l runio.Line) checkRecord {
			r := seen.Do(ctx, l.Text, func() (httpcheck.Result, bool) {
				r := checker.Check(ctx, l.Text)
				return r, ctx.Err() == nil
			})
			rec := newCheckRecord(l, r)
			rec.ok = hf.passes(r.Status, r.Class == httpcheck.Exists)
			return rec
		},
		invalid: func(l runio.Line) checkRecord {
			return checkRecord{Input: l.Text, Line: l.N, Result: "error: " + l.Err.Error(), Error: l.Err.Error(), class: httpcheck.Error}
		},
		passed: func(r checkRecord) bool { return r.ok },
	}
}

// refuseFileArgs refuses an argument that names an existing file or
// directory rather than a URL: lychee reads such an argument as an input
// to take links from, so its users type `fanout check urls.txt`, which
// would otherwise look the file's name up in the DNS (lychee#1595 made the
// same guess, and asked a server called urls.txt).
func refuseFileArgs(args []string) error {
	for _, a := range args {
		if strings.Contains(a, "://") {
			continue
		}
		st, err := os.Stat(a)
		switch {
		case err != nil:
		case st.IsDir():
			return usagef("%s is a directory here, not a URL: fanout links %s checks the links in its files", a, a)
		default:
			return usagef("%s is a file here, not a URL: -i %s reads URLs from it, one per line (fanout links %s checks the links in its text)", a, a, a)
		}
	}
	return nil
}

// sayReadingTerminal tells a user who gave no inputs that the command
// reads them from the terminal, as it would otherwise sit silent, its
// progress bar at 0 while typed lines run into it.
func sayReadingTerminal(e *env, rf *runFlags, args []string, what string) {
	f, ok := e.stdin.(*os.File)
	if len(args) > 0 || (rf.input != "" && rf.input != "-") || rf.quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return
	}
	fmt.Fprintf(e.stderr, "fanout: reading %s from standard input, one per line (end with Ctrl-D)\n", what)
}
