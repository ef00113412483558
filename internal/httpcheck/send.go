package httpcheck

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Send makes a request with the Checker's headers, per-host rate limit and
// retry policy (the same as Check's: 429, 502-504 and broken connections
// are retried with backoff, honouring Retry-After), for commands that read
// the answer themselves (probe, get). It returns the final response, whose
// body the caller must close.
func (c *Checker) Send(ctx context.Context, method, rawURL string) (*http.Response, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformedURL, err)
		}
		c.PrepareRequest(req)
		if err := c.limits.wait(ctx, u.Host); err != nil {
			return nil, err
		}
		resp, err := c.client.Do(req)
		status := 0
		if err == nil {
			status = resp.StatusCode
		}
		if attempt >= c.retries || !retryable(ctx, status, err) {
			return resp, err
		}
		var wait time.Duration
		if resp != nil {
			if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
				wait = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
			}
			io.Copy(io.Discard, io.LimitReader(resp.Body, bodyPrefix))
			resp.Body.Close()
		}
		if err := sleep(ctx, backoff(attempt, wait)); err != nil {
			return nil, err
		}
	}
}
