package httpcheck

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// serveConns listens on loopback and runs serve on each connection (which
// it then closes), until the test's cleanup, which waits for them.
func serveConns(tb testing.TB, serve func(c net.Conn)) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				serve(c)
			})
		}
	})
	return "http://" + ln.Addr().String()
}

// rawServer answers each request on a connection with answer(n), n
// counting the requests on that connection, then closes the connection
// if close(n).
func rawServer(t *testing.T, answer func(n int) string, closeAfter func(n int) bool) string {
	t.Helper()
	return serveConns(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for n := 1; ; n++ {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			if _, err := c.Write([]byte(answer(n))); err != nil || closeAfter(n) {
				return
			}
		}
	})
}

// The fast path keeps connections: many GETs (or HEADs), few connections.
func TestFastHeadKeepsConnections(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		site := sitetest.Start(t, demosite.Options{})
		c := newChecker(t, Options{Workers: 4, Method: method})
		if c.fast == nil {
			t.Fatal("no fast path for plain HTTP")
		}
		for i := range 50 {
			if r := c.Check(context.Background(), site.WikiURL("K"+string(rune('a'+i%26)))); r.Class != Exists || r.Method != method {
				t.Fatalf("%+v", r)
			}
		}
		if n := site.Stats().Conns; n > 2 {
			t.Fatalf("%s: %d connections for 50 sequential requests", method, n)
		}
		if p := site.Path("/wiki/Ka"); p.Last.Method != method {
			t.Fatalf("the server saw %s, want %s", p.Last.Method, method)
		}
	}
}

// A GET's body: a small one (by Content-Length or in chunks) is read and
// the connection kept; a long one, or one that runs to the connection's
// end, is not read and the connection is closed. Every answer is right.
func TestFastGetBodies(t *testing.T) {
	t.Parallel()
	small := strings.Repeat("x", 100)
	for _, c := range []struct {
		name, answer string
		keep         bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + small, true},
		{"length at the limit", "HTTP/1.1 200 OK\r\nContent-Length: 16384\r\n\r\n" + strings.Repeat("y", drainMax), true},
		{"chunked", "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n64;ext=1\r\n" + small + "\r\n1\r\nz\r\n0\r\nX-Trailer: 1\r\n\r\n", true},
		{"empty", "HTTP/1.1 204 No Content\r\n\r\n", true},
		{"long", "HTTP/1.1 200 OK\r\nContent-Length: 16385\r\n\r\n" + strings.Repeat("y", drainMax+1), false},
		{"long chunks", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4001\r\n" + strings.Repeat("y", drainMax+1) + "\r\n0\r\n\r\n", false},
		{"to the end", "HTTP/1.1 200 OK\r\n\r\n" + small, false},
	} {
		var conns sync.Map
		u := rawServer(t, func(n int) string { conns.Store(n, true); return c.answer }, func(int) bool { return !c.keep })
		ch := newChecker(t, Options{Retries: -1})
		for range 3 {
			if r := ch.Check(context.Background(), u+"/x"); r.Err != nil || r.Method != http.MethodGet || r.Status == 0 {
				t.Fatalf("%s: %+v", c.name, r)
			}
		}
		_, second := conns.Load(2) // a second request on one connection
		if second != c.keep {
			t.Errorf("%s: connection kept %v, want %v", c.name, second, c.keep)
		}
		if n := ch.fast.nIdle; (n == 1) != c.keep {
			t.Errorf("%s: %d idle connections", c.name, n)
		}
	}
}

// A server that closes a kept connection without saying so: the next
// request on it is made again on a new connection, as net/http does.
func TestFastHeadStaleConnection(t *testing.T) {
	t.Parallel()
	for method, answer := range map[string]string{http.MethodHead: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", http.MethodGet: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"} {
		u := rawServer(t, func(int) string { return answer }, func(int) bool { return true })
		c := newChecker(t, Options{Retries: -1, Method: method})
		for range 3 {
			if r := c.Check(context.Background(), u+"/x"); r.Class != Exists || r.Method != method {
				t.Fatalf("%+v", r)
			}
		}
	}
}

// Kept connections are bounded in all, whatever the number of hosts
// (issue 26, item 7): 100 servers (distinct host:port, as distinct hosts
// are to the pool) leave maxIdleTotal connections open, not 100.
func TestFastPathIdleBound(t *testing.T) {
	t.Parallel()
	c := newChecker(t, Options{Workers: 1})
	defer c.Close() // before the servers' cleanup, which waits for their connections
	const hosts = 100
	answer := func(int) string { return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" }
	for range hosts {
		u := rawServer(t, answer, func(int) bool { return false })
		if r := c.Check(context.Background(), u+"/x"); r.Class != Exists {
			t.Fatalf("%+v", r)
		}
	}
	c.fast.mu.Lock()
	n, keys := c.fast.nIdle, len(c.fast.idle)
	c.fast.mu.Unlock()
	if want := maxIdleTotal(1); n != want || keys != want {
		t.Fatalf("%d idle connections to %d hosts after %d hosts, want %d", n, keys, hosts, want)
	}
}

// What the fast path does not read goes to net/http: a header longer than
// its buffer, an HTTP/1.0 answer that closes, a 3xx to follow.
func TestFastHeadHandsOver(t *testing.T) {
	t.Parallel()
	long := "HTTP/1.1 200 OK\r\nX-Long: " + strings.Repeat("a", 8<<10) + "\r\nContent-Length: 0\r\n\r\n"
	u := rawServer(t, func(int) string { return long }, func(int) bool { return false })
	c := newChecker(t, Options{Retries: -1, Method: http.MethodHead})
	if r := c.Check(context.Background(), u+"/long"); r.Class != Exists {
		t.Fatalf("long header: %+v", r)
	}
	u = rawServer(t, func(int) string { return "HTTP/1.0 200 OK\r\n\r\n" }, func(int) bool { return true })
	for range 2 {
		if r := c.Check(context.Background(), u+"/old"); r.Class != Exists {
			t.Fatalf("HTTP/1.0: %+v", r)
		}
	}
	site := sitetest.Start(t, demosite.Options{})
	if r := c.Check(context.Background(), site.URL()+"/redirect/2"); r.Class != Exists {
		t.Fatalf("redirect: %+v", r)
	}
	if r := newChecker(t, Options{Redirects: -1}).Check(context.Background(), site.URL()+"/redirect/1"); r.Class != Redirect || r.Location != site.WikiURL("Redirected") {
		t.Fatalf("redirect off: %+v", r)
	}
}

// A HEAD that hangs ends with the timeout, once (not twice: the fast
// path's timeout is not made again by net/http), or at once when the
// context ends.
func TestFastHeadTimeoutAndCancel(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	c := newChecker(t, Options{Timeout: 300 * time.Millisecond, Retries: -1})
	start := time.Now()
	r := c.Check(context.Background(), site.URL()+"/hang")
	if el := time.Since(start); r.Class != Error || Reason(r.Err) != "timeout" || el > 550*time.Millisecond {
		t.Fatalf("%+v after %v", r, el)
	}
	c = newChecker(t, Options{Timeout: time.Minute, Retries: -1})
	ctx, cancel := context.WithCancel(context.Background())
	hangs := site.Hits("/hang")
	go func() { // cancel the request in flight
		defer cancel()
		proctest.Poll(func() bool { return site.Hits("/hang") > hangs })
	}()
	start = time.Now()
	r = c.Check(ctx, site.URL()+"/hang")
	if el := time.Since(start); !errors.Is(r.Err, context.Canceled) || el > 5*time.Second {
		t.Fatalf("%+v after %v", r, el)
	}
}

// The fast path is off where net/http must do the work: a proxy, a Host
// header, --per-host, TLS, user information, a non-ASCII host.
func TestFastHeadEligibility(t *testing.T) {
	h := http.Header{}
	h.Set("Host", "x")
	if newFastPath(Options{}, http.Header{}, "x", 10) != nil || newFastPath(Options{PerHost: 2}, http.Header{}, "", 10) != nil {
		t.Fatal("fast path with -H Host or --per-host")
	}
	f := newFastPath(Options{}, http.Header{}, "", 10)
	for raw, want := range map[string]string{"http://a/x": "a:80", "http://a:81/x": "a:81", "http://[::1]:8/x": "[::1]:8",
		"https://a/x": "", "http://u:p@a/x": "", "http://bücher.example/": "", "http://a:/x": ""} {
		u, err := ParseURL(raw)
		if err != nil {
			t.Fatal(err)
		}
		if hp, ok := f.eligible(u); hp != want || ok != (want != "") {
			t.Errorf("%s: %q %v, want %q", raw, hp, ok, want)
		}
	}
}
