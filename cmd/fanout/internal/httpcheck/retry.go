package httpcheck

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// Retry policy: exponential backoff from backoffBase, doubling, capped at
// backoffMax, with full jitter (a random wait between half and all of it),
// so many workers retrying one host do not come back in step. A server's
// Retry-After, on 429 and 503, replaces the computed wait when it fits:
// at most maxRetryAfter, and within what is left of the URL's budget,
// (1 + retries) × --timeout from its start. A wait that does not fit is
// not waited at all: the answer (a 429 is rate-limited) is reported at
// once, not after a stalled minute.
const (
	backoffBase   = 200 * time.Millisecond
	backoffMax    = 10 * time.Second
	maxRetryAfter = 60 * time.Second
)

// retryWait returns the wait before the retry that follows attempt (0 for
// the first), or false when there is none: no retries left, an outcome
// not worth another try, or a Retry-After that does not fit.
func (c *Checker) retryWait(ctx context.Context, attempt int, a answer, err error, start time.Time) (time.Duration, bool) {
	if attempt >= c.retries || !retryable(ctx, a.status, err) {
		return 0, false
	}
	if err == nil && a.retryAfter > 0 {
		if !fits(a.retryAfter, c.budget, time.Since(start)) {
			return 0, false
		}
		return a.retryAfter, true
	}
	return backoff(attempt), true
}

// fits reports whether a wait fits the budget (0: none) of which spent
// has gone.
func fits(wait, budget, spent time.Duration) bool {
	return wait <= maxRetryAfter && (budget <= 0 || spent+wait <= budget)
}

// retryable reports whether an attempt's outcome is worth another try:
// rate limiting and passing server trouble, and connections that broke; not
// answers that will not change (404, 403), not malformed URLs, not a
// context that ended.
func retryable(ctx context.Context, status int, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		return !errors.Is(err, ErrMalformedURL) && !isRedirectPolicy(err) &&
			(isTimeout(err) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || isEOF(err))
	}
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is the wait before retry number attempt (0 for the first retry)
// when the server did not say.
func backoff(attempt int) time.Duration {
	d := backoffBase << min(attempt, 16)
	if d > backoffMax || d <= 0 {
		d = backoffMax
	}
	return d/2 + rand.N(d/2+1)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP-date.
func parseRetryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hostLimits paces requests per host: at most a given rate (a token bucket
// with a burst of one), shared by every worker. A host's limiter whose
// bucket is full again is the same as a new one, so it is forgotten: the
// map holds the hosts requested within the last 1/rate seconds (and at
// most twice as many between sweeps), not every host a run met (issue
// 26, item 7).
type hostLimits struct {
	perSecond float64
	mu        sync.Mutex
	byHost    map[string]*rate.Limiter
	sweepAt   int // the map's size at which full buckets are forgotten
}

// minSweep is the least map size at which hostLimits sweeps.
const minSweep = 1024

func newHostLimits(perSecond float64) *hostLimits {
	if perSecond <= 0 {
		return nil
	}
	return &hostLimits{perSecond: perSecond, byHost: map[string]*rate.Limiter{}, sweepAt: minSweep}
}

// wait blocks until host may get another request, or ctx ends.
func (h *hostLimits) wait(ctx context.Context, host string) error {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	l, ok := h.byHost[host]
	if !ok {
		if len(h.byHost) >= h.sweepAt {
			h.sweepLocked(time.Now())
		}
		l = rate.NewLimiter(rate.Limit(h.perSecond), 1)
		h.byHost[host] = l
	}
	h.mu.Unlock()
	return l.Wait(ctx)
}

// sweepLocked forgets the limiters whose bucket is full, and sets the
// next sweep at twice the size left, so sweeps cost O(1) per new host.
func (h *hostLimits) sweepLocked(now time.Time) {
	for host, l := range h.byHost {
		if l.TokensAt(now) >= 1 {
			delete(h.byHost, host)
		}
	}
	h.sweepAt = max(2*len(h.byHost), minSweep)
}
