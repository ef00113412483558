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
)

// rawServer answers each request on a connection with answer(n), n
// counting the requests on that connection, then closes the connection
// if close(n).
func rawServer(t *testing.T, answer func(n int) string, closeAfter func(n int) bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
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
	})
	return "http://" + ln.Addr().String()
}

// The fast path keeps connections: many HEADs, few connections.
func TestFastHeadKeepsConnections(t *testing.T) {
	t.Parallel()
	site := startSite(t)
	c := newChecker(t, Options{Workers: 4})
	if c.fast == nil {
		t.Fatal("no fast path for plain HTTP")
	}
	for i := range 50 {
		if r := c.Check(context.Background(), site.WikiURL("K"+string(rune('a'+i%26)))); r.Class != Exists || r.Method != http.MethodHead {
			t.Fatalf("%+v", r)
		}
	}
	if n := site.Stats().Conns; n > 2 {
		t.Fatalf("%d connections for 50 sequential HEADs", n)
	}
}

// A server that closes a kept connection without saying so: the next
// HEAD on it is made again on a new connection, as net/http does.
func TestFastHeadStaleConnection(t *testing.T) {
	t.Parallel()
	u := rawServer(t, func(int) string { return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" }, func(int) bool { return true })
	c := newChecker(t, Options{Retries: -1})
	for range 3 {
		if r := c.Check(context.Background(), u+"/x"); r.Class != Exists || r.Method != http.MethodHead {
			t.Fatalf("%+v", r)
		}
	}
}

// What the fast path does not read goes to net/http: a header longer than
// its buffer, an HTTP/1.0 answer that closes, a 3xx to follow.
func TestFastHeadHandsOver(t *testing.T) {
	t.Parallel()
	long := "HTTP/1.1 200 OK\r\nX-Long: " + strings.Repeat("a", 8<<10) + "\r\nContent-Length: 0\r\n\r\n"
	u := rawServer(t, func(int) string { return long }, func(int) bool { return false })
	c := newChecker(t, Options{Retries: -1})
	if r := c.Check(context.Background(), u+"/long"); r.Class != Exists {
		t.Fatalf("long header: %+v", r)
	}
	u = rawServer(t, func(int) string { return "HTTP/1.0 200 OK\r\n\r\n" }, func(int) bool { return true })
	for range 2 {
		if r := c.Check(context.Background(), u+"/old"); r.Class != Exists {
			t.Fatalf("HTTP/1.0: %+v", r)
		}
	}
	site := startSite(t)
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
	site := startSite(t)
	c := newChecker(t, Options{Timeout: 300 * time.Millisecond, Retries: -1})
	start := time.Now()
	r := c.Check(context.Background(), site.URL()+"/hang")
	if el := time.Since(start); r.Class != Error || Reason(r.Err) != "timeout" || el > 550*time.Millisecond {
		t.Fatalf("%+v after %v", r, el)
	}
	c = newChecker(t, Options{Timeout: time.Minute, Retries: -1})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
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
	if newFastHead(Options{}, http.Header{}, "x", 10) != nil || newFastHead(Options{PerHost: 2}, http.Header{}, "", 10) != nil {
		t.Fatal("fast path with -H Host or --per-host")
	}
	f := newFastHead(Options{}, http.Header{}, "", 10)
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
