// Package httpcheck answers the tutorials' question for one URL: does the
// page exist? It classifies the answer into the words fanout prints and
// does it cheaply: one GET per URL (through a fast path of its own for
// plain HTTP), reading the header and at most a small body, never more.
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

	"github.com/fanout-dev/fanout"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/version"
)

// Class is the verdict on one URL, in the words the seed program prints.
type Class string

const (
	Exists       Class = "exists"         // 2xx after redirects
	Redirect     Class = "redirect"       // 3xx not followed (--max-redirects 0, or no Location)
	NotExists    Class = "does not exist" // 404, 410
	Blocked      Class = "blocked"        // 401, 403
	RateLimited  Class = "rate-limited"   // 429
	Unknown      Class = "unknown"        // any other status
	Error        Class = "error"          // no HTTP answer: malformed URL, DNS, refused, timeout, TLS
	maxRedirects       = 10
	// drainMax is the most body bytes a check reads (and drops) so that
	// the connection serves another request; a longer body costs the
	// connection instead (measured in docs/benchmarks.md).
	drainMax = 16 << 10
)

// Classes lists every class in the order summaries print them.
var Classes = []Class{Exists, Redirect, NotExists, Blocked, RateLimited, Unknown, Error}

// Classify maps an HTTP status to its class.
func Classify(status int) Class {
	switch {
	case status >= 200 && status < 300:
		return Exists
	case status >= 300 && status < 400:
		return Redirect
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
	URL      string
	Status   int // 0 when there was no HTTP answer
	Class    Class
	Err      error  // set when Class is Error
	Location string // a 3xx answer's Location, resolved against the URL requested
	// Requested is the URL requested when the input was a bare host
	// (example.org became https://example.org or http://example.org);
	// "" when the input was requested as it is.
	Requested string
	Method    string
	Elapsed   time.Duration
}

// Word is the text after "URL - " in the seed's output line: "exists",
// "blocked (HTTP 403)", "redirect (HTTP 301 -> https://x/)", "error:
// connection refused".
func (r Result) Word() string {
	switch r.Class {
	case Exists, NotExists:
		return string(r.Class)
	case Error:
		return "error: " + Reason(r.Err)
	}
	if r.Location != "" {
		return fmt.Sprintf("%s (HTTP %d -> %s)", r.Class, r.Status, r.Location)
	}
	return fmt.Sprintf("%s (HTTP %d)", r.Class, r.Status)
}

// Checker checks URLs with one shared client. Its zero value is not usable:
// use New.
type Checker struct {
	client    *http.Client
	header    http.Header // every request's header: User-Agent and -H; shared, never modified
	extra     []string    // -H's names, but the User-Agent: kept to the origin (keepToOrigin)
	host      string      // -H "Host: name": Request.Host, as curl sends it
	scheme    string      // for bare hosts; see ParseTarget
	headFirst bool        // Options.Method is HEAD
	retries   int
	budget    time.Duration // of one URL, for Retry-After; 0 means none
	limits    *hostLimits
	auto      *fanout.Limiter
	fast      *fastPath // nil when the options leave it nothing to do
}

// Options configure a Checker.
type Options struct {
	Workers   int           // sizes the connection pool; at least 1
	Timeout   time.Duration // per request, redirects included; 0 means none
	Insecure  bool          // skip TLS verification
	UserAgent string        // default "fanout/<version>"
	// Header holds extra headers for every request. A Host header sets
	// the request's Host (a virtual host on the server the URL names),
	// as curl -H "Host: name" does.
	Header    http.Header
	Redirects int     // most redirects followed; 0 means 10, negative none (a 3xx is then the answer)
	Retries   int     // further attempts after a 429, 502-504 or a broken connection
	Rate      float64 // most requests per second to one host; 0 means no limit
	PerHost   int     // most connections to one host at once; 0 means no limit
	Scheme    string  // for inputs without a scheme: "" tries https then http; "http" or "https" only that
	// Method is "HEAD" to ask with HEAD first and confirm any answer
	// but a 2xx with a GET (see Check); otherwise ("" or "GET") one GET
	// per URL, as the tutorials, lychee and httpx do.
	Method string
	// Limiter, if set, bounds each host's requests in flight by what the
	// host takes (--workers auto); requests beyond it wait their turn.
	Limiter *fanout.Limiter
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
	t.MaxIdleConns = maxIdleTotal(o.Workers) // the least recently used go first
	t.MaxIdleConnsPerHost = o.Workers
	t.MaxConnsPerHost = max(o.PerHost, 0) // requests beyond it wait for a connection
	t.ForceAttemptHTTP2 = true
	if !proxyConfigured() {
		t.Proxy = nil // no per-request look-up when no variable names a proxy
	}
	if o.Insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it
	}
	redirects := o.Redirects
	if redirects == 0 {
		redirects = maxRedirects
	}
	h := http.Header{}
	host := ""
	for k, vs := range o.Header {
		if http.CanonicalHeaderKey(k) == "Host" {
			if len(vs) > 0 {
				host = vs[len(vs)-1]
			}
			continue
		}
		h[http.CanonicalHeaderKey(k)] = vs
	}
	var extra []string // -H's names, but the User-Agent: kept to the origin (keepToOrigin)
	for k := range h {
		if k != "User-Agent" {
			extra = append(extra, k)
		}
	}
	if o.UserAgent != "" {
		h.Set("User-Agent", o.UserAgent)
	} else if h.Get("User-Agent") == "" {
		h.Set("User-Agent", "fanout/"+version.Short())
	}
	c := &http.Client{
		Transport: t,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			// via holds the requests made so far: following this redirect
			// makes it redirect number len(via).
			if redirects < 0 {
				return http.ErrUseLastResponse // the 3xx is the answer, as httpx shows it
			}
			// The first hop may have been the fast path's: then the
			// chain started at the URL it asked for.
			first, hops := via[0].URL, len(via)
			if u, ok := req.Context().Value(firstHopKey{}).(*url.URL); ok {
				first, hops = u, hops+1
			}
			if hops > redirects {
				return errRedirectPolicy{fmt.Errorf("stopped after %d redirects", redirects)}
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return errRedirectPolicy{fmt.Errorf("redirect to unsupported scheme %q", req.URL.Scheme)}
			}
			keepToOrigin(req, first, h, extra)
			return nil
		},
	}
	retries := max(o.Retries, 0)
	return &Checker{client: c, header: h, host: host, scheme: o.Scheme, headFirst: strings.EqualFold(o.Method, http.MethodHead), retries: retries,
		budget: o.Timeout * time.Duration(retries+1), limits: newHostLimits(o.Rate), auto: o.Limiter, extra: extra,
		fast: newFastPath(o, h, host, redirects)}
}

// maxIdleTotal bounds the idle connections kept to all hosts together:
// enough for every worker to find one to a host it just used, and a
// bound on memory and open files however many hosts a run meets.
func maxIdleTotal(workers int) int { return max(2*workers, 64) }

// keepToOrigin sends the -H headers (credentials or not) to the origin of
// the first request (scheme, host and port) only, as curl does for
// --location without --location-trusted since 7.58 (CVE-2018-1000007)
// and 7.83 (CVE-2022-27776: another port or scheme). net/http drops
// Authorization and Cookie only for another domain, keeps them for
// another port, and sends every other header anywhere; once dropped they
// stay dropped, so a chain back to the origin gets them again here.
func keepToOrigin(req *http.Request, origin *url.URL, header http.Header, extra []string) {
	same := sameOrigin(req.URL, origin)
	for _, k := range extra {
		if same {
			req.Header[k] = header[k]
		} else {
			delete(req.Header, k)
		}
	}
}

// sameOrigin reports whether a and b have one origin: scheme, host and
// port, the scheme's default port standing for an absent one.
func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if u.Scheme == "https" {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// Close releases idle connections.
func (c *Checker) Close() {
	c.client.CloseIdleConnections()
	c.fast.close()
}

// answer is what one request brought back.
type answer struct {
	status     int
	retryAfter time.Duration // a 429's or 503's Retry-After
	location   string        // a 3xx's Location
	follow     bool          // the fast path's 3xx, for net/http to follow from location
}

// Check answers whether raw exists with one GET, which reads the header
// and at most a small body: one round trip, and the answer a browser
// gets. With Options.Method HEAD: HEAD, then GET whenever HEAD's answer is
// not a 2xx (servers exist whose HEAD says 404 or 500 while GET serves the
// page: broken-link-checker#145, linkcheck#8, django-linkcheck#224) or
// HEAD failed without an answer other than a timeout; the GET's answer
// wins. Retries follow the policy in retry.go.
func (c *Checker) Check(ctx context.Context, raw string) Result {
	start := time.Now()
	r := Result{URL: raw}
	t, err := ParseTarget(raw, c.scheme)
	if err != nil {
		r.Class, r.Err, r.Elapsed = Error, err, time.Since(start)
		return r
	}
	var a answer
	method := http.MethodGet
	if c.headFirst {
		method = http.MethodHead
	}
	for attempt := 0; ; attempt++ {
		a, err = c.try(ctx, method, &t)
		if method == http.MethodHead && needsGET(ctx, a, err) {
			method = http.MethodGet // for this attempt and every retry
			if wait, ok := c.retryWait(ctx, attempt, a, err, start); ok {
				// A retry will come anyway: make it the GET, after the
				// wait, rather than GET a server that asked to wait.
				if sleep(ctx, wait) != nil {
					break
				}
				continue
			}
			a, err = c.try(ctx, method, &t)
		}
		wait, ok := c.retryWait(ctx, attempt, a, err, start)
		if !ok || sleep(ctx, wait) != nil {
			break
		}
	}
	r.Method = method
	r.Elapsed = time.Since(start)
	if t.Bare {
		r.Requested = t.URL.String()
	}
	if err != nil {
		r.Class, r.Err = Error, err
		return r
	}
	r.Status, r.Class, r.Location = a.status, Classify(a.status), a.location
	return r
}

// needsGET reports whether a HEAD's outcome must be confirmed with a GET:
// any answer but a 2xx, and any failure but a timeout, a refused redirect
// or the end of ctx (a GET would fare no better).
func needsGET(ctx context.Context, a answer, err error) bool {
	if err != nil {
		return ctx.Err() == nil && !isTimeout(err) && !isRedirectPolicy(err)
	}
	return a.status < 200 || a.status > 299
}

// try makes one request to t, falling back from https to http once for
// a bare host that https did not answer: from then on t is the http URL.
func (c *Checker) try(ctx context.Context, method string, t *Target) (answer, error) {
	a, err := c.do(ctx, method, t.URL)
	if err != nil && t.Fallback != nil && ctx.Err() == nil {
		t.URL, t.Fallback = t.Fallback, nil
		var err2 error
		if a, err2 = c.do(ctx, method, t.URL); err2 != nil {
			return a, &fallbackError{https: err, http: err2}
		}
		return a, nil
	}
	return a, err
}

// newRequest builds a request for u, already parsed, with the Checker's
// headers and Host.
func (c *Checker) newRequest(ctx context.Context, method string, u *url.URL) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, "", nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedURL, err)
	}
	req.URL = u
	req.Host = u.Host
	if c.host != "" {
		req.Host = c.host
	}
	req.Header = c.header
	return req, nil
}

// do makes one request and returns its answer.
func (c *Checker) do(ctx context.Context, method string, u *url.URL) (a answer, err error) {
	p, err := acquire(ctx, c.auto, u.Host)
	if err != nil {
		return answer{}, err
	}
	defer func() { release(p, a, err, c.budget) }()
	client := c.client
	var first *url.URL // set when u is the Location of a redirect the fast path got for first
	if hostport, ok := c.fast.eligible(u); ok {
		if err := c.limits.wait(ctx, u.Host); err != nil {
			return answer{}, err
		}
		start := time.Now()
		a, err := c.fast.do(ctx, method, u, hostport)
		switch {
		case errors.Is(err, errNotFast):
		case err != nil || !a.follow:
			return a, err
		default:
			// net/http goes on from the Location rather than ask for u
			// again: the first hop counts, and the time it took.
			next, perr := url.Parse(a.location) // made by the fast path from a parsed URL
			if perr != nil {
				return a, nil
			}
			if next.Scheme != "http" && next.Scheme != "https" {
				return answer{}, &url.Error{Op: method, URL: u.String(),
					Err: errRedirectPolicy{fmt.Errorf("redirect to unsupported scheme %q", next.Scheme)}}
			}
			first, u = u, next
			if client.Timeout > 0 {
				// The timeout is the whole chain's, as net/http counts it.
				left := client.Timeout - time.Since(start)
				if left <= 0 {
					return answer{}, &url.Error{Op: method, URL: first.String(), Err: os.ErrDeadlineExceeded}
				}
				cc := *client
				cc.Timeout = left
				client = &cc
			}
		}
	}
	req, err := c.newRequest(ctx, method, u)
	if err != nil {
		return answer{}, err
	}
	if first != nil {
		req = req.WithContext(context.WithValue(ctx, firstHopKey{}, first))
		req.Header = req.Header.Clone()
		keepToOrigin(req, first, c.header, c.extra)
	}
	if err := c.limits.wait(ctx, u.Host); err != nil {
		return answer{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	if resp.ContentLength <= drainMax {
		// Read a small body, so the connection can be reused, and never
		// more: a page that never ends must not hold the worker.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainMax))
	}
	resp.Body.Close()
	return answerOf(resp), nil
}

// answerOf reads what Check keeps of a response.
func answerOf(resp *http.Response) answer {
	a := answer{status: resp.StatusCode}
	switch {
	case a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable:
		a.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case a.status >= 300 && a.status < 400:
		if loc, err := resp.Location(); err == nil {
			a.location = loc.String()
		}
	}
	return a
}

// firstHopKey is the context key of a request made for the Location of a
// redirect the fast path got: its value is the URL the chain started at.
type firstHopKey struct{}

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
	var fbErr *fallbackError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &fbErr):
		h, p := Reason(fbErr.https), Reason(fbErr.http)
		if h == p {
			return h
		}
		return "https: " + h + "; http: " + p
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

// proxyConfigured reports whether the environment names a proxy, as
// http.ProxyFromEnvironment reads it.
func proxyConfigured() bool {
	for _, v := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}
