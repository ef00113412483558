package httpcheck

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
)

func newChecker(t *testing.T, o Options) *Checker {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	c := New(o)
	t.Cleanup(c.Close)
	return c
}

// By default one GET per URL, whatever HEAD would have said: servers
// whose HEAD says 404 or 500 while GET serves the page
// (broken-link-checker#145, linkcheck#8, django-linkcheck#224) are right
// at the first request, and a missing page costs one request, not a HEAD
// and a GET (issue 27; lychee, muffet and httpx send one GET too).
func TestOneGetPerURL(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	c := newChecker(t, Options{})
	for _, head := range []string{"404", "500", "405"} {
		path := "/method/G" + head
		r := c.Check(context.Background(), site.URL()+path+"?head="+head)
		if r.Class != Exists || r.Status != 200 || r.Method != http.MethodGet {
			t.Errorf("HEAD %s: %+v, want exists by a GET", head, r)
		}
		if p := site.Path(path); p.Hits != 1 || p.Last.Method != http.MethodGet {
			t.Errorf("HEAD %s: the server saw %d requests, the last %s; want one GET", head, p.Hits, p.Last.Method)
		}
	}
	for path, want := range map[string]Class{"/wiki/this_page_does_not_exist": NotExists, "/wiki/Fine": Exists, "/status/500": Unknown} {
		r := c.Check(context.Background(), site.URL()+path)
		if p := site.Path(path); r.Class != want || r.Method != http.MethodGet || p.Hits != 1 || p.Last.Method != http.MethodGet {
			t.Errorf("%s: %+v; the server saw %d requests, the last %s", path, r, p.Hits, p.Last.Method)
		}
	}
}

// With Method HEAD, a HEAD answer other than a 2xx is confirmed with a
// GET, whose answer wins (broken-link-checker#145, linkcheck#8,
// django-linkcheck#224). A HEAD 2xx is trusted: no GET.
func TestHeadErrorConfirmedWithGet(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	c := newChecker(t, Options{Method: http.MethodHead})
	for _, head := range []string{"404", "500", "403", "405", "501"} {
		path := "/method/H" + head
		r := c.Check(context.Background(), site.URL()+path+"?head="+head)
		if r.Class != Exists || r.Status != 200 || r.Method != http.MethodGet {
			t.Errorf("HEAD %s: %+v, want exists after a GET", head, r)
		}
		if p := site.Path(path); p.Hits != 2 || p.Last.Method != http.MethodGet {
			t.Errorf("HEAD %s: the server saw %d requests, the last %s; want HEAD then GET", head, p.Hits, p.Last.Method)
		}
	}
	// A 404 that GET confirms is reported as the GET says.
	r := c.Check(context.Background(), site.WikiURL("this_page_does_not_exist"))
	if r.Class != NotExists || r.Method != http.MethodGet || site.Hits("/wiki/this_page_does_not_exist") != 2 {
		t.Errorf("%+v, %d hits", r, site.Hits("/wiki/this_page_does_not_exist"))
	}
	// A 2xx HEAD is trusted.
	r = c.Check(context.Background(), site.WikiURL("Fine"))
	if r.Class != Exists || r.Method != http.MethodHead || site.Hits("/wiki/Fine") != 1 {
		t.Errorf("%+v, %d hits", r, site.Hits("/wiki/Fine"))
	}
}

// A Retry-After that does not fit what is left of the URL's budget, as
// seconds or as an HTTP-date, is not waited: the answer is rate-limited at
// once (issue 14, item 2; lychee#367 waited out GitHub's retry-after: 60).
// One that fits is waited (TestCheckRetriesHonourRetryAfter in
// internal/command measures the wait at the server).
func TestLongRetryAfterIsNotWaited(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	c := newChecker(t, Options{Timeout: 2 * time.Second, Retries: 2})
	date := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	// The budget is (1 + 2 retries) x 2s = 6s.
	for _, ra := range []string{"3600", "7", strings.ReplaceAll(date, " ", "%20")} {
		start := time.Now()
		r := c.Check(context.Background(), site.URL()+"/status/429?retry_after="+ra)
		if el := time.Since(start); el > time.Second {
			t.Errorf("Retry-After %s: took %v", ra, el)
		}
		if r.Class != RateLimited || r.Status != 429 {
			t.Errorf("Retry-After %s: %+v", ra, r)
		}
	}
	if fits(5*time.Second, 6*time.Second, 2*time.Second) || !fits(time.Second, 6*time.Second, 2*time.Second) || fits(2*time.Minute, 0, 0) {
		t.Error("fits is wrong")
	}
}

// -H "Host: name" sets the request's Host, as curl does: a virtual host
// on the server the URL names (curl's --header docs: "Host:" replaces the
// internal one).
func TestHostHeaderSetsRequestHost(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	u := site.URL() + "/vhost/www.example"
	if r := newChecker(t, Options{}).Check(context.Background(), u); r.Class != NotExists {
		t.Fatalf("without Host: %+v", r)
	}
	h := http.Header{}
	h.Set("Host", "www.example")
	c := newChecker(t, Options{Header: h})
	if r := c.Check(context.Background(), u); r.Class != Exists {
		t.Fatalf("with -H Host: %+v", r)
	}
	resp, err := c.Send(context.Background(), http.MethodGet, u)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Send with -H Host: %v, %v", resp, err)
	}
	resp.Body.Close()
}

// With redirects off, a 3xx is the answer: status and Location (httpx
// shows them; before, --max-redirects 0 made an error).
func TestRedirectOffIsAnAnswer(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	c := newChecker(t, Options{Redirects: -1})
	r := c.Check(context.Background(), site.URL()+"/redirect/1?code=301")
	if r.Class != Redirect || r.Status != 301 || r.Location != site.WikiURL("Redirected") || r.Err != nil {
		t.Fatalf("%+v", r)
	}
	if w := r.Word(); w != "redirect (HTTP 301 -> "+site.WikiURL("Redirected")+")" {
		t.Fatalf("Word %q", w)
	}
}

// A bare host is tried with https, then http: against a plain-HTTP
// server, the https attempt fails and http answers (httpx's default);
// --scheme fixes one.
func TestBareHostFallsBackToHTTP(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	bare := site.Addr() + "/wiki/Bare"
	r := newChecker(t, Options{}).Check(context.Background(), bare)
	if r.Class != Exists || r.Requested != "http://"+bare {
		t.Fatalf("%+v", r)
	}
	r = newChecker(t, Options{Scheme: "http"}).Check(context.Background(), bare)
	if r.Class != Exists || r.Requested != "http://"+bare {
		t.Fatalf("--scheme http: %+v", r)
	}
	r = newChecker(t, Options{Scheme: "https", Retries: -1}).Check(context.Background(), bare)
	if r.Class != Error || r.Requested != "https://"+bare {
		t.Fatalf("--scheme https: %+v", r)
	}
	// Nothing listening: both fail, one reason.
	r = newChecker(t, Options{}).Check(context.Background(), "127.0.0.1:1/x")
	if r.Class != Error || Reason(r.Err) != "connection refused" {
		t.Fatalf("%+v (%s)", r, Reason(r.Err))
	}
}

func TestParseTarget(t *testing.T) {
	for raw, want := range map[string]string{
		"example.org":           "https://example.org",
		"example.org/path?q=1":  "https://example.org/path?q=1",
		"127.0.0.1:8080/x":      "https://127.0.0.1:8080/x",
		"localhost:8080":        "https://localhost:8080",
		"[::1]:8080/x":          "https://[::1]:8080/x",
		"//example.org/x":       "https://example.org/x",
		"http://example.org/x":  "http://example.org/x",
		"HTTPS://example.org/x": "https://example.org/x",
	} {
		tg, err := ParseTarget(raw, "")
		if err != nil || tg.URL.String() != want {
			t.Errorf("%q: %v, %v; want %s", raw, tg.URL, err, want)
			continue
		}
		if bare := !strings.Contains(raw, "://"); tg.Bare != bare || (tg.Fallback != nil) != bare {
			t.Errorf("%q: bare %v, fallback %v", raw, tg.Bare, tg.Fallback)
		}
		if tg.Fallback != nil && tg.Fallback.String() != "http"+strings.TrimPrefix(want, "https") {
			t.Errorf("%q: fallback %v", raw, tg.Fallback)
		}
	}
	for _, raw := range []string{"mailto:a@b", "javascript:alert(1)", "ftp://x/y", "file:///etc/passwd", "not a url", "/just/a/path", "", "http://", "a:b/c"} {
		if _, err := ParseTarget(raw, ""); err == nil {
			t.Errorf("%q: accepted", raw)
		}
	}
	if tg, err := ParseTarget("example.org", "http"); err != nil || tg.URL.String() != "http://example.org" || tg.Fallback != nil {
		t.Errorf("--scheme http: %+v, %v", tg, err)
	}
}

// lychee's --accept syntax (its status_range tests), and httpx's lists.
func TestParseStatuses(t *testing.T) {
	for in, c := range map[string]struct{ in, out []int }{
		"200,403,429": {[]int{200, 403, 429}, []int{201, 404, 500}},
		"..":          {[]int{100, 200, 999}, nil},
		"100..":       {[]int{100, 101, 999}, nil},
		"100..=200":   {[]int{100, 150, 200}, []int{201, 250}},
		"..=100":      {[]int{100}, []int{101}},
		"100..200":    {[]int{100, 199}, []int{200, 250}},
		"..101":       {[]int{100}, []int{101}},
		"404":         {[]int{404}, []int{200, 304, 403, 405, 500}},
		"2xx, 301":    {[]int{200, 299, 301}, []int{300, 302, 404}},
	} {
		s, err := ParseStatuses(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		for _, v := range c.in {
			if !s.Has(v) {
				t.Errorf("%q lacks %d", in, v)
			}
		}
		for _, v := range c.out {
			if s.Has(v) {
				t.Errorf("%q has %d", in, v)
			}
		}
	}
	for _, in := range []string{"..100", "200..=100", "100..100", "..=", "100..=", "-100..=100", "abcd", "-1", "0", "1..5", "99..102", "999..=1000", "", "200,"} {
		if _, err := ParseStatuses(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// 100 identical lines make one request and 100 answers (lychee's
// test_no_duplicate_requests); a key forgotten after `recent` others is
// requested again; a result cut short is never shared.
func TestDedup(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testDedup)
}

func testDedup(t *testing.T) {
	d := NewDedup[int](3)
	var calls atomic.Int64
	release := make(chan struct{})
	fn := func() (int, bool) {
		calls.Add(1)
		<-release
		return 7, true
	}
	var wg sync.WaitGroup
	results := make([]int, 100)
	for i := range results {
		wg.Go(func() { results[i] = d.Do(context.Background(), "u", fn) })
	}
	synctest.Wait() // every caller waits: the leader for release, the others for it
	close(release)
	wg.Wait()
	for i, r := range results {
		if r != 7 {
			t.Fatalf("result %d = %d", i, r)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls for 100 identical keys", n)
	}
	// Recent keys are remembered, up to 3.
	count := func(key string) {
		d.Do(context.Background(), key, func() (int, bool) { calls.Add(1); return 1, true })
	}
	calls.Store(0)
	for _, k := range []string{"a", "b", "c", "a", "d", "a", "u"} {
		count(k)
	}
	// Remembered: [u] then a, b (full: u a b); c pushes u out; a is a
	// hit; d pushes a out; a again pushes b out; u was forgotten: 6 calls.
	if n := calls.Load(); n != 6 {
		t.Fatalf("%d calls, want 6 (a b c d a u)", n)
	}
	if got := len(d.entries); got > 3 {
		t.Fatalf("%d entries remembered, want at most 3", got)
	}
	// Not shared: every caller calls.
	calls.Store(0)
	for range 3 {
		d.Do(context.Background(), "cut", func() (int, bool) { calls.Add(1); return 0, false })
	}
	if calls.Load() != 3 {
		t.Fatalf("a result not shared was reused")
	}
	// Long keys are not remembered.
	calls.Store(0)
	long := strings.Repeat("x", maxDedupKey+1)
	for range 2 {
		count(long)
	}
	if calls.Load() != 2 || d.entries[long] != nil {
		t.Fatalf("a long key was remembered")
	}
}

// A leader that panics does not leave its waiters waiting.
func TestDedupPanic(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testDedupPanic)
}

func testDedupPanic(t *testing.T) {
	d := NewDedup[int](8)
	started, panicNow := make(chan struct{}), make(chan struct{})
	done := make(chan int)
	go func() {
		defer func() { recover() }()
		d.Do(context.Background(), "k", func() (int, bool) {
			close(started)
			<-panicNow
			panic("boom")
		})
	}()
	<-started
	go func() { done <- d.Do(context.Background(), "k", func() (int, bool) { return 2, true }) }()
	synctest.Wait() // the second caller waits for the leader
	close(panicNow)
	select {
	case r := <-done:
		if r != 2 {
			t.Fatalf("got %d", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter of a panicked call is still waiting")
	}
}
