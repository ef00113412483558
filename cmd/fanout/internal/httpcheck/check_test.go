package httpcheck

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"testing/synctest"
	"time"
)

func TestClassify(t *testing.T) {
	for status, want := range map[int]Class{200: Exists, 204: Exists, 404: NotExists, 410: NotExists, 401: Blocked, 403: Blocked, 429: RateLimited, 500: Unknown, 301: Redirect, 304: Redirect, 418: Unknown} {
		if got := Classify(status); got != want {
			t.Errorf("Classify(%d) = %q, want %q", status, got, want)
		}
	}
	if w := (Result{Class: RateLimited, Status: http.StatusTooManyRequests}).Word(); w != "rate-limited (HTTP 429)" {
		t.Errorf("Word = %q", w)
	}
}

// FuzzParseURL: ParseURL never panics, and what it accepts is http(s) with
// a host; what it refuses matches ErrMalformedURL.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"http://a", "https://[::1]:8080/x", "ftp://x", "http://", "ht tp://x", "http://a:99999", "http://user:pw@h/p?q#f", "http://xn--nxasmq6b.com", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := ParseURL(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformedURL) {
				t.Fatalf("error %v does not match ErrMalformedURL", err)
			}
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("accepted %q as %#v", raw, u)
		}
	})
}

// --rate's per-host limiters are forgotten once their bucket is full
// again: 20,000 hosts, one request each, 1 ms apart at 10 requests per
// second per host, leave about the last 100 ms of hosts, not 20,000
// (issue 26, item 7). A host requested again soon still waits.
func TestHostLimitsForgetFullBuckets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHostLimits(10)
		for i := range 20000 {
			if err := h.wait(context.Background(), "h"+strconv.Itoa(i)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
		if n := len(h.byHost); n > 2048 { // twice minSweep
			t.Fatalf("%d limiters kept after 20,000 hosts", n)
		}
		start := time.Now()
		h.wait(context.Background(), "again")
		h.wait(context.Background(), "again")
		if el := time.Since(start); el != 100*time.Millisecond {
			t.Fatalf("a second request to one host after %v, want 100ms", el)
		}
	})
}
