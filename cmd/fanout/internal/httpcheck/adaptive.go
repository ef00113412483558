package httpcheck

import (
	"context"
	"errors"
	"net/http"
	"syscall"
	"time"

	"github.com/fanout-dev/fanout"
)

// acquire takes a place for one request to host under l, the adaptive
// per-host limit of --workers auto; nil when l is nil (no such limit).
func acquire(ctx context.Context, l *fanout.Limiter, host string) (*fanout.Permit, error) {
	if l == nil {
		return nil, nil
	}
	return l.Acquire(ctx, host)
}

// release gives p's place back with what the request says of the host's
// load: 429 and 503, 502, 504, timeouts, refused and reset connections are
// overload; any other answer is a latency sample; an ended context or a
// malformed URL says nothing. A Retry-After pauses the host only when it
// fits in budget (see fits): one the URL would not wait for must not stall
// the host's other URLs either.
func release(p *fanout.Permit, a answer, err error, budget time.Duration) {
	if p == nil {
		return
	}
	switch {
	case err != nil && (isTimeout(err) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || isEOF(err)):
		p.Release(fanout.ErrOverloaded)
	case err != nil:
		p.Release(err)
	case a.retryAfter > 0 && fits(a.retryAfter, budget, 0):
		p.Release(&fanout.OverloadedError{RetryAfter: a.retryAfter})
	case a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable ||
		a.status == http.StatusBadGateway || a.status == http.StatusGatewayTimeout:
		p.Release(fanout.ErrOverloaded)
	default:
		p.Release(nil)
	}
}
