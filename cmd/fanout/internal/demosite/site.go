package demosite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAddr is the address Start listens on when Options.Addr is empty:
// an ephemeral port on the IPv4 loopback.
const DefaultAddr = "127.0.0.1:0"

// Defaults of the Options bounds on what a Site records.
const (
	DefaultTimesPerPath = 1024
	DefaultMaxPaths     = 10000
)

// Options configures a Site. The zero value is a site on 127.0.0.1 with an
// ephemeral port and no latency.
type Options struct {
	// Addr is the address to listen on, DefaultAddr if empty. It must be a
	// loopback address ("127.0.0.1:0", "[::1]:0", "localhost:8080"): the
	// site serves gzip bombs and endless bodies on purpose and must never
	// be reachable from another machine, so Start refuses anything else.
	Addr string

	// Latency is how long every request waits before it is answered, 0 for
	// none. A request overrides it with the query parameter latency
	// (?latency=250ms, any time.ParseDuration value). The index page "/"
	// never waits. The wait ends early, and the response is aborted, when
	// the client goes away or the site closes.
	Latency time.Duration

	// TimesPerPath bounds the arrival times PathStats keeps for each path
	// (and Traffic for the whole site): the most recent ones are kept.
	// 0 means DefaultTimesPerPath, a negative value keeps none.
	TimesPerPath int

	// MaxPaths bounds how many distinct paths the site keeps statistics
	// for, so a benchmark over millions of URLs runs in bounded memory.
	// Requests to paths beyond the bound are counted in Stats.Requests,
	// Stats.Routes and Stats.Untracked but not in Hits or Path.
	// 0 means DefaultMaxPaths.
	MaxPaths int

	// ErrorLog receives the http.Server's own error messages. Nil discards
	// them: the site provokes connection errors on purpose.
	ErrorLog *log.Logger
}

// Site is a running simulated website on loopback. Its methods are safe for
// concurrent use.
type Site struct {
	opts     Options
	ln       net.Listener
	srv      *http.Server
	url      string
	ctx      context.Context // parent of every request's context; cancelled by Close
	cancel   context.CancelFunc
	served   chan struct{} // closed when srv.Serve has returned
	serveErr error

	handlers  sync.WaitGroup // running handlers, hijacked ones included
	closeOnce sync.Once
	conns     atomic.Int64

	mu        sync.Mutex // guards everything below
	closing   bool
	active    int64
	total     int64
	untracked int64
	routes    [numRoutes]int64
	all       pathRecord
	paths     map[string]*pathRecord
	flaky     map[string]int
}

// Start listens on opts.Addr (DefaultAddr if empty) and serves the site in
// the background until Close.
func Start(opts Options) (*Site, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	addr, err := loopbackAddr(opts.Addr)
	if err != nil {
		return nil, err
	}
	if opts.TimesPerPath == 0 {
		opts.TimesPerPath = DefaultTimesPerPath
	}
	if opts.MaxPaths <= 0 {
		opts.MaxPaths = DefaultMaxPaths
	}
	if opts.Latency < 0 {
		return nil, fmt.Errorf("demosite: negative latency %v", opts.Latency)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("demosite: %w", err)
	}
	s := &Site{
		opts:   opts,
		ln:     ln,
		url:    "http://" + ln.Addr().String(),
		served: make(chan struct{}),
		paths:  make(map[string]*pathRecord),
		flaky:  make(map[string]int),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	errorLog := opts.ErrorLog
	if errorLog == nil {
		errorLog = log.New(io.Discard, "", 0)
	}
	s.srv = &http.Server{
		Handler:     http.HandlerFunc(s.serveHTTP),
		ErrorLog:    errorLog,
		BaseContext: func(net.Listener) context.Context { return s.ctx },
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.conns.Add(1)
			}
		},
	}
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
		}
	}()
	return s, nil
}

// lookupIP resolves a host name; tests replace it, to resolve no name
// outside /etc/hosts.
var lookupIP = net.DefaultResolver.LookupIPAddr

// loopbackAddr is addr with its host resolved to an address to listen on,
// or an error unless every address the host resolves to is on loopback: a
// name is only as local as its resolution (/etc/hosts or DNS may map
// localhost, or any name, elsewhere). The site listens on the address
// checked, so the name is not resolved again.
func loopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("demosite: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(strings.SplitN(host, "%", 2)[0]); ip != nil { // a zone is cut off
		if !ip.IsLoopback() {
			return "", fmt.Errorf("demosite: address %q: %w", addr, ErrNotLoopback)
		}
		return addr, nil
	}
	if host == "" {
		return "", fmt.Errorf("demosite: address %q (every interface): %w", addr, ErrNotLoopback)
	}
	ips, err := lookupIP(context.Background(), host)
	if err != nil {
		return "", fmt.Errorf("demosite: address %q: %w", addr, err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return "", fmt.Errorf("demosite: address %q: %s resolves to %s: %w", addr, host, ip.IP, ErrNotLoopback)
		}
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("demosite: address %q: %s resolves to nothing", addr, host)
	}
	ip := ips[0].IP
	for _, a := range ips { // IPv4 first, as net.Listen would take it
		if a.IP.To4() != nil {
			ip = a.IP
			break
		}
	}
	return net.JoinHostPort(ip.String(), port), nil
}

// ErrNotLoopback is matched by Start's error for an address that is not
// (or resolves to an address that is not) on loopback.
var ErrNotLoopback = errors.New("not a loopback address")

// URL is the site's base URL, like "http://127.0.0.1:40123" or
// "http://[::1]:40123", without a trailing slash.
func (s *Site) URL() string { return s.url }

// Addr is the address the site listens on, like "127.0.0.1:40123", for
// tests that dial it with net.Dial.
func (s *Site) Addr() string { return s.ln.Addr().String() }

// WikiURL is URL()+"/wiki/"+name. The name is used as given: escape it
// (url.PathEscape) if it holds characters that are not valid in a path.
func (s *Site) WikiURL(name string) string { return s.url + "/wiki/" + name }

// Close stops the site: it stops listening, ends every request in flight
// (handlers waiting on a latency, /hang, /endless, /trickle and the other
// slow routes return at once, and their clients see the connection close),
// and waits until every handler, hijacked connections included, has
// returned. Close is abrupt rather than graceful on purpose: a test's
// cleanup must not wait for an endless body. Calls after the first return
// the first call's result.
func (s *Site) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true // no handler starts from now on
		s.mu.Unlock()
		s.cancel()
		closeErr := s.srv.Close()
		s.handlers.Wait()
		<-s.served
		s.serveErr = errors.Join(s.serveErr, closeErr)
	})
	return s.serveErr
}

// serveHTTP is the site's router. Site is not an http.Handler on purpose:
// the slow routes depend on the Site's lifetime (Close ends them), so the
// site is only served by Start.
func (s *Site) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rt, arg := route(r.URL.Path)
	if !s.begin(rt, r) {
		panic(http.ErrAbortHandler) // closing
	}
	defer s.end()

	var q url.Values
	if r.URL.RawQuery != "" {
		q = r.URL.Query()
	}
	if rt != routeMethod && r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header()["Allow"] = allowGetHead
		writeText(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: the site answers GET and HEAD\n")
		return
	}
	if rt != routeIndex {
		d := s.opts.Latency
		if v := q.Get("latency"); v != "" {
			var err error
			if d, err = parseDuration(v); err != nil {
				writeText(w, http.StatusBadRequest, "latency: "+err.Error()+"\n")
				return
			}
		}
		if d > 0 && !sleep(r.Context(), d) {
			panic(http.ErrAbortHandler) // client gone or site closed
		}
	}
	handlers[rt](s, w, r, arg, q)
}

// begin records a request and registers its handler, unless the site is
// closing.
func (s *Site) begin(rt routeID, r *http.Request) bool {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.handlers.Add(1)
	s.active++
	s.total++
	s.routes[rt]++
	keep := s.opts.TimesPerPath
	s.all.record(now, r, keep)
	p := s.paths[r.URL.Path]
	if p == nil {
		if len(s.paths) >= s.opts.MaxPaths {
			s.untracked++
			return true
		}
		p = new(pathRecord)
		s.paths[r.URL.Path] = p
	}
	p.record(now, r, keep)
	return true
}

func (s *Site) end() {
	s.mu.Lock()
	s.active--
	s.mu.Unlock()
	s.handlers.Done()
}

// sleep waits for d or until ctx is done, and reports whether it waited the
// whole d.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
