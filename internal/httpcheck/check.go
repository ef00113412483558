// Package httpcheck answers the tutorials' question for one URL: does the
// page exist? It classifies the answer into the six words fanout prints and
// does it cheaply: HEAD first, GET only when HEAD is refused, and never more
// than a small prefix of a body.
package httpcheck

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/fanout-dev/fanout/internal/version"
)

// Class is the verdict on one URL, in the words the seed program prints.
type Class string

const (
	Exists       Class = "exists"         // 2xx after redirects
	NotExists    Class = "does not exist" // 404, 410
	Blocked      Class = "blocked"        // 401, 403
	RateLimited  Class = "rate-limited"   // 429
	Unknown      Class = "unknown"        // any other status
	Error        Class = "error"          // no HTTP answer: malformed URL, DNS, refused, timeout, TLS
	bodyPrefix         = 4 << 10          // most a GET fallback reads
	maxRedirects       = 10
)

// Classes lists every class in the order summaries print them.
var Classes = []Class{Exists, NotExists, Blocked, RateLimited, Unknown, Error}

// Classify maps an HTTP status to its class.
func Classify(status int) Class {
	switch {
	case status >= 200 && status < 300:
		return Exists
	case status == http.StatusNotFound || status == http.StatusGone:
		return NotExists
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return Blocked
	case status == http.StatusTooManyRequests:
		return RateLimited
	}
	return Unknown
}

// Result is what Check found.
type Result struct {
	URL     string
	Status  int // 0 when there was no HTTP answer
	Class   Class
	Err     error // set when Class is Error
	Method  string
	Elapsed time.Duration
}

// Word is the text after "URL - " in the seed's output line: "exists",
// "blocked (HTTP 403)", "error: connection refused".
func (r Result) Word() string {
	switch r.Class {
	case Exists, NotExists:
		return string(r.Class)
	case Error:
		return "error: " + Reason(r.Err)
	}
	return fmt.Sprintf("%s (HTTP %d)", r.Class, r.Status)
}

// ErrMalformedURL is matched by the error of a URL Check cannot request.
var ErrMalformedURL = errors.New("malformed URL")

// Checker checks URLs with one shared client. Its zero value is not usable:
// use New.
type Checker struct {
	client    *http.Client
	userAgent string
	header    http.Header
	retries   int
	limits    *hostLimits
}

// Options configure a Checker.
type Options struct {
	Workers   int           // sizes the connection pool; at least 1
	Timeout   time.Duration // per request, redirects included; 0 means none
	Insecure  bool          // skip TLS verification
	UserAgent string        // default "fanout/<version>"
	Header    http.Header   // extra headers on every request
	Redirects int           // most redirects followed; 0 means 10, negative none
	Retries   int           // further attempts after a 429, 502-504 or a broken connection
	Rate      float64       // most requests per second to one host; 0 means no limit
	PerHost   int           // most connections to one host at once; 0 means no limit
}

// New returns a Checker whose transport keeps a keep-alive connection per
// worker and host, offers HTTP/2 over TLS, and takes proxies from the
// environment: one client, safe to share, instead of the tutorials'
// session per thread.
func New(o Options) *Checker {
	if o.Workers < 1 {
		o.Workers = 1
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 0 // no global cap; per host below
	t.MaxIdleConnsPerHost = o.Workers
	t.MaxConnsPerHost = max(o.PerHost, 0) // requests beyond it wait for a connection
	t.ForceAttemptHTTP2 = true
	if o.Insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it
	}
	redirects := o.Redirects
	if redirects == 0 {
		redirects = maxRedirects
	}
	c := &http.Client{
		Transport: t,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			// via holds the requests made so far: following this redirect
			// makes it redirect number len(via).
			if redirects < 0 {
				return errRedirectPolicy{errors.New("redirect not followed (--max-redirects 0)")}
			}
			if len(via) > redirects {
				return errRedirectPolicy{fmt.Errorf("stopped after %d redirects", redirects)}
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return errRedirectPolicy{fmt.Errorf("redirect to unsupported scheme %q", req.URL.Scheme)}
			}
			return nil
		},
	}
	ua := o.UserAgent
	if ua == "" {
		ua = "fanout/" + version.Short()
	}
	return &Checker{client: c, userAgent: ua, header: o.Header, retries: max(o.Retries, 0), limits: newHostLimits(o.Rate)}
}

// Close releases idle connections.
func (c *Checker) Close() { c.client.CloseIdleConnections() }

// ParseURL validates one input line as an http(s) URL.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedURL, unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: unsupported scheme %q (want http or https)", ErrMalformedURL, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w: no host", ErrMalformedURL)
	}
	return u, nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Check answers whether raw exists: HEAD, then GET when the server refuses
// HEAD (405, 501) or HEAD fails without an answer.
func (c *Checker) Check(ctx context.Context, raw string) Result {
	start := time.Now()
	r := Result{URL: raw}
	u, err := ParseURL(raw)
	if err != nil {
		r.Class, r.Err = Error, err
		return r
	}
	var status int
	for attempt := 0; ; attempt++ {
		var retryAfter time.Duration
		r.Method = http.MethodHead
		status, retryAfter, err = c.do(ctx, http.MethodHead, u)
		if (err != nil && ctx.Err() == nil && !isTimeout(err) && !isRedirectPolicy(err)) || status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented {
			r.Method = http.MethodGet
			status, retryAfter, err = c.do(ctx, http.MethodGet, u)
		}
		if attempt >= c.retries || !retryable(ctx, status, err) {
			break
		}
		if sleep(ctx, backoff(attempt, retryAfter)) != nil {
			break
		}
	}
	r.Elapsed = time.Since(start)
	if err != nil {
		r.Class, r.Err = Error, err
		return r
	}
	r.Status, r.Class = status, Classify(status)
	return r
}

// do makes one request and returns its status and Retry-After wait.
func (c *Checker) do(ctx context.Context, method string, u *url.URL) (int, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrMalformedURL, err)
	}
	if err := c.limits.wait(ctx, u.Host); err != nil {
		return 0, 0, err
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	// Read a little, so the connection can be reused for small pages, and
	// never more: a page that never ends must not hold the worker.
	io.Copy(io.Discard, io.LimitReader(resp.Body, bodyPrefix))
	resp.Body.Close()
	var wait time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		wait = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return resp.StatusCode, wait, nil
}

// errRedirectPolicy marks a redirect the client refused to follow.
type errRedirectPolicy struct{ error }

func isRedirectPolicy(err error) bool {
	var e errRedirectPolicy
	return errors.As(err, &e)
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// Reason says in a few words why a request got no HTTP answer.
func Reason(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrMalformedURL):
		return err.Error()
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case isTimeout(err):
		return "timeout"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "DNS: no such host"
		}
		return "DNS: " + dnsErr.Err
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &certErr):
		return "TLS: " + certErr.Err.Error()
	case errors.As(err, &recErr):
		return "TLS: server did not answer in TLS"
	case isEOF(err):
		return "connection closed by server"
	}
	msg := unwrapURLError(err).Error()
	return strings.TrimSpace(msg)
}
