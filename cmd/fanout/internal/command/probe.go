package command

import (
	"context"
	"mime"
	"strconv"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/probe"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/size"
	"github.com/spf13/cobra"
)

// probeRecord is one line of `fanout probe` output.
type probeRecord struct {
	Input         string       `json:"input"`
	Line          int          `json:"line"`
	Status        int          `json:"status,omitempty"`
	Title         string       `json:"title"`
	ContentType   string       `json:"content_type,omitempty"`
	ContentLength int64        `json:"content_length"`
	ElapsedMS     runio.Millis `json:"elapsed_ms"`
	FinalURL      string       `json:"final_url,omitempty"`
	Error         string       `json:"error,omitempty"`
	Location      string       `json:"location,omitempty"` // a 3xx not followed (--max-redirects 0)
	titleFound    bool
	atLeast       bool // ContentLength is a lower bound: the body went on
	redirected    bool
	ok            bool
}

// TextLine is `URL [200] [Title] [text/html] [1234 B] [12ms]`, or
// `URL [error: reason] [12ms]`.
func (r probeRecord) TextLine() string {
	elapsed := "[" + r.ElapsedMS.String() + "]"
	if r.Error != "" && r.Status == 0 {
		return r.Input + " [error: " + r.Error + "] " + elapsed
	}
	title := "-"
	if r.titleFound {
		title = r.Title
	}
	ct := "-"
	if r.ContentType != "" {
		ct = r.ContentType
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			ct = mt
		}
	}
	size := strconv.FormatInt(r.ContentLength, 10) + " B"
	if r.atLeast {
		size = ">=" + size
	}
	s := r.Input + " [" + strconv.Itoa(r.Status) + "] [" + title + "] [" + ct + "] [" + size + "] " + elapsed
	// Only after a redirect: an input that was merely escaped when sent
	// (a space, an IDN host) is not news.
	if r.redirected && r.FinalURL != r.Input {
		s += " [-> " + r.FinalURL + "]"
	}
	if r.Location != "" {
		s += " [Location: " + r.Location + "]"
	}
	if r.Error != "" {
		s += " [error: " + r.Error + "]"
	}
	return s
}

// outcome is the record's word in the summary: 2xx, 3xx, 4xx, 5xx, error.
func (r probeRecord) outcome() string {
	if r.Status == 0 {
		return "error"
	}
	if r.Error != "" {
		return "body error"
	}
	return strconv.Itoa(r.Status/100) + "xx"
}

func newProbeRecord(l runio.Line, r probe.Result) probeRecord {
	rec := probeRecord{Input: l.Text, Line: l.N, Status: r.Status, Title: r.Title, ContentType: r.ContentType,
		ContentLength: r.ContentLength, ElapsedMS: runio.MS(r.Elapsed), FinalURL: r.FinalURL,
		titleFound: r.TitleFound, atLeast: r.Truncated && !r.LengthFromHeader, ok: r.OK(), redirected: r.Redirected,
		Location: r.Location}
	if r.Err != nil {
		rec.Error = httpcheck.Reason(r.Err)
	}
	return rec
}

// probeOptions is everything `fanout probe` needs: its flags, parsed.
type probeOptions struct {
	run     runFlags
	http    httpFlags
	maxBody string
	bodyMax int64 // --max-body, parsed by validate
}

func newProbe(e *env) *cobra.Command {
	var o probeOptions
	c := &cobra.Command{
		Use:   "probe [URL...]",
		Short: "Status, title, type and size of each page",
		Long: `Probe each URL, many at once: GET it and report its status, the page's
title, Content-Type, size and time, and where redirects led.

The title is the text of the <title> element in the document's head (as
the HTML parser places elements: not an SVG icon's <title>, not one in the
body), of an HTML or XHTML response only, decoded from the page's charset
(byte-order mark, Content-Type header, else <meta>), entities decoded,
white space collapsed, cut at 1024 characters. The body is read up to the
end of the title (or of a head without one), never more than --max-body
bytes (after gzip decoding, so a gzip bomb costs no more than any page): a
slow or endless rest is never waited for.

Each text line reads:

  URL [200] [Title] [text/html] [1234 B] [12ms]

status, title ("-" when the page has none within --max-body), media type
("-" when none), size and elapsed time; then "[-> FINAL_URL]" when redirects
led elsewhere, "[Location: URL]" for a 3xx not followed (--max-redirects 0),
and "[error: reason]" when the body failed before the title ended. The size
is the Content-Length header when the server sent one (and no gzip
decoding), else the body bytes read, shown as ">=N B" when reading stopped
before the body's end. A URL without an HTTP answer (malformed, DNS,
refused, timeout, TLS, too many redirects) reads "URL [error: reason] [12ms]".
A URL repeated in the input is requested once.

--json writes one object per URL: input, line, status, title, content_type
(as sent), content_length, elapsed_ms, final_url, error, location; --csv
the same columns.

Flags as for check: --retries, --rate, --per-host, --scheme, --accept,
--match-code and --filter-code included.

httpx's flags are taken too: -mc and -fc (--match-code, --filter-code),
-l FILE (-i), -threads (--workers), -silent (-q), -json; -sc, -title, -cl
and -ct ask for what each line shows anyway.

Exit status: 0 when every URL answered with a 2xx status (after redirects;
or one --accept lists) and no error, 1 otherwise, 2 for usage errors, 130
when interrupted.`,
		RunE: func(c *cobra.Command, args []string) error { return runProbe(c.Context(), e, &o, args) },
	}
	o.add(c)
	return c
}

// add declares probe's flags.
func (o *probeOptions) add(c *cobra.Command) {
	o.http.add(c)
	o.http.addScheme(c)
	o.run.add(c, o.http.workersFlag(), runAll)
	c.Flags().StringVar(&o.maxBody, "max-body", "1MiB", "most body bytes read per URL, after gzip decoding (512, 64KB, 1MiB, ...)")
}

// validate refuses what probe cannot do, before anything runs.
func (o *probeOptions) validate(args []string) error {
	if err := refuseFileArgs(args); err != nil {
		return err
	}
	n, err := size.Parse(o.maxBody)
	if err != nil || n < 1 {
		return usagef("--max-body %q: want a size of at least 1 byte, such as 65536, 64KiB or 1MiB", o.maxBody)
	}
	o.bodyMax = n
	return nil
}

// runProbe probes each input the flags and args name.
func runProbe(ctx context.Context, e *env, o *probeOptions, args []string) error {
	opts, err := o.http.options()
	if err != nil {
		return err
	}
	if err := o.validate(args); err != nil {
		return err
	}
	sayReadingTerminal(e, &o.run, args, "URLs")
	return o.http.settled(e.stderr, o.run.quiet, runSpec(ctx, e, &o.run, args, spec[probeRecord]{
		limiter: o.http.limiter,
		host:    o.http.host(),
		newJob: func(workers int) (job[probeRecord], func()) {
			opts := opts
			opts.Workers = workers
			prober := probe.New(probe.Options{Options: opts, MaxBody: o.bodyMax})
			return probeJob(prober, &o.http), prober.Close
		},
		outcome:  probeRecord.outcome,
		outcomes: []string{"2xx", "3xx", "4xx", "5xx", "body error", "error"},
		what:     "probing",
		verb:     "probed",
		show:     func(r probeRecord) bool { return o.http.shows(r.Status) },
	}))
}

// probeJob probes one line with prober, once per distinct URL among the
// recent ones.
func probeJob(prober *probe.Prober, hf *httpFlags) job[probeRecord] {
	seen := httpcheck.NewDedup[probe.Result](dedupRecent)
	return job[probeRecord]{
		do: func(ctx context.Context, l runio.Line) probeRecord {
			r := seen.Do(ctx, l.Text, func() (probe.Result, bool) {
				r := prober.Probe(ctx, l.Text)
				return r, ctx.Err() == nil
			})
			rec := newProbeRecord(l, r)
			rec.ok = hf.passes(r.Status, rec.ok) && r.Err == nil
			return rec
		},
		invalid: func(l runio.Line) probeRecord { return probeRecord{Input: l.Text, Line: l.N, Error: l.Err.Error()} },
		passed:  func(r probeRecord) bool { return r.ok },
	}
}
