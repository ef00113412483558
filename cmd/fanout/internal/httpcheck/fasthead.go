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

// The fast path: check's GET or HEAD to a plain http:// URL, the request
// a link check makes most, over keep-alive connections of its own rather
// than through net/http's client, whose goroutines, contexts and header
// maps cost about as much per request as the whole GET of a naive loop.
// It does only that one thing and hands everything else to net/http,
// which then makes the request itself:
//
//   - only check's GET and HEAD, only http (no TLS), no proxy in the
//     environment, no -H Host, no --per-host, a URL with an ASCII host and
//     no user information;
//   - a response it does not read cleanly (a status line or header it
//     does not expect, a 101, a header longer than its buffer), a failed
//     dial and any error but a timeout or the end of the context: the
//     request is made again by net/http, so errors read the same;
//   - a 3xx while redirects are followed: net/http follows its Location
//     (the 3xx is not asked for again).
//
// It reads the status line and the header. A GET's body is not wanted:
// one of at most drainMax bytes (by its Content-Length, or chunks adding
// up to no more) is read and dropped, so the connection serves the next
// request; a longer one, or one that runs until the server closes, costs
// the connection instead (see docs/benchmarks.md: on loopback, reading
// 16 KiB costs less than a new connection, and closing early stops a large
// page after what the socket buffers held). A HEAD response has no body
// (RFC 9110, 9.3.2). A connection the server marks "Connection: close" (or
// HTTP/1.0 without keep-alive) is closed, the others kept for the next
// request to the same host. A request on a kept connection that the
// server had closed meanwhile is made once more on a new one, as net/http
// does.
//
// Kept connections are bounded per host (the workers) and in all
// (maxIdleTotal): a run over 100,000 hosts keeps the most recent ones,
// not one per host (issue 26, item 7).
type fastPath struct {
	timeout   time.Duration
	redirects bool // followed: a 3xx goes to net/http
	header    []byte
	dialer    net.Dialer
	maxIdle   int   // per host
	maxTotal  int   // in all
	drainMax  int64 // most body bytes read to keep a connection

	mu     sync.Mutex
	idle   map[string][]*fastConn // by host:port, most recent last; no empty lists
	nIdle  int
	closed bool
}

type fastConn struct {
	c   net.Conn
	br  *bufio.Reader
	buf []byte // the request being written
}

// errNotFast marks a request the fast path hands to net/http.
var errNotFast = errors.New("not for the fast path")

// newFastPath returns the fast path for a Checker, or nil when the
// options leave it nothing to do.
func newFastPath(o Options, h http.Header, host string, redirects int) *fastPath {
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
	workers := max(o.Workers, 1)
	return &fastPath{timeout: o.Timeout, redirects: redirects >= 0, header: b.Bytes(),
		maxIdle: workers, maxTotal: maxIdleTotal(workers), drainMax: drainMax, idle: map[string][]*fastConn{}}
}

// eligible reports whether u is for the fast path, and its host:port.
func (f *fastPath) eligible(u *url.URL) (string, bool) {
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

// do makes a GET or HEAD to u. errNotFast: net/http must make it.
func (f *fastPath) do(ctx context.Context, method string, u *url.URL, hostport string) (answer, error) {
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
		a, keep, got, err := fc.roundTrip(method, u, f.header, f.drainMax)
		cancelled := !stop()
		switch {
		case err == nil && !cancelled:
			// A 3xx to follow: net/http goes on from its Location. One
			// without a Location is the answer, as in net/http.
			a.follow = a.status >= 300 && a.status < 400 && f.redirects && a.location != ""
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
func (f *fastPath) get(ctx context.Context, hostport string, deadline time.Time) (*fastConn, bool, error) {
	f.mu.Lock()
	if conns := f.idle[hostport]; len(conns) > 0 {
		fc := conns[len(conns)-1]
		if len(conns) == 1 {
			delete(f.idle, hostport)
		} else {
			f.idle[hostport] = conns[:len(conns)-1]
		}
		f.nIdle--
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
func (f *fastPath) put(hostport string, fc *fastConn, keep bool) {
	if keep {
		fc.c.SetDeadline(time.Time{})
		f.mu.Lock()
		if !f.closed && len(f.idle[hostport]) < f.maxIdle {
			var evicted *fastConn
			if f.nIdle >= f.maxTotal {
				evicted = f.evictLocked(hostport)
			}
			f.idle[hostport] = append(f.idle[hostport], fc)
			f.nIdle++
			f.mu.Unlock()
			if evicted != nil {
				evicted.c.Close()
			}
			return
		}
		f.mu.Unlock()
	}
	fc.c.Close()
}

// evictLocked takes out and returns a kept connection to another host
// than except (the oldest of the first host the map yields, which Go
// randomizes), or nil if there is none.
func (f *fastPath) evictLocked(except string) *fastConn {
	for hp, conns := range f.idle {
		if hp == except {
			continue
		}
		fc := conns[0]
		if len(conns) == 1 {
			delete(f.idle, hp)
		} else {
			f.idle[hp] = conns[1:]
		}
		f.nIdle--
		return fc
	}
	return nil
}

// close closes the kept connections.
func (f *fastPath) close() {
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
	f.nIdle = 0
}

// errMalformed is a response the fast path does not read.
var errMalformed = errors.New("unexpected response")

// roundTrip writes a GET or HEAD for u and reads the answer's status line
// and header, and a GET's body when it is at most drainMax bytes (else the
// connection is not kept). got reports whether any of the answer was read.
func (fc *fastConn) roundTrip(method string, u *url.URL, header []byte, drainMax int64) (a answer, keep, got bool, err error) {
	b := append(fc.buf[:0], method...)
	b = append(b, ' ')
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
		length, chunked := int64(-1), false
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
			case asciiEqualFold(k, "content-length"):
				n, ok := parseLength(v)
				if !ok || (length >= 0 && n != length) {
					return a, false, true, errMalformed // as net/http refuses it
				}
				length = n
			case asciiEqualFold(k, "transfer-encoding"):
				if !asciiEqualFold(v, "chunked") {
					return a, false, true, errMalformed
				}
				chunked = true
			}
		}
		switch {
		case status == http.StatusSwitchingProtocols || status < 100:
			return a, false, true, errMalformed
		case status < 200:
			continue // an interim answer: the final one follows
		}
		a.status = status
		if method != http.MethodHead && status != http.StatusNoContent && status != http.StatusNotModified {
			if ok, err := fc.dropBody(length, chunked, drainMax); err != nil {
				return a, false, true, err
			} else if !ok {
				keep = false
			}
		}
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

// dropBody reads and drops a body of at most drainMax bytes; false when the
// body is longer (or runs to the connection's end) and was left unread.
func (fc *fastConn) dropBody(length int64, chunked bool, drainMax int64) (bool, error) {
	switch {
	case chunked:
		return fc.dropChunks(drainMax)
	case length < 0 || length > drainMax:
		return false, nil
	}
	_, err := fc.br.Discard(int(length))
	return err == nil, err
}

// dropChunks reads and drops a chunked body (RFC 9112, 7.1) while its
// chunks add up to at most drainMax bytes.
func (fc *fastConn) dropChunks(drainMax int64) (bool, error) {
	var total int64
	for {
		line, err := fc.br.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions
		}
		size, ok := parseHex(bytes.TrimSpace(line))
		if !ok {
			return false, errMalformed
		}
		if size == 0 {
			break
		}
		if total += size; total > drainMax {
			return false, nil
		}
		if _, err := fc.br.Discard(int(size)); err != nil {
			return false, err
		}
		if crlf, err := fc.br.ReadSlice('\n'); err != nil || len(bytes.TrimRight(crlf, "\r\n")) != 0 {
			return false, errMalformed
		}
	}
	for { // trailer fields, up to the empty line
		line, err := fc.br.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return true, nil
		}
	}
}

// parseLength reads a Content-Length: digits only, at most 18 of them.
func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseHex reads a chunk size: hex digits only, at most 15 of them.
func parseHex(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}
