package demosite

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Host is a loopback server with a hidden capacity, for `-w auto` and the
// adaptive limiter (issue 25): a request waits Latency times
// max(1, inflight/Capacity), so that beyond its capacity the host answers
// no faster, only slower, and is answered 503 at once beyond three times
// the capacity. Capacity 0 means no limit (every request waits Latency).
// Every path and method answers the same way; GET gets a few bytes.
type Host struct {
	Capacity int
	Latency  time.Duration

	srv   *http.Server
	ln    net.Listener
	mu    sync.Mutex
	st    HostStats
	in    int
	first time.Time
}

// HostStats counts what a Host was asked.
type HostStats struct {
	Requests int           // every request, the refused included
	Refused  int           // answered 503
	Peak     int           // most requests in flight at once
	Busy     time.Duration // from the first request to the last answer
}

// StartHost starts a Host on 127.0.0.1 on a free port.
func StartHost(capacity int, latency time.Duration) (*Host, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &Host{Capacity: capacity, Latency: latency, ln: ln}
	h.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.srv.Serve(ln) }() // http.ErrServerClosed, at Close
	return h, nil
}

// URL is the host's base URL, http://127.0.0.1:PORT.
func (h *Host) URL() string { return "http://" + h.ln.Addr().String() }

// Stats returns the counts so far.
func (h *Host) Stats() HostStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.st
}

// Close stops the host; requests in flight are cut.
func (h *Host) Close() error { return h.srv.Close() }

func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.in++
	n := h.in
	if h.st.Requests == 0 {
		h.first = time.Now()
	}
	h.st.Requests++
	h.st.Peak = max(h.st.Peak, n)
	refused := h.Capacity > 0 && n > 3*h.Capacity
	if refused {
		h.st.Refused++
	}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.in--
		h.st.Busy = time.Since(h.first)
		h.mu.Unlock()
	}()
	if refused {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	d := h.Latency
	if h.Capacity > 0 && n > h.Capacity {
		d = d * time.Duration(n) / time.Duration(h.Capacity)
	}
	if !sleep(r.Context(), d) {
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ok\n")) // a client gone is the client's to see
}
