package demosite

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestCRC32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 100000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, split := range []int{0, 1, 2, 3, 7, 100, 4095, 4096, 65537, 99999, 100000} {
		a, b := data[:split], data[split:]
		got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b)))
		if want := crc32.ChecksumIEEE(data); got != want {
			t.Errorf("split at %d: %08x, want %08x", split, got, want)
		}
	}
	b := bomb()
	for k := range 21 {
		if want := crc32.ChecksumIEEE(bytes.Repeat([]byte{' '}, 1<<k)); b.crcs[k] != want {
			t.Errorf("CRC of 2^%d spaces: %08x, want %08x", k, b.crcs[k], want)
		}
	}
}

func TestGzip(t *testing.T) {
	s := startSite(t, Options{})

	// net/http's transport asks for gzip and decodes it transparently.
	resp, body := do(t, newClient(t), "GET", s.URL()+"/gzip")
	if resp.StatusCode != 200 || !resp.Uncompressed || title(body) != gzipTitle || !strings.HasSuffix(body, "</html>\n") {
		t.Errorf("status %d, Uncompressed %v, title %q", resp.StatusCode, resp.Uncompressed, title(body))
	}
	if resp.Request.Header.Get("Accept-Encoding") != "" {
		t.Error("the request header is not what net/http sent")
	}
	if ae := s.Path("/gzip").Last.Header.Get("Accept-Encoding"); ae != "gzip" {
		t.Errorf("server saw Accept-Encoding %q", ae)
	}

	// Without Accept-Encoding the page still comes gzip-encoded.
	raw := newClient(t, func(tr *http.Transport, _ *http.Client) { tr.DisableCompression = true })
	resp, body = do(t, raw, "GET", s.URL()+"/gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.ContentLength != int64(len(body)) ||
		resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("Content-Encoding %q, Content-Length %d, body %d bytes", resp.Header.Get("Content-Encoding"), resp.ContentLength, len(body))
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(zr)
	if err != nil || title(string(page)) != gzipTitle {
		t.Errorf("decoded: %v, title %q", err, title(string(page)))
	}
	resp, body = do(t, raw, "HEAD", s.URL()+"/gzip")
	if resp.ContentLength != int64(len(gzipPage())) || body != "" {
		t.Errorf("HEAD: Content-Length %d", resp.ContentLength)
	}
	for _, bad := range []string{"?bomb=maybe", "?bomb=1&size=big"} {
		resp, _ := do(t, raw, "GET", s.URL()+"/gzip"+bad)
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d", bad, resp.StatusCode)
		}
	}
	if n := s.Hits("/gzip"); n != 5 {
		t.Errorf("Hits = %d", n)
	}
}

// checkBomb decodes a bomb body fully, checking that it is a valid gzip
// stream (the reader verifies the CRC-32 and length at the end) decoding
// to bombHead, n spaces and bombTail.
func checkBomb(t *testing.T, compressed io.Reader, n int64) {
	t.Helper()
	zr, err := gzip.NewReader(compressed)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false) // one gzip member, as clients without multistream support see it
	br := bufio.NewReaderSize(zr, 64<<10)
	head := make([]byte, len(bombHead))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != bombHead {
		t.Fatalf("n=%d: head %q, %v", n, head, err)
	}
	var spaces int64
	for {
		c, err := br.ReadByte()
		if err != nil {
			t.Fatalf("n=%d: after %d spaces: %v", n, spaces, err)
		}
		if c != ' ' {
			br.UnreadByte()
			break
		}
		spaces++
	}
	tail, err := io.ReadAll(br)
	if err != nil || spaces != n || string(tail) != bombTail {
		t.Fatalf("n=%d: %d spaces, tail %q, %v", n, spaces, tail, err)
	}
}

func TestGzipBombExact(t *testing.T) {
	s := startSite(t, Options{})
	raw := newClient(t, func(tr *http.Transport, _ *http.Client) { tr.DisableCompression = true })
	for _, tc := range []struct {
		size string
		n    int64
	}{
		{"0", 0},
		{"1", 1},
		{"5", 5},
		{"1048575", 1<<20 - 1}, // every run but the largest
		{"1MiB", 1 << 20},
		{"3MiB", 3 << 20},
		{"3145731", 3<<20 + 3},
	} {
		resp, body := do(t, raw, "GET", s.URL()+"/gzip?bomb=1&size="+tc.size)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.ContentLength != int64(len(body)) {
			t.Fatalf("size %s: status %d, Content-Length %d, %d bytes", tc.size, resp.StatusCode, resp.ContentLength, len(body))
		}
		checkBomb(t, strings.NewReader(body), tc.n)
	}

	// More than one batch of the largest run: rather than inflate 65 MiB,
	// check the bytes against the pieces (whose concatenation the sizes
	// above prove) and the trailer against a CRC-32 computed directly.
	const n = 65<<20 + 1
	_, body := do(t, raw, "GET", s.URL()+"/gzip?bomb=1&size=68157441")
	b := bomb()
	want := string(b.head) + strings.Repeat(string(b.runs[bombLog]), 65) + string(b.runs[0]) + string(b.tail)
	if len(body) != len(want)+8 || body[:len(want)] != want {
		t.Fatalf("65 MiB + 1: %d bytes, want %d, or the pieces differ", len(body), len(want)+8)
	}
	crc := crc32.ChecksumIEEE([]byte(bombHead + strings.Repeat(" ", n) + bombTail))
	size := uint32(len(bombHead) + n + len(bombTail))
	if got := body[len(want):]; got != string(binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, crc), size)) {
		t.Errorf("trailer % x, want CRC %08x and size %d", got, crc, size)
	}
}

func TestGzipBomb(t *testing.T) {
	s := startSite(t, Options{})
	var wire atomic.Int64
	c := newClient(t, func(tr *http.Transport, _ *http.Client) {
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			return countingConn{conn, &wire}, err
		}
	})
	resp, _ := do(t, c, "HEAD", s.URL()+"/gzip?bomb=1")
	if cl := resp.ContentLength; cl != bomb().length(10e9) || cl > 15e6 {
		t.Errorf("HEAD: Content-Length %d, want %d", cl, bomb().length(10e9))
	}
	resp, err := c.Get(s.URL() + "/gzip?bomb=1")
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Uncompressed {
		t.Error("the transport did not decode the bomb")
	}
	const decoded = 32 << 20
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, decoded))
	resp.Body.Close()
	if err != nil || n != decoded {
		t.Fatalf("read %d decoded bytes, %v", n, err)
	}
	if w := wire.Load(); w > decoded/100 {
		t.Errorf("%d bytes on the wire for %d decoded, want a ratio above 100", w, decoded)
	}
	waitIdle(t, s)
}

// countingConn counts the bytes a client reads from the network.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}
