package demosite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

func TestStartDefaults(t *testing.T) {
	s := startSite(t, Options{})
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || strings.HasSuffix(s.URL(), ":0") {
		t.Errorf("URL() = %q, want http://127.0.0.1:<port>", s.URL())
	}
	if got, want := "http://"+s.Addr(), s.URL(); got != want {
		t.Errorf("Addr() = %q, URL() = %q", s.Addr(), want)
	}
	if got, want := s.WikiURL("Ocean"), s.URL()+"/wiki/Ocean"; got != want {
		t.Errorf("WikiURL = %q, want %q", got, want)
	}
	resp, _ := do(t, newClient(t), "GET", s.WikiURL("Ocean"))
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

func TestStartLocalhost(t *testing.T) {
	s := startSite(t, Options{Addr: "localhost:0"})
	resp, _ := do(t, newClient(t), "GET", s.WikiURL("Ocean"))
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

// TestStartIPv6 serves on [::1]. It is skipped only when this machine
// cannot bind ::1 at all (IPv6 disabled in the kernel or the container),
// which the test checks first with a plain net.Listen.
func TestStartIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("cannot bind [::1]:0 on this machine (IPv6 loopback unavailable): %v", err)
	}
	ln.Close()
	s := startSite(t, Options{Addr: "[::1]:0"})
	if !strings.HasPrefix(s.URL(), "http://[::1]:") {
		t.Fatalf("URL() = %q, want http://[::1]:<port>", s.URL())
	}
	resp, body := do(t, newClient(t), "GET", s.WikiURL("Ocean"))
	if resp.StatusCode != 200 || title(body) != "Ocean - Wikipedia" {
		t.Errorf("status %d, title %q", resp.StatusCode, title(body))
	}
	if last := s.Path("/wiki/Ocean").Last; !strings.HasPrefix(last.RemoteAddr, "[::1]:") {
		t.Errorf("RemoteAddr %q, want [::1]:port", last.RemoteAddr)
	}
}

func TestStartRefuses(t *testing.T) {
	for _, opts := range []Options{
		{Addr: "0.0.0.0:0"},
		{Addr: "[::]:0"},
		{Addr: ":0"},
		{Addr: "192.0.2.1:0"},
		{Addr: "example.com:80"},
		{Addr: "evil.test:0"},  // a name that resolves elsewhere
		{Addr: "mixed.test:0"}, // one of its addresses is not loopback
		{Addr: "127.0.0.1"},    // no port
		{Latency: -time.Second},
	} {
		if s, err := Start(opts); err == nil {
			s.Close()
			t.Errorf("Start(%+v) succeeded, want an error", opts)
		}
	}
}

// A name is only as local as its resolution: /etc/hosts or DNS may map
// any name elsewhere, localhost included. Start resolves it, refuses it
// unless every address is on loopback, and listens on the address it
// checked.
func TestStartResolvesNames(t *testing.T) {
	for addr, want := range map[string]string{
		"localhost:0": "http://127.0.0.1:",
		"v6.test:0":   "http://[::1]:",
	} {
		if addr == "v6.test:0" {
			ln, err := net.Listen("tcp", "[::1]:0")
			if err != nil {
				continue // no IPv6 loopback here (TestStartIPv6 says so)
			}
			ln.Close()
		}
		s := startSite(t, Options{Addr: addr})
		if !strings.HasPrefix(s.URL(), want) {
			t.Errorf("Start(%s): URL %s, want %s<port>", addr, s.URL(), want)
		}
	}
	for _, addr := range []string{"evil.test:0", "mixed.test:0", "0.0.0.0:0", ":0"} {
		s, err := Start(Options{Addr: addr})
		if err == nil {
			s.Close()
		}
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("Start(%s) = %v, want ErrNotLoopback", addr, err)
		}
	}
	// localhost mapped elsewhere, as a hostile hosts file could.
	testNames["localhost"] = []string{"192.0.2.7"}
	defer delete(testNames, "localhost")
	if s, err := Start(Options{Addr: "localhost:0"}); !errors.Is(err, ErrNotLoopback) || !strings.Contains(fmt.Sprint(err), "localhost resolves to 192.0.2.7") {
		if err == nil {
			s.Close()
		}
		t.Errorf("Start(localhost:0), localhost being 192.0.2.7: %v, want ErrNotLoopback", err)
	}
}

func TestCloseTwice(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := http.Get(s.URL()); err == nil {
		t.Error("the site still answers after Close")
	}
}

// TestCloseEndsHandlers starts every kind of request that would otherwise
// last forever (or an hour), waits until their handlers run, then closes
// the site: every request must end with an error, and Close must return
// (it waits for the handlers).
func TestCloseEndsHandlers(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	// No transparent decoding: the bomb's buffered bytes stay cheap to drain.
	c := newClient(t, func(tr *http.Transport, _ *http.Client) { tr.DisableCompression = true })
	paths := []string{
		"/hang",
		"/slow-headers?delay=1h",
		"/wiki/Ocean?latency=1h",
		"/trickle?interval=1h",
		// These send headers, then stream: the clients read nothing more
		// until after Close, so the handlers block in Write.
		"/endless",
		"/big?then=hang",
		"/bigtitle?size=1TB",
		"/gzip?bomb=1&size=1000TB",
	}
	closed := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, len(paths))
	for i, p := range paths {
		wg.Go(func() {
			resp, err := c.Get(s.URL() + p)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			<-closed
			_, errs[i] = io.Copy(io.Discard, resp.Body)
		})
	}
	// A raw /hang whose client never closes.
	rawHang := rawRequest(t, s, "GET", "/hang")
	want := int64(len(paths) + 1)
	proctest.WaitFor(t, "every handler running", func() bool { return s.Stats().Active == want })

	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := s.Stats().Active; n != 0 {
		t.Errorf("%d handlers still running after Close", n)
	}
	close(closed)
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			t.Errorf("GET %s: ended without an error", paths[i])
		}
	}
	rawHang.SetDeadline(time.Now().Add(20 * time.Second))
	// The connection ends: EOF (io.Copy reports nil) or a reset.
	if _, err := io.Copy(io.Discard, rawHang); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("raw connection still open after Close")
	}
}

func TestLatency(t *testing.T) {
	s := startSite(t, Options{Latency: 60 * time.Millisecond})
	c := newClient(t)
	for _, tc := range []struct {
		path string
		min  time.Duration
	}{
		{"/wiki/Ocean", 60 * time.Millisecond},
		{"/wiki/Ocean?latency=120ms", 120 * time.Millisecond},
		{"/status/500", 60 * time.Millisecond},
		{"/status/500?latency=90ms", 90 * time.Millisecond},
	} {
		start := time.Now()
		do(t, c, "GET", s.URL()+tc.path)
		if d := time.Since(start); d < tc.min {
			t.Errorf("%s answered after %v, want at least %v", tc.path, d, tc.min)
		}
	}
	resp, _ := do(t, c, "GET", s.URL()+"/wiki/Ocean?latency=fast")
	if resp.StatusCode != 400 {
		t.Errorf("bad latency: status %d, want 400", resp.StatusCode)
	}
	resp, _ = do(t, c, "GET", s.URL()+"/wiki/Ocean?latency=-1s")
	if resp.StatusCode != 400 {
		t.Errorf("negative latency: status %d, want 400", resp.StatusCode)
	}
}

// TestLatencyClientGone: a latency wait ends when the client goes away.
func TestLatencyClientGone(t *testing.T) {
	s := startSite(t, Options{Latency: time.Hour})
	c := newClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.WikiURL("Ocean"), nil)
	done := make(chan error, 1)
	go func() {
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	proctest.WaitFor(t, "the handler to start", func() bool { return s.Stats().Active == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Do: %v, want context.Canceled", err)
	}
	waitIdle(t, s)
}

// TestIndexNeverWaits: with an hour of latency the index still answers.
func TestIndex(t *testing.T) {
	s := startSite(t, Options{Latency: time.Hour})
	resp, body := do(t, newClient(t), "GET", s.URL()+"/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if title(body) != "fanout demo site" {
		t.Errorf("title %q", title(body))
	}
	for _, p := range []string{"/wiki/", "/status/", "/flaky/", "/method/", "/redirect/", "/loop", "/redirect-scheme",
		"/slow-headers", "/trickle", "/hang", "/endless", "/big", "/reset", "/chunked-bad", "/charset/shift_jis",
		"/notitle", "/bigtitle", "/late-title", "/gzip", "/gzip?bomb=1"} {
		if !strings.Contains(body, `href="`+strings.ReplaceAll(p, "&", "&amp;")) {
			t.Errorf("index has no link to %s", p)
		}
	}
	if got := s.Stats().Routes["index"]; got != 1 {
		t.Errorf("Routes[index] = %d", got)
	}
}

func TestNotFound(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)
	for _, p := range []string{"/nope", "/wiki", "/status/", "/hang/x", "/redirect", "/charset/"} {
		resp, body := do(t, c, "GET", s.URL()+p)
		if resp.StatusCode != 404 || !strings.Contains(body, "<title>Not found</title>") {
			t.Errorf("%s: status %d, body %q", p, resp.StatusCode, body)
		}
	}
	if got := s.Stats().Routes["notfound"]; got != 6 {
		t.Errorf("Routes[notfound] = %d, want 6", got)
	}
}

func TestOtherMethods(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS"} {
		resp, _ := do(t, c, m, s.WikiURL("Ocean"))
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: status %d, Allow %q", m, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
}

func TestRoute(t *testing.T) {
	for _, tc := range []struct {
		path string
		rt   routeID
		arg  string
	}{
		{"/", routeIndex, ""},
		{"/wiki/Ocean", routeWiki, "Ocean"},
		{"/wiki/", routeWiki, ""},
		{"/wiki/AC/DC", routeWiki, "AC/DC"},
		{"/wiki", routeNotFound, ""},
		{"/status/503", routeStatus, "503"},
		{"/status/", routeNotFound, ""},
		{"/flaky/k", routeFlaky, "k"},
		{"/method/m", routeMethod, "m"},
		{"/redirect/3", routeRedirect, "3"},
		{"/charset/gbk", routeCharset, "gbk"},
		{"/loop", routeLoop, ""},
		{"/loop/", routeNotFound, ""},
		{"/redirect-scheme", routeRedirectScheme, ""},
		{"/slow-headers", routeSlowHeaders, ""},
		{"/trickle", routeTrickle, ""},
		{"/hang", routeHang, ""},
		{"/endless", routeEndless, ""},
		{"/big", routeBig, ""},
		{"/reset", routeReset, ""},
		{"/chunked-bad", routeChunkedBad, ""},
		{"/notitle", routeNoTitle, ""},
		{"/bigtitle", routeBigTitle, ""},
		{"/late-title", routeLateTitle, ""},
		{"/gzip", routeGzip, ""},
		{"/doc/json", routeDoc, "json"},
		{"/doc/", routeNotFound, ""},
		{"/vhost/a.example", routeVhost, "a.example"},
		{"*", routeNotFound, ""},
		{"", routeNotFound, ""},
	} {
		rt, arg := route(tc.path)
		if rt != tc.rt || arg != tc.arg {
			t.Errorf("route(%q) = %s %q, want %s %q", tc.path, routeNames[rt], arg, routeNames[tc.rt], tc.arg)
		}
	}
	for rt, name := range routeNames {
		if name == "" || handlers[rt] == nil {
			t.Errorf("route %d has no name or handler", rt)
		}
	}
}

func TestStats(t *testing.T) {
	s := startSite(t, Options{TimesPerPath: 5, MaxPaths: 3})
	c := newClient(t, keepAlive)
	for range 8 {
		do(t, c, "GET", s.WikiURL("Ocean"))
	}
	req, _ := http.NewRequest("HEAD", s.WikiURL("Ocean")+"?x=1", nil)
	req.Header.Set("User-Agent", "fanout-test/1.0")
	req.Header.Set("X-Probe", "yes")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	do(t, c, "GET", s.WikiURL("Island"))
	do(t, c, "GET", s.URL()+"/status/500")
	do(t, c, "GET", s.WikiURL("Shark")) // beyond MaxPaths

	st := s.Stats()
	if st.Requests != 12 || st.Untracked != 1 || st.Active != 0 {
		t.Errorf("Stats = %+v, want 12 requests, 1 untracked, 0 active", st)
	}
	if st.Routes["wiki"] != 11 || st.Routes["status"] != 1 || len(st.Routes) != 2 {
		t.Errorf("Routes = %v", st.Routes)
	}
	if st.Conns != 1 {
		t.Errorf("Conns = %d, want 1 (keep-alive)", st.Conns)
	}
	if n := s.Hits("/wiki/Ocean"); n != 9 {
		t.Errorf("Hits = %d, want 9", n)
	}
	if n := s.Hits(s.WikiURL("Ocean")); n != 9 {
		t.Errorf("Hits(full URL) = %d, want 9", n)
	}
	if n := s.Hits("/wiki/Shark"); n != 0 {
		t.Errorf("Hits of an untracked path = %d, want 0", n)
	}
	p := s.Path("/wiki/Ocean")
	if p.Hits != 9 || len(p.Times) != 5 {
		t.Errorf("Path: %d hits, %d times, want 9 and 5", p.Hits, len(p.Times))
	}
	for i := 1; i < len(p.Times); i++ {
		if p.Times[i].Before(p.Times[i-1]) {
			t.Errorf("Times not in order: %v", p.Times)
		}
	}
	if l := p.Last; l.Method != "HEAD" || l.UserAgent != "fanout-test/1.0" || l.RawQuery != "x=1" ||
		l.Header.Get("X-Probe") != "yes" || l.Time != p.Times[4] || l.RemoteAddr == "" {
		t.Errorf("Last = %+v", l)
	}
	if r := p.Rate(); r <= 0 {
		t.Errorf("Rate = %v, want > 0", r)
	}
	if tr := s.Traffic(); tr.Hits != 12 || len(tr.Times) != 5 {
		t.Errorf("Traffic: %d hits, %d times", tr.Hits, len(tr.Times))
	}

	s.ResetStats()
	if st := s.Stats(); st.Requests != 0 || len(st.Routes) != 0 || st.Conns != 1 {
		t.Errorf("after ResetStats: %+v", st)
	}
	if s.Hits("/wiki/Ocean") != 0 || s.Traffic().Hits != 0 {
		t.Error("ResetStats kept path statistics")
	}
	do(t, c, "GET", s.WikiURL("Shark"))
	if s.Hits("/wiki/Shark") != 1 {
		t.Error("after ResetStats, a new path is not tracked")
	}
}

func TestRate(t *testing.T) {
	base := time.Now()
	p := PathStats{Times: []time.Time{base, base.Add(100 * time.Millisecond), base.Add(200 * time.Millisecond), base.Add(time.Second)}}
	if r := p.Rate(); r != 3 {
		t.Errorf("Rate = %v, want 3", r)
	}
	if r := (PathStats{Times: p.Times[:1]}).Rate(); r != 0 {
		t.Errorf("Rate of one time = %v", r)
	}
	if r := (PathStats{Times: []time.Time{base, base}}).Rate(); r != 0 {
		t.Errorf("Rate over no time = %v", r)
	}
}

// TestRateSeenByServer paces requests, each sent 20ms after the previous
// answer, and checks that the server saw no more than 50 requests/s: the
// measurement rate-limit tests rely on.
func TestRateSeenByServer(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t, keepAlive)
	for i := range 6 {
		if i > 0 {
			time.Sleep(20 * time.Millisecond)
		}
		do(t, c, "GET", s.WikiURL("Paced"))
	}
	p := s.Path("/wiki/Paced")
	if r := p.Rate(); r <= 0 || r > 50 {
		t.Errorf("server saw %.1f requests/s, want at most 50", r)
	}
	if len(p.Times) != 6 {
		t.Errorf("%d times, want 6", len(p.Times))
	}
}

func TestTimesPerPathNegative(t *testing.T) {
	s := startSite(t, Options{TimesPerPath: -1})
	do(t, newClient(t), "GET", s.WikiURL("Ocean"))
	if p := s.Path("/wiki/Ocean"); p.Hits != 1 || len(p.Times) != 0 {
		t.Errorf("Path = %+v", p)
	}
}
