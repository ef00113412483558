package demosite

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Stats counts what the site has received since Start or the last
// ResetStats.
type Stats struct {
	Requests  int64            // requests received, on every route
	Active    int64            // handlers running now (hijacked connections included)
	Conns     int64            // TCP connections accepted (not reset by ResetStats)
	Untracked int64            // requests on paths beyond Options.MaxPaths
	Routes    map[string]int64 // requests per route name; see the package documentation
}

// Request describes one request the site received.
type Request struct {
	Time       time.Time // arrival, with a monotonic reading
	Method     string
	UserAgent  string
	RawQuery   string
	RemoteAddr string      // the client's ip:port: distinct values count connections
	Header     http.Header // the request's header; do not modify
}

// PathStats describes the requests the site received for one path.
type PathStats struct {
	Hits int     // requests received, any method and query
	Last Request // the most recent request; zero if Hits is 0
	// Times are the arrival times of the most recent requests, oldest
	// first: at most Options.TimesPerPath of them.
	Times []time.Time
}

// Rate is the request rate seen by the server over Times, in requests per
// second: (len(Times)-1) divided by the time from the first to the last.
// It is 0 with fewer than two times.
func (p PathStats) Rate() float64 {
	if len(p.Times) < 2 {
		return 0
	}
	d := p.Times[len(p.Times)-1].Sub(p.Times[0])
	if d <= 0 {
		return 0
	}
	return float64(len(p.Times)-1) / d.Seconds()
}

// pathRecord is the mutable state behind a PathStats; Site.mu guards it.
type pathRecord struct {
	hits  int
	last  Request
	times []time.Time // a ring once full
	next  int         // the oldest entry of a full ring
}

func (p *pathRecord) record(now time.Time, r *http.Request, keep int) {
	p.hits++
	p.last = Request{
		Time:       now,
		Method:     r.Method,
		UserAgent:  r.Header.Get("User-Agent"),
		RawQuery:   r.URL.RawQuery,
		RemoteAddr: r.RemoteAddr,
		Header:     r.Header,
	}
	if keep <= 0 {
		return
	}
	if len(p.times) < keep {
		p.times = append(p.times, now)
		return
	}
	p.times[p.next] = now
	p.next = (p.next + 1) % keep
}

func (p *pathRecord) stats() PathStats {
	if p == nil {
		return PathStats{}
	}
	times := make([]time.Time, 0, len(p.times))
	times = append(times, p.times[p.next:]...)
	times = append(times, p.times[:p.next]...)
	return PathStats{Hits: p.hits, Last: p.last, Times: times}
}

// Stats returns a snapshot of the site's counters.
func (s *Site) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		Requests:  s.total,
		Active:    s.active,
		Conns:     s.conns.Load(),
		Untracked: s.untracked,
		Routes:    make(map[string]int64),
	}
	for rt, n := range s.routes {
		if n > 0 {
			st.Routes[routeNames[rt]] = n
		}
	}
	return st
}

// Hits is the number of requests received for path, any method and query.
// The path is the decoded URL path ("/wiki/Ocean", as in
// http.Request.URL.Path); a full URL on the site (WikiURL("Ocean")) is
// accepted too.
func (s *Site) Hits(path string) int {
	path = pathOf(path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.paths[path]; p != nil {
		return p.hits
	}
	return 0
}

// Path describes the requests received for path (see Hits for its form).
func (s *Site) Path(path string) PathStats {
	path = pathOf(path)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paths[path].stats()
}

// Traffic is Path over every request the site received, whatever its path:
// its Rate is the site's request rate as the server saw it.
func (s *Site) Traffic() PathStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.all.stats()
}

// ResetStats zeroes the request counters, per-route and per-path
// statistics, for instance between the phases of a benchmark. It does not
// reset Stats.Conns, Stats.Active, or the /flaky counters (see ResetFlaky).
func (s *Site) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total, s.untracked = 0, 0
	s.routes = [numRoutes]int64{}
	s.all = pathRecord{}
	clear(s.paths)
}

// ResetFlaky forgets how many requests each /flaky/<key> has received, so
// every key fails again.
func (s *Site) ResetFlaky() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.flaky)
}

// pathOf turns a full URL into its path; a path is returned as is.
func pathOf(p string) string {
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		if u, err := url.Parse(p); err == nil {
			if u.Path == "" {
				return "/"
			}
			return u.Path
		}
	}
	return p
}
