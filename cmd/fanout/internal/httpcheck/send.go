package httpcheck

import (
	"context"
	"io"
	"net/http"
	"time"
)

// Send makes a request with the Checker's headers, Host, per-host rate
// limit, bare-host resolution and retry policy (the same as Check's: 429,
// 502-504 and broken connections are retried with backoff, honouring a
// Retry-After that fits the URL's budget), for commands that read the
// answer themselves (probe, get). It returns the final response, whose
// body the caller must close. With redirects off, a 3xx is that response.
func (c *Checker) Send(ctx context.Context, method, rawURL string) (*http.Response, error) {
	start := time.Now()
	t, err := ParseTarget(rawURL, c.scheme)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, method, &t)
		var a answer
		if err == nil {
			a = answerOf(resp)
		}
		wait, ok := c.retryWait(ctx, attempt, a, err, start)
		if !ok {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainMax))
			resp.Body.Close()
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// send makes one request to t, falling back from https to http once, as
// try does.
func (c *Checker) send(ctx context.Context, method string, t *Target) (*http.Response, error) {
	resp, err := c.send1(ctx, method, t)
	if err != nil && t.Fallback != nil && ctx.Err() == nil {
		t.URL, t.Fallback = t.Fallback, nil
		resp, err2 := c.send1(ctx, method, t)
		if err2 != nil {
			return nil, &fallbackError{https: err, http: err2}
		}
		return resp, nil
	}
	return resp, err
}

func (c *Checker) send1(ctx context.Context, method string, t *Target) (resp *http.Response, err error) {
	p, err := acquire(ctx, c.auto, t.URL.Host)
	if err != nil {
		return nil, err
	}
	defer func() {
		if resp != nil {
			release(p, answerOf(resp), nil, c.budget) // at the headers: the body is the caller's
		} else {
			release(p, answer{}, err, c.budget)
		}
	}()
	req, err := c.newRequest(ctx, method, t.URL)
	if err != nil {
		return nil, err
	}
	if err := c.limits.wait(ctx, t.URL.Host); err != nil {
		return nil, err
	}
	return c.client.Do(req)
}
