package httpcheck

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// countingServer answers every request with a page of size bytes
// (nothing to a HEAD) and counts the bytes it wrote, which a client that
// closes early cuts short.
func countingServer(b *testing.B, size int) (string, *atomic.Int64) {
	var sent atomic.Int64
	head := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n")
	body := []byte(strings.Repeat("x", size))
	url := serveConns(b, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			n, err := c.Write(head)
			sent.Add(int64(n))
			if err != nil {
				return
			}
			if req.Method != http.MethodHead {
				n, err := c.Write(body)
				sent.Add(int64(n))
				if err != nil {
					return
				}
			}
		}
	})
	return url, &sent
}

// BenchmarkFastPathBody measures what issue 27 asked before choosing how
// a GET ends: HEAD, GET reading the header then closing the connection,
// and GET draining the body to keep it, on a small and a large page:
// time per request and bytes the server wrote per request.
//
//	go test -run X -bench FastPathBody -benchtime 2000x ./internal/httpcheck
func BenchmarkFastPathBody(b *testing.B) {
	for _, size := range []int{80, 16 << 10, 1 << 20} {
		for _, c := range []struct {
			name     string
			method   string
			drainMax int64
		}{{"HEAD", http.MethodHead, 0}, {"GET-close", http.MethodGet, -1}, {"GET-drain", http.MethodGet, 1 << 30}} {
			b.Run(c.name+"/"+strconv.Itoa(size), func(b *testing.B) {
				u, sent := countingServer(b, size)
				ch := New(Options{Workers: 1, Method: c.method})
				defer ch.Close()
				ch.fast.drainMax = c.drainMax
				ctx := context.Background()
				sent.Store(0)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if r := ch.Check(ctx, u+"/p"+strconv.Itoa(i)); r.Class != Exists {
						b.Fatalf("%+v", r)
					}
				}
				b.ReportMetric(float64(sent.Load())/float64(b.N), "sent-B/op")
			})
		}
	}
}
