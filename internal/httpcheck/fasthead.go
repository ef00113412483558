package httpcheck

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The fast path: check's HEAD to a plain http:// URL, the request a link
// check makes most, over keep-alive connections of its own rather than
// through net/http's client, whose goroutines, contexts and header maps
// cost about as much per request as the whole GET of a naive loop. It
// does only that one thing and hands everything else to net/http, which
// then makes the request itself:
//
//   - only HEAD, only http (no TLS), no proxy in the environment, no -H
//     Host, no --per-host, a URL with an ASCII host and no user
//     information;
//   - a response it does not read cleanly (a status line or header it
//     does not expect, a 101, a header longer than its buffer), a failed
//     dial and any error but a timeout or the end of the context: the
//     request is made again by net/http, so errors read the same;
//   - a 3xx while redirects are followed: net/http follows it.
//
// A HEAD response has no body (RFC 9110, 9.3.2), so it reads the status
// line and the header, and nothing after; a connection the server marks
// "Connection: close" (or HTTP/1.0 without keep-alive) is closed, the
// others kept for the next HEAD to the same host. A request on a kept
// connection that the server had closed meanwhile is made once more on a
// new one, as net/http does.
type fastHead struct {
	timeout   time.Duration
	redirects bool // followed: a 3xx goes to net/http
	header    []byte
	dialer    net.Dialer
	maxIdle   int

	mu     sync.Mutex
	idle   map[string][]*fastConn // by host:port, most recent last
	closed bool
}

type fastConn struct {
	c   net.Conn
	br  *bufio.Reader
	buf []byte // the request being written
}

// errNotFast marks a request the fast path hands to net/http.
var errNotFast = errors.New("not for the fast path")

// newFastHead returns the fast path for a Checker, or nil when the
// options leave it nothing to do.
func newFastHead(o Options, h http.Header, host string, redirects int) *fastHead {
	if proxyConfigured() || host != "" || o.PerHost > 0 {
		return nil
	}
	var b bytes.Buffer
	for k, vs := range h {
		for _, v := range vs {
			if strings.ContainsAny(k, "\r\n: ") || strings.ContainsAny(v, "\r\n") {
				return nil // net/http refuses or cleans these; let it
			}
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteString("\r\n")
		}
	}
	return &fastHead{timeout: o.Timeout, redirects: redirects >= 0, header: b.Bytes(),
		maxIdle: max(o.Workers, 1), idle: map[string][]*fastConn{}}
}

// eligible reports whether u is for the fast path, and its host:port.
func (f *fastHead) eligible(u *url.URL) (string, bool) {
	if f == nil || u.Scheme != "http" || u.User != nil || u.Opaque != "" || u.Host == "" {
		return "", false
	}
	for i := 0; i < len(u.Host); i++ {
		if c := u.Host[i]; c >= 0x80 || c == '%' || c <= ' ' {
			return "", false
		}
	}
	if u.Port() != "" {
		return u.Host, true
	}
	if strings.HasSuffix(u.Host, ":") {
		return "", false
	}
	return net.JoinHostPort(u.Hostname(), "80"), true
}

// aLongTimeAgo is a deadline in the past: it ends a read or write at once.
var aLongTimeAgo = time.Unix(1, 0)

// head makes a HEAD to u. errNotFast: net/http must make it.
func (f *fastHead) head(ctx context.Context, u *url.URL, hostport string) (answer, error) {
	var deadline time.Time
	if f.timeout > 0 {
		deadline = time.Now().Add(f.timeout)
	}
	for try := 0; try < 2; try++ {
		fc, reused, err := f.get(ctx, hostport, deadline)
		if err != nil {
			return answer{}, errNotFast
		}
		fc.c.SetDeadline(deadline)
		stop := context.AfterFunc(ctx, func() { fc.c.SetDeadline(aLongTimeAgo) })
		a, keep, got, err := fc.roundTrip(u, f.header)
		cancelled := !stop()
		switch {
		case err == nil && !cancelled:
			if a.status >= 300 && a.status < 400 && f.redirects {
				f.put(hostport, fc, keep)
				return answer{}, errNotFast
			}
			f.put(hostport, fc, keep)
			return a, nil
		case cancelled || ctx.Err() != nil:
			fc.c.Close()
			return answer{}, context.Cause(ctx)
		}
		fc.c.Close()
		if reused && !got && !isTimeout(err) {
			continue // the server had closed the kept connection: once more, on a new one
		}
		if isTimeout(err) {
			return answer{}, err
		}
		return answer{}, errNotFast
	}
	return answer{}, errNotFast
}

// get returns a kept connection to hostport, or dials one.
func (f *fastHead) get(ctx context.Context, hostport string, deadline time.Time) (*fastConn, bool, error) {
	f.mu.Lock()
	if conns := f.idle[hostport]; len(conns) > 0 {
		fc := conns[len(conns)-1]
		f.idle[hostport] = conns[:len(conns)-1]
		f.mu.Unlock()
		return fc, true, nil
	}
	f.mu.Unlock()
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	c, err := f.dialer.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return nil, false, err
	}
	return &fastConn{c: c, br: bufio.NewReaderSize(c, 4<<10)}, false, nil
}

// put keeps fc for the next request to hostport, or closes it.
func (f *fastHead) put(hostport string, fc *fastConn, keep bool) {
	if keep {
		fc.c.SetDeadline(time.Time{})
		f.mu.Lock()
		if !f.closed && len(f.idle[hostport]) < f.maxIdle {
			f.idle[hostport] = append(f.idle[hostport], fc)
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
	}
	fc.c.Close()
}

// close closes the kept connections.
func (f *fastHead) close() {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for k, conns := range f.idle {
		for _, fc := range conns {
			fc.c.Close()
		}
		delete(f.idle, k)
	}
}

// errMalformed is a response the fast path does not read.
var errMalformed = errors.New("unexpected response")

// roundTrip writes a HEAD for u and reads the answer's status line and
// header. got reports whether any of the answer was read.
func (fc *fastConn) roundTrip(u *url.URL, header []byte) (a answer, keep, got bool, err error) {
	b := append(fc.buf[:0], "HEAD "...)
	b = append(b, u.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, u.Host...)
	b = append(b, "\r\n"...)
	b = append(b, header...)
	b = append(b, "\r\n"...)
	fc.buf = b
	if _, err := fc.c.Write(b); err != nil {
		return a, false, false, err
	}
	for {
		line, err := fc.br.ReadSlice('\n')
		if err != nil {
			return a, false, len(line) > 0, err
		}
		got = true
		// HTTP/1.x NNN reason
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
			return a, false, true, errMalformed
		}
		status := 0
		for _, c := range line[9:12] {
			if c < '0' || c > '9' {
				return a, false, true, errMalformed
			}
			status = status*10 + int(c-'0')
		}
		keep = line[7] == '1' // HTTP/1.1 keeps the connection unless told
		var retryAfter, location string
		for {
			h, err := fc.br.ReadSlice('\n')
			if err != nil {
				return a, false, true, err
			}
			h = bytes.TrimRight(h, "\r\n")
			if len(h) == 0 {
				break
			}
			k, v, ok := bytes.Cut(h, []byte(":"))
			if !ok {
				return a, false, true, errMalformed
			}
			v = bytes.TrimSpace(v)
			switch {
			case asciiEqualFold(k, "connection"):
				if asciiEqualFold(v, "close") {
					keep = false
				} else if asciiEqualFold(v, "keep-alive") && line[7] == '0' {
					keep = true
				}
			case asciiEqualFold(k, "retry-after"):
				retryAfter = string(v)
			case asciiEqualFold(k, "location"):
				location = string(v)
			}
		}
		switch {
		case status == http.StatusSwitchingProtocols || status < 100:
			return a, false, true, errMalformed
		case status < 200:
			continue // an interim answer: the final one follows
		}
		a.status = status
		switch {
		case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
			a.retryAfter = parseRetryAfter(retryAfter, time.Now())
		case status >= 300 && status < 400 && location != "":
			if loc, err := u.Parse(location); err == nil {
				a.location = loc.String()
			}
		}
		return a, keep, true, nil
	}
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
