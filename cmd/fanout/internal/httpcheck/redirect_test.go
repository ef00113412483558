package httpcheck

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// -H headers, credentials or not, go to the first request's origin only
// (scheme, host, port), as curl does for --location since 7.58
// (CVE-2018-1000007) and 7.83 (CVE-2022-27776: another port): two
// loopback servers on two ports, the same host. net/http alone sent
// Authorization and Cookie to the other port, and X-Api-Key anywhere
// (issue 26, item 14). Back at the origin they are sent again, as curl
// does; the User-Agent goes everywhere. curl 7.88.1 on this machine
// ("Clear auth, redirects to port from A to B") drops Authorization and
// Cookie but still sends X-Api-Key to the other port: fanout drops every
// -H (README's "Where fanout differs").
func TestHeadersKeptToTheOrigin(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]http.Header{}
	record := func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Host+r.URL.Path] = r.Header.Clone()
		mu.Unlock()
	}
	var a, b *httptest.Server
	a = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(w, r)
		switch r.URL.Path {
		case "/to-b":
			http.Redirect(w, r, b.URL+"/landed", http.StatusFound)
		case "/to-a":
			http.Redirect(w, r, "/landed", http.StatusFound)
		case "/via-b":
			http.Redirect(w, r, b.URL+"/back", http.StatusFound)
		}
	}))
	defer a.Close()
	b = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(w, r)
		if r.URL.Path == "/back" {
			http.Redirect(w, r, a.URL+"/home", http.StatusFound)
		}
	}))
	defer b.Close()
	h := http.Header{}
	for _, k := range []string{"Authorization", "Cookie", "Proxy-Authorization", "X-Api-Key"} {
		h.Set(k, "secret")
	}
	c := newChecker(t, Options{Header: h, UserAgent: "ua"})
	for _, path := range []string{"/to-b", "/to-a", "/via-b"} {
		if r := c.Check(context.Background(), a.URL+path); r.Class != Exists {
			t.Fatalf("%s: %+v", path, r)
		}
	}
	host := func(s *httptest.Server) string { return s.Listener.Addr().String() }
	mu.Lock()
	defer mu.Unlock()
	for where, want := range map[string]bool{
		host(a) + "/to-b": true, host(b) + "/landed": false,
		host(a) + "/landed": true,
		host(b) + "/back":   false, host(a) + "/home": true,
	} {
		got := seen[where]
		if got == nil {
			t.Fatalf("%s: no request", where)
		}
		for k := range h {
			if (got.Get(k) == "secret") != want {
				t.Errorf("%s: %s sent %v, want %v", where, k, got.Get(k) != "", want)
			}
		}
		if got.Get("User-Agent") != "ua" {
			t.Errorf("%s: User-Agent %q", where, got.Get("User-Agent"))
		}
	}
}

// A redirect costs one request per hop: the fast path's 3xx is not asked
// for again by net/http, which goes on from its Location (issue 27 left
// it asked twice). The chain's length still counts that first hop
// (--max-redirects), -H still stays with the first URL's origin (above),
// and a Location of another scheme is refused without a request.
func TestRedirectFirstHopAskedOnce(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	hits := map[string]int{}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/one":
			http.Redirect(w, r, "/landed", http.StatusMovedPermanently)
		case "/three":
			http.Redirect(w, r, srv.URL+"/two", http.StatusFound)
		case "/two":
			http.Redirect(w, r, "/one", http.StatusFound)
		case "/ftp":
			http.Redirect(w, r, "ftp://127.0.0.1/x", http.StatusFound)
		}
	}))
	defer srv.Close()
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		c := newChecker(t, Options{Method: method, Retries: -1, Redirects: 3})
		if r := c.Check(context.Background(), srv.URL+"/three"); r.Class != Exists {
			t.Fatalf("%s /three: %+v", method, r)
		}
		short := newChecker(t, Options{Method: method, Retries: -1, Redirects: 2})
		if r := short.Check(context.Background(), srv.URL+"/three"); r.Class != Error || Reason(r.Err) != "stopped after 2 redirects" {
			t.Fatalf("%s /three at --max-redirects 2: %+v (%s)", method, r, Reason(r.Err))
		}
		if r := c.Check(context.Background(), srv.URL+"/ftp"); r.Class != Error || Reason(r.Err) != `redirect to unsupported scheme "ftp"` {
			t.Fatalf("%s /ftp: %+v (%s)", method, r, Reason(r.Err))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// Two methods, and /three twice each (the second stopped at /landed).
	for path, want := range map[string]int{"/three": 4, "/two": 4, "/one": 4, "/landed": 2, "/ftp": 2} {
		if hits[path] != want {
			t.Errorf("%s asked %d times, want %d (all: %v)", path, hits[path], want, hits)
		}
	}
}
