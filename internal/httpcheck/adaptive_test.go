package httpcheck

import (
	"context"
	"errors"
	"net/http"
	"os"
	"testing"

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
		release(p, c.a, c.err)
		if cut := l.Keys()["h"] < before; cut != c.cut {
			t.Errorf("%s: limit %d -> %d", c.name, before, l.Keys()["h"])
		}
	}
	release(nil, answer{status: 503}, nil) // no limiter: nothing to tell
}
