package command

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
)

// A 429 with Retry-After is retried after the wait the server asked for,
// and the page then counts as existing. Peers' users filed this: lychee
// #367 (GitHub answers 429 with retry-after: 60, lychee gave up), lychee
// #1504 (pages reported failed on a 429 that curl then fetched fine),
// lychee #634 (hundreds of 429 "network errors" in a 17k-link run).
func TestCheckRetriesHonourRetryAfter(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	u := site.URL() + "/flaky/ra?fail=1&code=429&retry_after=1"
	out, _, code := run(t, context.Background(), "", "check", "-q", "--retries", "2", u)
	if code != ExitOK || !strings.HasSuffix(strings.TrimSpace(out), " - exists") {
		t.Fatalf("exit %d, output %q; want exists after one retry", code, out)
	}
	p := site.Path("/flaky/ra")
	if p.Hits != 2 {
		t.Fatalf("server saw %d requests, want 2", p.Hits)
	}
	if gap := p.Times[1].Sub(p.Times[0]); gap < time.Second {
		t.Fatalf("retried after %v; the server asked for 1s", gap)
	}
}

func TestCheckRetriesExhausted(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	u := site.URL() + "/flaky/storm?fail=100&code=503&retry_after=0"
	out, _, code := run(t, context.Background(), "", "check", "-q", "--retries", "3", u)
	if code != ExitSome || !strings.Contains(out, "unknown (HTTP 503)") {
		t.Fatalf("exit %d, output %q", code, out)
	}
	if n := site.Hits("/flaky/storm"); n != 4 {
		t.Fatalf("server saw %d requests, want 1 + 3 retries", n)
	}
	// No retries: one GET; with --method HEAD, the HEAD and the GET that
	// confirms its answer.
	run(t, context.Background(), "", "check", "-q", "--retries", "0", site.URL()+"/flaky/once?fail=100&code=429")
	if n := site.Hits("/flaky/once"); n != 1 {
		t.Fatalf("--retries 0 made %d requests, want one GET", n)
	}
	run(t, context.Background(), "", "check", "-q", "--retries", "0", "--method", "HEAD", site.URL()+"/flaky/twice?fail=100&code=429")
	if n := site.Hits("/flaky/twice"); n != 2 {
		t.Fatalf("--retries 0 --method HEAD made %d requests, want HEAD and GET", n)
	}
}

// --rate caps requests per second per host, as the server measures them.
func TestCheckRatePerHost(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	var urls []string
	for i := range 21 {
		urls = append(urls, site.WikiURL("R"+strconv.Itoa(i)))
	}
	start := time.Now()
	_, _, code := run(t, context.Background(), "", append([]string{"check", "-q", "--rate", "40"}, urls...)...)
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	// 21 requests at 40/s with a burst of 1 take at least 20/40 s.
	if el := time.Since(start); el < 500*time.Millisecond {
		t.Fatalf("21 requests at --rate 40 took %v, want at least 500ms", el)
	}
	if r := site.Traffic().Rate(); r > 44 {
		t.Fatalf("server saw %.1f requests/s with --rate 40", r)
	}
}

// probe and get share check's retry policy (httpcheck.Checker.Send).
func TestProbeAndGetRetry(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	out, _, code := run(t, context.Background(), "", "probe", "-q", "--retries", "1", site.URL()+"/flaky/p?fail=1&code=503&retry_after=0")
	if code != ExitOK || !strings.Contains(out, "[200]") {
		t.Fatalf("probe: exit %d, %q", code, out)
	}
	dir := t.TempDir()
	out, _, code = run(t, context.Background(), "", "get", "-q", "--dir", dir, "--retries", "1", site.URL()+"/flaky/g?fail=1&code=429&retry_after=0")
	if code != ExitOK || !strings.Contains(out, " -> ") {
		t.Fatalf("get: exit %d, %q", code, out)
	}
	if site.Hits("/flaky/p") != 2 || site.Hits("/flaky/g") != 2 {
		t.Fatalf("hits: probe %d, get %d; want 2 each", site.Hits("/flaky/p"), site.Hits("/flaky/g"))
	}
}
