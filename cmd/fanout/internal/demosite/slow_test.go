package demosite

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

func TestSlowHeaders(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)
	start := time.Now()
	resp, body := do(t, c, "GET", s.URL()+"/slow-headers?delay=100ms")
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("answered after %v, want at least 100ms", d)
	}
	if resp.StatusCode != 200 || title(body) != "Slow headers" {
		t.Errorf("status %d, title %q", resp.StatusCode, title(body))
	}

	// A client's ResponseHeaderTimeout fires; the handler then ends.
	impatient := newClient(t, func(tr *http.Transport, _ *http.Client) { tr.ResponseHeaderTimeout = 50 * time.Millisecond })
	_, _, err := tryDo(impatient, "GET", s.URL()+"/slow-headers") // default delay 5s
	if err == nil || !strings.Contains(err.Error(), "timeout awaiting response headers") {
		t.Errorf("GET with ResponseHeaderTimeout: %v", err)
	}
	waitIdle(t, s)

	resp, _ = do(t, c, "GET", s.URL()+"/slow-headers?delay=soon")
	if resp.StatusCode != 400 {
		t.Errorf("bad delay: status %d", resp.StatusCode)
	}
	if n := s.Stats().Routes["slow-headers"]; n != 3 {
		t.Errorf("Routes[slow-headers] = %d", n)
	}
}

func TestTrickle(t *testing.T) {
	s := startSite(t, Options{})
	const interval = time.Millisecond
	full := trickleResponse + trickleBody

	// Raw: the whole response arrives, and no faster than a byte per interval.
	start := time.Now()
	conn := rawRequest(t, s, "GET", "/trickle?interval=1ms")
	got, err := io.ReadAll(conn)
	if err != nil || string(got) != full {
		t.Fatalf("read %q, %v; want %q", got, err, full)
	}
	if d, min := time.Since(start), time.Duration(len(full)-1)*interval; d < min {
		t.Errorf("response took %v, want at least %v", d, min)
	}

	// net/http reads it like any response.
	resp, body := do(t, newClient(t), "GET", s.URL()+"/trickle?interval=0s")
	if resp.StatusCode != 200 || body != trickleBody {
		t.Errorf("status %d, body %q", resp.StatusCode, body)
	}
	resp, body = do(t, newClient(t), "HEAD", s.URL()+"/trickle?interval=0s")
	if resp.StatusCode != 200 || body != "" || resp.ContentLength != int64(len(trickleBody)) {
		t.Errorf("HEAD: status %d, Content-Length %d", resp.StatusCode, resp.ContentLength)
	}

	// Only an overall deadline stops it; the server notices the client left.
	c := newClient(t, func(_ *http.Transport, c *http.Client) { c.Timeout = 100 * time.Millisecond })
	if _, _, err := tryDo(c, "GET", s.URL()+"/trickle"); err == nil {
		t.Error("GET /trickle (1s per byte) within 100ms succeeded")
	}
	waitIdle(t, s)
	if n := s.Stats().Routes["trickle"]; n != 4 {
		t.Errorf("Routes[trickle] = %d", n)
	}
}

func TestHang(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t, func(_ *http.Transport, c *http.Client) { c.Timeout = 50 * time.Millisecond })
	_, _, err := tryDo(c, "GET", s.URL()+"/hang")
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("GET /hang: %v, want a timeout", err)
	}
	waitIdle(t, s)

	conn := rawRequest(t, s, "GET", "/hang")
	conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := conn.Read(make([]byte, 1)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("raw read: %d bytes, %v; want nothing", n, err)
	}
	conn.Close()
	waitIdle(t, s)
	if n := s.Hits("/hang"); n != 2 {
		t.Errorf("Hits = %d", n)
	}
}

func TestEndless(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)
	resp, err := c.Get(s.URL() + "/endless")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.ContentLength != -1 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("status %d, Content-Length %d", resp.StatusCode, resp.ContentLength)
	}
	const n = 4 << 20
	b, err := io.ReadAll(io.LimitReader(resp.Body, n))
	if err != nil || len(b) != n {
		t.Errorf("read %d bytes, %v", len(b), err)
	}
	if rest, ok := strings.CutPrefix(string(b), endlessPrefix); !ok || !strings.HasPrefix(rest, "<p>This body never ends.</p>\n<p>") {
		t.Errorf("body starts %q", b[:100])
	}
	resp.Body.Close()
	waitIdle(t, s)

	resp, body := do(t, c, "HEAD", s.URL()+"/endless")
	if resp.StatusCode != 200 || body != "" {
		t.Errorf("HEAD: status %d, body %q", resp.StatusCode, body)
	}
	if n := s.Stats().Routes["endless"]; n != 2 {
		t.Errorf("Routes[endless] = %d", n)
	}
}

// TestEndlessStalledClient: a client that stops reading blocks the handler
// in Write; closing the connection must end it.
func TestEndlessStalledClient(t *testing.T) {
	s := startSite(t, Options{})
	conn := rawRequest(t, s, "GET", "/endless")
	proctest.WaitFor(t, "the handler to start", func() bool { return s.Stats().Active == 1 })
	time.Sleep(20 * time.Millisecond) // let it fill the socket buffers
	conn.Close()
	waitIdle(t, s)
}

func TestBig(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)

	resp, err := c.Get(s.URL() + "/big")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.ContentLength != 10e9 {
		t.Errorf("status %d, Content-Length %d, want 10e9", resp.StatusCode, resp.ContentLength)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(b) != 1024 || !strings.HasPrefix(string(b), bigPrefix) {
		t.Errorf("read %d bytes, %v; want 1024 then unexpected EOF", len(b), err)
	}

	resp, body := do(t, c, "HEAD", s.URL()+"/big?size=1TB")
	if resp.StatusCode != 200 || resp.ContentLength != 1e12 || body != "" {
		t.Errorf("HEAD: status %d, Content-Length %d", resp.StatusCode, resp.ContentLength)
	}

	// then=hang: the bytes come, then nothing until the client gives up.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/big?size=1MB&send=100&then=hang", nil)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b = make([]byte, 100)
	if _, err := io.ReadFull(resp.Body, b); err != nil || !strings.HasPrefix(string(b), "<html><head><title>Big</title>") {
		t.Errorf("read %q, %v", b, err)
	}
	cancel()
	if _, err := resp.Body.Read(b); !errors.Is(err, context.Canceled) {
		t.Errorf("read after cancel: %v", err)
	}
	resp.Body.Close()
	waitIdle(t, s)

	// A size no larger than send is a complete, honest response.
	resp, body = do(t, c, "GET", s.URL()+"/big?size=500&send=1KB")
	if resp.ContentLength != 500 || len(body) != 500 {
		t.Errorf("size=500: Content-Length %d, body %d bytes", resp.ContentLength, len(body))
	}
	for _, bad := range []string{"?size=x", "?send=-1", "?then=later"} {
		resp, _ := do(t, c, "GET", s.URL()+"/big"+bad)
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d", bad, resp.StatusCode)
		}
	}
	if n := s.Hits("/big"); n != 7 {
		t.Errorf("Hits = %d", n)
	}
}

func TestReset(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)

	// Before any response: the request fails.
	_, _, err := tryDo(c, "GET", s.URL()+"/reset")
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
		t.Errorf("GET /reset: %v, want a reset", err)
	}
	conn := rawRequest(t, s, "GET", "/reset")
	if b, err := io.ReadAll(conn); len(b) != 0 || !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("raw: read %q, %v; want ECONNRESET", b, err)
	}

	// Mid-body: headers, then at most 100 body bytes, then an error.
	resp, body, err := tryDo(c, "GET", s.URL()+"/reset?after=100")
	switch {
	case err == nil:
		t.Errorf("GET /reset?after=100 succeeded with %d bytes", len(body))
	case resp != nil && (resp.StatusCode != 200 || resp.ContentLength != 100+4096 || len(body) > 100):
		t.Errorf("status %d, Content-Length %d, %d bytes", resp.StatusCode, resp.ContentLength, len(body))
	}
	conn = rawRequest(t, s, "GET", "/reset?after=100")
	b, err := io.ReadAll(conn)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("raw after=100: %v, want ECONNRESET", err)
	}
	// Linux delivers what arrived before the reset; check it if it did.
	if len(b) > 0 && (!strings.HasPrefix(string(b), "HTTP/1.1 200 OK\r\n") || strings.Count(string(b), "\r\n\r\n") != 1) {
		t.Errorf("raw after=100: read %q", b)
	} else if _, bodyPart, ok := strings.Cut(string(b), "\r\n\r\n"); ok && len(bodyPart) > 100 {
		t.Errorf("raw after=100: %d body bytes, want at most 100", len(bodyPart))
	}
	resp, _ = do(t, c, "GET", s.URL()+"/reset?after=many")
	if resp.StatusCode != 400 {
		t.Errorf("bad after: status %d", resp.StatusCode)
	}
	waitIdle(t, s)
	if n := s.Hits("/reset"); n != 5 {
		t.Errorf("Hits = %d", n)
	}
}

func TestChunkedBad(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)
	resp, err := c.Get(s.URL() + "/chunked-bad")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("status %d, Transfer-Encoding %v", resp.StatusCode, resp.TransferEncoding)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil || !strings.Contains(err.Error(), "chunk") || string(b) != "<html><head>" {
		t.Errorf("read %q, %v; want <html><head> then a chunk error", b, err)
	}
	resp, body := do(t, c, "HEAD", s.URL()+"/chunked-bad")
	if resp.StatusCode != 200 || body != "" {
		t.Errorf("HEAD: status %d, body %q", resp.StatusCode, body)
	}
	conn := rawRequest(t, s, "GET", "/chunked-bad")
	raw, err := io.ReadAll(conn)
	if err != nil || string(raw) != chunkedBadHead+chunkedBadBody {
		t.Errorf("raw: %q, %v", raw, err)
	}
	waitIdle(t, s)
	if n := s.Hits("/chunked-bad"); n != 3 {
		t.Errorf("Hits = %d", n)
	}
}

func TestBigTitle(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)
	resp, body := do(t, c, "GET", s.URL()+"/bigtitle?size=100KB")
	ttl := title(body)
	if resp.StatusCode != 200 || len(ttl) != 100e3 || resp.ContentLength != int64(len(body)) {
		t.Errorf("status %d, title of %d bytes, Content-Length %d, body %d", resp.StatusCode, len(ttl), resp.ContentLength, len(body))
	}
	if !strings.HasPrefix(ttl, "big title big title ") || strings.ContainsAny(ttl, "<>&") {
		t.Errorf("title starts %q", ttl[:40])
	}
	if !strings.HasPrefix(body, bigTitlePrefix) || !strings.HasSuffix(body, bigTitleSuffix) {
		t.Error("body does not start and end as documented")
	}

	resp, _ = do(t, c, "HEAD", s.URL()+"/bigtitle")
	if want := int64(len(bigTitlePrefix)) + 10e6 + int64(len(bigTitleSuffix)); resp.ContentLength != want {
		t.Errorf("HEAD: Content-Length %d, want %d", resp.ContentLength, want)
	}
	// The default, 10MB, read partly: the handler ends when the client closes.
	resp, err := c.Get(s.URL() + "/bigtitle")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1<<20)
	if _, err := io.ReadFull(resp.Body, b); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitIdle(t, s)
	if n := s.Stats().Routes["bigtitle"]; n != 3 {
		t.Errorf("Routes[bigtitle] = %d", n)
	}
}

func TestLateTitle(t *testing.T) {
	s := startSite(t, Options{})
	c := newClient(t)
	for _, tc := range []struct {
		query  string
		offset int
	}{
		{"", 2e6},
		{"?offset=100KB", 100e3},
		{"?offset=1MiB", 1 << 20},
		{"?offset=100", 100},
		{"?offset=0", len(lateTitleHead) + len(lateTitleEnd)}, // as early as it can be
	} {
		resp, body := do(t, c, "GET", s.URL()+"/late-title"+tc.query)
		if resp.StatusCode != 200 || resp.ContentLength != int64(len(body)) {
			t.Errorf("%q: status %d, Content-Length %d, %d bytes", tc.query, resp.StatusCode, resp.ContentLength, len(body))
		}
		if i := strings.Index(body, "<title>"); i != tc.offset || title(body) != "Late title" {
			t.Errorf("%q: <title> at %d, want %d; title %q", tc.query, i, tc.offset, title(body))
		}
		if !strings.HasPrefix(body, "<html><head><script>\n") || strings.Count(body, "<") != 12 {
			t.Errorf("%q: unexpected markup", tc.query)
		}
	}
	resp, _ := do(t, c, "HEAD", s.URL()+"/late-title")
	if _, total := lateTitleSizes(2e6); resp.ContentLength != total {
		t.Errorf("HEAD: Content-Length %d, want %d", resp.ContentLength, total)
	}
	if n := s.Hits("/late-title"); n != 6 {
		t.Errorf("Hits = %d", n)
	}
}

// TestRawClient checks the site against a hand-written HTTP/1.1 client.
func TestRawClient(t *testing.T) {
	s := startSite(t, Options{})
	conn := rawRequest(t, s, "HEAD", "/wiki/Ocean")
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: "HEAD"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Length") != strconv.Itoa(len(
		"<html><head><title>Ocean - Wikipedia</title></head><body><h1>Ocean - Wikipedia</h1>"+
			"<p>This page of the demo site stands in for the Wikipedia article.</p></body></html>\n")) {
		t.Errorf("status %d, Content-Length %q", resp.StatusCode, resp.Header.Get("Content-Length"))
	}
	if last := s.Path("/wiki/Ocean").Last; last.UserAgent != "raw-test" || last.Method != "HEAD" {
		t.Errorf("Last = %+v", last)
	}
}
