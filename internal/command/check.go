package command

import (
	"context"

	"github.com/fanout-dev/fanout/internal/cli"
	"github.com/fanout-dev/fanout/internal/httpcheck"
	"github.com/spf13/cobra"
)

// checkRecord is one line of `fanout check` output.
type checkRecord struct {
	Input     string     `json:"input"`
	Line      int        `json:"line"`
	Result    string     `json:"result"`
	Status    int        `json:"status,omitempty"`
	Error     string     `json:"error,omitempty"`
	ElapsedMS cli.Millis `json:"elapsed_ms"`
	class     httpcheck.Class
}

func (r checkRecord) TextLine() string { return r.Input + " - " + r.Result }

func newCheckRecord(l cli.Line, r httpcheck.Result) checkRecord {
	rec := checkRecord{Input: l.Text, Line: l.N, Result: r.Word(), Status: r.Status, class: r.Class,
		ElapsedMS: cli.MS(r.Elapsed)}
	if r.Err != nil {
		rec.Error = httpcheck.Reason(r.Err)
	}
	return rec
}

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
			return newCheckRecord(l, checker.Check(ctx, l.Text))
		},
		invalid: func(l cli.Line) checkRecord {
			return checkRecord{Input: l.Text, Line: l.N, Result: "error: " + l.Err.Error(), Error: l.Err.Error(), class: httpcheck.Error}
		},
		passed: func(r checkRecord) bool { return r.class == httpcheck.Exists },
	}
}
