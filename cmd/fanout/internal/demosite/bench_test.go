package demosite

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkWiki measures /wiki/ pages over loopback with a keep-alive
// client: the path the project's 30,000 requests/s target runs on. Its
// allocations include the client's.
func BenchmarkWiki(b *testing.B) {
	s, err := Start(Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	url := s.WikiURL("Ocean")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// discardWriter is a minimal http.ResponseWriter.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkWritePage measures the site's own work for a /wiki/ page,
// without net/http: it should not allocate.
func BenchmarkWritePage(b *testing.B) {
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		serveWiki(nil, w, nil, "Python_(programming_language)", nil)
	}
}

// BenchmarkServeWiki measures the site's handler for a /wiki/ page, routing
// and statistics included, without the network: in the steady state it
// should not allocate.
func BenchmarkServeWiki(b *testing.B) {
	s, err := Start(Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	w := &discardWriter{h: http.Header{}}
	r, _ := http.NewRequest("GET", s.WikiURL("Ocean"), nil)
	r.Header.Set("User-Agent", "bench")
	b.ReportAllocs()
	for b.Loop() {
		s.serveHTTP(w, r)
	}
}
