package httpcheck

import "net/http"

// Client returns the Checker's HTTP client (its transport, timeout and
// redirect policy), for packages that make other requests with the same
// settings, such as downloads. It is shared: do not modify it.
func (c *Checker) Client() *http.Client { return c.client }

// PrepareRequest sets the Checker's User-Agent and extra headers on req.
func (c *Checker) PrepareRequest(req *http.Request) {
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
}
