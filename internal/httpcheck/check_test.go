package httpcheck

import (
	"errors"
	"net/http"
	"testing"
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
