package httpcheck

import (
	"context"
	"errors"
	"net/http"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fanout-dev/fanout"
)

// What a request says of its host's load: 429, 502, 503, 504, timeouts
// and broken connections cut the host's limit; other answers and
// failures that are not the host's do not.
func TestReleaseTellsTheLimiter(t *testing.T) {
	for _, c := range []struct {
		name string
		a    answer
		err  error
		cut  bool
	}{
		{"200", answer{status: 200}, nil, false},
		{"404", answer{status: 404}, nil, false},
		{"429", answer{status: http.StatusTooManyRequests}, nil, true},
		{"503", answer{status: http.StatusServiceUnavailable}, nil, true},
		{"504", answer{status: http.StatusGatewayTimeout}, nil, true},
		{"timeout", answer{}, os.ErrDeadlineExceeded, true},
		{"cancelled", answer{}, context.Canceled, false},
		{"malformed", answer{}, ErrMalformedURL, false},
		{"other", answer{}, errors.New("x"), false},
	} {
		l := fanout.NewLimiter(1, 64, 64)
		p, err := acquire(context.Background(), l, "h")
		if err != nil {
			t.Fatal(err)
		}
		before := l.Keys()["h"]
		release(p, c.a, c.err, time.Minute)
		if cut := l.Keys()["h"] < before; cut != c.cut {
			t.Errorf("%s: limit %d -> %d", c.name, before, l.Keys()["h"])
		}
	}
	release(nil, answer{status: 503}, nil, time.Minute) // no limiter: nothing to tell
}

// A Retry-After that fits the URL's budget pauses the host; one beyond it
// (the URL is reported rate-limited at once) must not stall the host's
// other URLs: lychee#1402's servers ask for an hour.
func TestReleaseRetryAfterWithinBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, c := range []struct {
			after, want time.Duration
		}{{2 * time.Second, 2 * time.Second}, {time.Hour, 0}} {
			l := fanout.NewLimiter(1, 64, 64)
			p, _ := acquire(context.Background(), l, "h")
			start := time.Now()
			release(p, answer{status: http.StatusTooManyRequests, retryAfter: c.after}, nil, 30*time.Second)
			p, _ = acquire(context.Background(), l, "h")
			if waited := time.Since(start); waited != c.want {
				t.Errorf("Retry-After %v: the host's next request waited %v, want %v", c.after, waited, c.want)
			}
			release(p, answer{status: 200}, nil, 30*time.Second)
		}
	})
}
