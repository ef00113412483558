// Package probe answers, for one URL, what httpx-style probing tools
// answer: the status, the page's title, its type and size, where redirects
// led, and how long it took. It GETs the page and reads only as much of the
// body as the title needs, never more than a bounded prefix, whatever the
// server sends (endless bodies, gzip bombs, huge titles).
package probe

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/fanout-dev/fanout/internal/httpcheck"
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
	Truncated        bool  // the body was longer than MaxBody (or its end was not waited for)
	BodyRead         int64 // body bytes read, after gzip decoding; at most MaxBody
	Elapsed          time.Duration
	FinalURL         string // the URL answered, after redirects
	Redirected       bool   // FinalURL came from a redirect (else it is the input, as sent)
	Err              error  // no HTTP answer, or the body failed before the title ended
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

	// The limit applies to decoded bytes: net/http decodes gzip
	// transparently, so a bomb yields at most MaxBody bytes here.
	body := &countReader{r: io.LimitReader(resp.Body, p.opts.MaxBody+1)}
	limited := io.LimitReader(body, p.opts.MaxBody)
	r.Title, r.TitleFound, err = Title(limited, r.ContentType)
	if err != nil {
		r.Err, r.Truncated = err, true // the end of the body was not seen
	}
	if resp.ContentLength >= 0 && !resp.Uncompressed {
		r.ContentLength, r.LengthFromHeader = resp.ContentLength, true
		// Read a little more, so a small page's connection can be reused.
		io.Copy(io.Discard, io.LimitReader(body, 4<<10))
	} else if err == nil {
		// No length announced: count the body, up to MaxBody. A failure
		// now (a timeout on an endless body) only leaves the count short.
		_, err := io.Copy(io.Discard, limited)
		r.Truncated = err != nil
	}
	if body.n >= p.opts.MaxBody { // was that all?
		n, _ := body.Read(make([]byte, 1))
		r.Truncated = r.Truncated || n > 0
	}
	r.BodyRead = min(body.n, p.opts.MaxBody)
	if !r.LengthFromHeader {
		r.ContentLength = r.BodyRead
	}
	return r
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
