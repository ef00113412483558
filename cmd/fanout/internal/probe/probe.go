// Package probe answers, for one URL, what httpx-style probing tools
// answer: the status, the page's title, its type and size, where redirects
// led, and how long it took. It GETs the page and reads only as much of the
// body as the title needs, never more than a bounded prefix, whatever the
// server sends (endless bodies, slow ones, gzip bombs, huge titles).
package probe

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
)

// DefaultMaxBody is the most body bytes (after gzip decoding) a probe reads.
const DefaultMaxBody = 1 << 20

// Options configure a Prober: httpcheck's options (workers, timeout,
// headers, TLS, redirects), and how much of a body to read.
type Options struct {
	httpcheck.Options
	MaxBody int64 // most body bytes read, decoded; 0 means DefaultMaxBody
}

// Result is what Probe found.
type Result struct {
	URL         string
	Status      int    // 0 when there was no HTTP answer (Err says why)
	Title       string // see Title: collapsed, at most MaxTitle runes
	TitleFound  bool   // false when no <title> came within MaxBody bytes
	ContentType string // the Content-Type header as sent
	// ContentLength is the Content-Length header's value when the server
	// sent one and the body was not decoded (LengthFromHeader); otherwise
	// the body bytes read, decoded, which is only a lower bound when
	// Truncated.
	ContentLength    int64
	LengthFromHeader bool
	// Truncated: the body's end was not read, because it was longer than
	// MaxBody or because reading stopped once the title was known.
	Truncated  bool
	BodyRead   int64 // body bytes read, after gzip decoding; at most MaxBody
	Elapsed    time.Duration
	FinalURL   string // the URL answered, after redirects
	Redirected bool   // FinalURL came from a redirect (else it is the input, as sent)
	Location   string // a 3xx answer's Location (redirects not followed), resolved
	Err        error  // no HTTP answer, or the body failed before the title ended
}

// OK reports whether the URL answered with a 2xx status and no error.
func (r Result) OK() bool { return r.Err == nil && r.Status >= 200 && r.Status < 300 }

// Prober probes URLs with one shared client. Use New.
type Prober struct {
	checker *httpcheck.Checker
	opts    Options
}

// New returns a Prober; Close it when done.
func New(o Options) *Prober {
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	return &Prober{checker: httpcheck.New(o.Options), opts: o}
}

// Close releases idle connections.
func (p *Prober) Close() { p.checker.Close() }

// Probe GETs raw and reads its title. The client's timeout (Options.Timeout)
// covers the whole probe, body included.
func (p *Prober) Probe(ctx context.Context, raw string) Result {
	start := time.Now()
	r := Result{URL: raw}
	r = p.probe(ctx, raw, r)
	r.Elapsed = time.Since(start)
	return r
}

func (p *Prober) probe(ctx context.Context, raw string, r Result) Result {
	resp, err := p.checker.Send(ctx, http.MethodGet, raw)
	if err != nil {
		r.Err = err
		return r
	}
	defer resp.Body.Close()
	r.Status = resp.StatusCode
	r.FinalURL = resp.Request.URL.String()
	r.Redirected = resp.Request.Response != nil
	r.ContentType = resp.Header.Get("Content-Type")
	if r.Status >= 300 && r.Status < 400 {
		if loc, err := resp.Location(); err == nil {
			r.Location = loc.String()
		}
	}

	// The limit applies to decoded bytes: net/http decodes gzip
	// transparently, so a bomb yields at most MaxBody bytes here.
	body := &countReader{r: resp.Body}
	limited := io.LimitReader(body, p.opts.MaxBody)
	if isHTML(r.ContentType) {
		// Title stops reading at the title's end, or where the head ends
		// without one: a slow or endless rest is never waited for.
		r.Title, r.TitleFound, err = Title(limited, r.ContentType)
		if err != nil {
			r.Err = err
		}
	}
	known := resp.ContentLength >= 0 && !resp.Uncompressed
	if known && resp.ContentLength-body.n <= drainMax && err == nil {
		// A small rest that has surely arrived: read it, so that the
		// connection can be reused.
		_, _ = io.Copy(io.Discard, limited)
	}
	// At MaxBody without the end, the body may go on: never wait to know.
	r.Truncated = !body.eof
	r.BodyRead = min(body.n, p.opts.MaxBody)
	if known {
		r.ContentLength, r.LengthFromHeader = resp.ContentLength, true
	} else {
		r.ContentLength = r.BodyRead
	}
	return r
}

// drainMax is the most body bytes read after the title, when the
// Content-Length says that is all there is.
const drainMax = 4 << 10

// countReader counts the bytes read and notes the end.
type countReader struct {
	r   io.Reader
	n   int64
	eof bool
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.eof = c.eof || err == io.EOF
	return n, err
}
