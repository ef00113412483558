package demosite

// The routes that misbehave on purpose: slow, endless, truncated, reset or
// malformed responses.

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// afterFunc is context.AfterFunc whose stop also waits for f to return if
// it has started, so that no goroutine outlives the handler.
func afterFunc(ctx context.Context, f func()) (stop func()) {
	done := make(chan struct{})
	stopF := context.AfterFunc(ctx, func() {
		defer close(done)
		f()
	})
	return func() {
		if !stopF() {
			<-done
		}
	}
}

// unblockWrites makes a blocked write to w fail as soon as the request's
// context ends (client gone or site closed): a handler streaming to a client
// that stopped reading would otherwise block in Write until the client
// reads again. Call the returned stop before the handler returns.
func unblockWrites(w http.ResponseWriter, r *http.Request) (stop func()) {
	rc := http.NewResponseController(w)
	return afterFunc(r.Context(), func() { _ = rc.SetWriteDeadline(time.Unix(1, 0)) })
}

// abort ends the handler without completing the response: net/http closes
// the connection, so the client sees a truncated response, never a clean end.
func abort() { panic(http.ErrAbortHandler) }

// rawConn is a hijacked connection. Its context is done when the client
// closes the connection or the site closes; from then on its reads and
// writes fail at once.
type rawConn struct {
	net.Conn
	ctx      context.Context
	cancel   context.CancelFunc
	stop     func()
	readDone chan struct{}
}

// hijack takes over the connection of r. A goroutine reads (and discards)
// what the client sends, to notice when it goes away: net/http no longer
// does once the connection is hijacked.
func hijack(w http.ResponseWriter, r *http.Request) (*rawConn, error) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(r.Context())
	c := &rawConn{Conn: conn, ctx: ctx, cancel: cancel, readDone: make(chan struct{})}
	c.stop = afterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	go func() {
		defer close(c.readDone)
		_, _ = io.Copy(io.Discard, brw.Reader)
		cancel()
	}()
	return c, nil
}

// close closes the connection and waits for the reader goroutine.
func (c *rawConn) close() {
	c.cancel()
	c.stop()
	_ = c.Conn.Close()
	<-c.readDone
}

// reset closes the connection with a TCP RST rather than a FIN.
func (c *rawConn) reset() {
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.close()
}

// hijackOrFail hijacks, answering 500 if the connection cannot be hijacked.
func hijackOrFail(w http.ResponseWriter, r *http.Request) *rawConn {
	c, err := hijack(w, r)
	if err != nil {
		writeText(w, http.StatusInternalServerError, "cannot hijack the connection: "+err.Error()+"\n")
		return nil
	}
	return c
}

// writeRepeat writes n bytes: block repeated, the last copy cut short. It
// stops early if ctx is done.
func writeRepeat(ctx context.Context, w io.Writer, block []byte, n int64) error {
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := block
		if int64(len(b)) > n {
			b = b[:n]
		}
		m, err := w.Write(b)
		n -= int64(m)
		if err != nil {
			return err
		}
	}
	return nil
}

// repeatBlock is about 32 KiB of whole copies of unit.
func repeatBlock(unit string) func() []byte {
	return sync.OnceValue(func() []byte {
		return bytes.Repeat([]byte(unit), max(1, 32<<10/len(unit)))
	})
}

var (
	// fillerBlock fills the bodies of /big, /reset and /bigtitle.
	fillerBlock  = repeatBlock("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n")
	endlessBlock = repeatBlock(endlessLine)
	// scriptBlock pads the head of /late-title: 64-byte JavaScript comments.
	scriptBlock = repeatBlock("// padding padding padding padding padding padding padding pad\n")
)

func serveSlowHeaders(_ *Site, w http.ResponseWriter, r *http.Request, _ string, q url.Values) {
	delay, err := durationParam(q, "delay", 5*time.Second)
	if err != nil {
		badParam(w, "delay", err)
		return
	}
	if !sleep(r.Context(), delay) {
		abort()
	}
	writePage(w, http.StatusOK, "Slow headers", "", "These headers came late.")
}

// trickleBody is the page /trickle sends, one byte at a time.
const trickleBody = "<html><head><title>Trickle</title></head><body><h1>Trickle</h1><p>This page came one byte at a time.</p></body></html>\n"

var trickleResponse = "HTTP/1.1 200 OK\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-Length: " + strconv.Itoa(len(trickleBody)) + "\r\n" +
	"Connection: close\r\n\r\n"

func serveTrickle(_ *Site, w http.ResponseWriter, r *http.Request, _ string, q url.Values) {
	interval, err := durationParam(q, "interval", time.Second)
	if err != nil {
		badParam(w, "interval", err)
		return
	}
	resp := trickleResponse
	if r.Method != http.MethodHead {
		resp += trickleBody
	}
	c := hijackOrFail(w, r)
	if c == nil {
		return
	}
	defer c.close()
	for i := range len(resp) {
		if i > 0 && !sleep(c.ctx, interval) {
			return
		}
		if _, err := io.WriteString(c, resp[i:i+1]); err != nil {
			return
		}
	}
}

func serveHang(_ *Site, _ http.ResponseWriter, r *http.Request, _ string, _ url.Values) {
	<-r.Context().Done()
	abort()
}

const (
	endlessPrefix = "<html><head><title>Endless</title></head><body>\n"
	endlessLine   = "<p>This body never ends.</p>\n"
)

func serveEndless(_ *Site, w http.ResponseWriter, r *http.Request, _ string, q url.Values) {
	interval, err := durationParam(q, "interval", 0)
	if err != nil {
		badParam(w, "interval", err)
		return
	}
	w.Header()["Content-Type"] = htmlType
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	defer unblockWrites(w, r)()
	if _, err := io.WriteString(w, endlessPrefix); err != nil {
		abort()
	}
	block := endlessBlock()
	if interval > 0 {
		// Slow: the prefix, title included, now; then a line per interval.
		block = []byte(endlessLine)
	}
	rc := http.NewResponseController(w)
	for r.Context().Err() == nil {
		if interval > 0 {
			if rc.Flush() != nil || !sleep(r.Context(), interval) {
				break
			}
		}
		if _, err := w.Write(block); err != nil {
			break
		}
	}
	abort()
}

const bigPrefix = "<html><head><title>Big</title></head><body>\n"

func serveBig(_ *Site, w http.ResponseWriter, r *http.Request, _ string, q url.Values) {
	size, err := sizeParam(q, "size", 10e9)
	if err != nil {
		badParam(w, "size", err)
		return
	}
	send, err := sizeParam(q, "send", 1024)
	if err != nil {
		badParam(w, "send", err)
		return
	}
	then := q.Get("then")
	if then != "" && then != "close" && then != "hang" {
		writeText(w, http.StatusBadRequest, "then: want close or hang, got "+strconv.Quote(then)+"\n")
		return
	}
	send = min(send, size)
	h := w.Header()
	h["Content-Type"] = htmlType
	h["Content-Length"] = contentLength(size)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	defer unblockWrites(w, r)()
	if err := writePadded(r.Context(), w, bigPrefix, send); err != nil {
		abort()
	}
	if send == size {
		return // the whole body was asked for
	}
	if err := http.NewResponseController(w).Flush(); err != nil {
		abort()
	}
	if then == "hang" {
		<-r.Context().Done()
	}
	abort()
}

// writePadded writes n bytes: prefix (cut short if n is smaller) then filler.
func writePadded(ctx context.Context, w io.Writer, prefix string, n int64) error {
	p := prefix[:min(int64(len(prefix)), n)]
	if _, err := io.WriteString(w, p); err != nil {
		return err
	}
	return writeRepeat(ctx, w, fillerBlock(), n-int64(len(p)))
}

const resetPrefix = "<html><head><title>Reset</title></head><body>\n"

func serveReset(_ *Site, w http.ResponseWriter, r *http.Request, _ string, q url.Values) {
	after := int64(-1) // reset before the response
	if q.Has("after") {
		var err error
		if after, err = sizeParam(q, "after", 0); err != nil {
			badParam(w, "after", err)
			return
		}
	}
	c := hijackOrFail(w, r)
	if c == nil {
		return
	}
	defer c.reset()
	if after < 0 {
		return
	}
	head := "HTTP/1.1 200 OK\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n" +
		"Content-Length: " + strconv.FormatInt(after+4096, 10) + "\r\n" +
		"Connection: close\r\n\r\n"
	if _, err := io.WriteString(c, head); err != nil || r.Method == http.MethodHead {
		return
	}
	_ = writePadded(c.ctx, c, resetPrefix, after)
}

// chunkedBadHead and chunkedBadBody make a chunked response whose first
// chunk is well-formed and whose second chunk size is not hexadecimal.
const (
	chunkedBadHead = "HTTP/1.1 200 OK\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n" +
		"Transfer-Encoding: chunked\r\n" +
		"Connection: close\r\n\r\n"
	chunkedBadBody = "c\r\n<html><head>\r\n" + "zz\r\n<title>Bad chunks</title>\r\n"
)

func serveChunkedBad(_ *Site, w http.ResponseWriter, r *http.Request, _ string, _ url.Values) {
	resp := chunkedBadHead
	if r.Method != http.MethodHead {
		resp += chunkedBadBody
	}
	c := hijackOrFail(w, r)
	if c == nil {
		return
	}
	defer c.close()
	_, _ = io.WriteString(c, resp)
}

const (
	bigTitlePrefix = "<html><head><title>"
	bigTitleSuffix = "</title></head><body><h1>Big title</h1></body></html>\n"
	// titleBlock fills the title of /bigtitle: ASCII words, no markup.
	titleUnit = "big title "
)

var titleBlock = repeatBlock(titleUnit)

func serveBigTitle(_ *Site, w http.ResponseWriter, r *http.Request, _ string, q url.Values) {
	size, err := sizeParam(q, "size", 10e6)
	if err != nil {
		badParam(w, "size", err)
		return
	}
	h := w.Header()
	h["Content-Type"] = htmlType
	h["Content-Length"] = contentLength(int64(len(bigTitlePrefix)) + size + int64(len(bigTitleSuffix)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	defer unblockWrites(w, r)()
	if _, err := io.WriteString(w, bigTitlePrefix); err != nil {
		abort()
	}
	if err := writeRepeat(r.Context(), w, titleBlock(), size); err != nil {
		abort()
	}
	_, _ = io.WriteString(w, bigTitleSuffix)
}

const (
	lateTitleHead  = "<html><head><script>\n"
	lateTitleEnd   = "</script>"
	lateTitleTitle = "Late title"
	lateTitleRest  = "<title>" + lateTitleTitle + "</title></head><body><h1>Late title</h1></body></html>\n"
)

// lateTitleSizes returns the padding length of /late-title for a title at
// offset, and the body length.
func lateTitleSizes(offset int64) (pad, total int64) {
	pad = max(0, offset-int64(len(lateTitleHead)+len(lateTitleEnd)))
	return pad, int64(len(lateTitleHead)) + pad + int64(len(lateTitleEnd)+len(lateTitleRest))
}

func serveLateTitle(_ *Site, w http.ResponseWriter, r *http.Request, _ string, q url.Values) {
	offset, err := sizeParam(q, "offset", 2e6)
	if err != nil {
		badParam(w, "offset", err)
		return
	}
	pad, total := lateTitleSizes(offset)
	h := w.Header()
	h["Content-Type"] = htmlType
	h["Content-Length"] = contentLength(total)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	defer unblockWrites(w, r)()
	if _, err := io.WriteString(w, lateTitleHead); err != nil {
		abort()
	}
	if err := writeRepeat(r.Context(), w, scriptBlock(), pad); err != nil {
		abort()
	}
	_, _ = io.WriteString(w, lateTitleEnd+lateTitleRest)
}
