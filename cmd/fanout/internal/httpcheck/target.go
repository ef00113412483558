package httpcheck

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrMalformedURL is matched by the error of a URL Check cannot request.
var ErrMalformedURL = errors.New("malformed URL")

// ParseURL validates one input line as an http(s) URL.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedURL, unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: unsupported scheme %q (want http or https)", ErrMalformedURL, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w: no host", ErrMalformedURL)
	}
	return u, nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Target is an input resolved to what is requested: its URL, and for a
// bare host tried on https first, the http URL to fall back to.
type Target struct {
	URL      *url.URL
	Fallback *url.URL // nil unless URL is the https try of a bare host
	Bare     bool     // the input had no scheme
}

// ParseTarget resolves one input line. A line with a scheme must be an
// http(s) URL (ParseURL). A bare host, as users of httpx and curl type
// them (example.org, example.org/path, 127.0.0.1:8080/x, [::1]:8080/x,
// //example.org/x), gets one: scheme "" tries https:// and falls back to
// http:// (httpx's default), "http" or "https" uses that one only.
func ParseTarget(raw, scheme string) (Target, error) {
	rest, ok := bareHost(raw)
	if !ok {
		u, err := ParseURL(raw)
		return Target{URL: u}, err
	}
	first := scheme
	if first == "" {
		first = "https"
	}
	u, err := ParseURL(first + "://" + rest)
	if err != nil {
		return Target{}, err
	}
	t := Target{URL: u, Bare: true}
	if scheme == "" {
		alt := *u
		alt.Scheme = "http"
		t.Fallback = &alt
	}
	return t, nil
}

// bareHost reports whether raw names a host without a scheme, and returns
// it without a leading "//". "host:port..." is a bare host when the port
// is all digits; "mailto:x", "javascript:..." and "file:..." have a scheme.
func bareHost(raw string) (string, bool) {
	if strings.Contains(raw, "://") {
		return "", false
	}
	if rest, ok := strings.CutPrefix(raw, "//"); ok {
		return rest, rest != ""
	}
	if raw == "" || raw[0] == '/' {
		return "", false
	}
	if raw[0] == '[' { // an IPv6 literal
		return raw, true
	}
	i := strings.IndexAny(raw, ":/?#")
	if i < 0 || raw[i] != ':' {
		return raw, true
	}
	port := raw[i+1:]
	if j := strings.IndexAny(port, "/?#"); j >= 0 {
		port = port[:j]
	}
	if port == "" {
		return "", false
	}
	for _, c := range port {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return raw, true
}

// fallbackError is the error of a bare host that neither https nor http
// answered.
type fallbackError struct{ https, http error }

func (e *fallbackError) Error() string {
	return "https: " + e.https.Error() + "; http: " + e.http.Error()
}

func (e *fallbackError) Unwrap() []error { return []error{e.https, e.http} }
