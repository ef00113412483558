package linkcheck

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
)

// cached is one web answer kept across runs (lychee's .lycheecache): a
// rerun in CI does not ask the same hosts again within the cache's age.
// Only statuses are kept: an error (a refused connection, a timeout) is
// asked again, as are local files, which are cheap and change with the tree.
type cached struct {
	URL    string    `json:"url"`
	Status int       `json:"status"`
	At     time.Time `json:"at"`
}

// LoadCache reads the answers of an earlier run (JSON lines, as WriteCache
// writes them) younger than maxAge at now; a line that does not parse is
// left out, so a damaged cache costs requests, never a wrong answer.
func (c *Checker) LoadCache(r io.Reader, maxAge time.Duration, now time.Time) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache == nil {
		c.cache = map[string]cached{}
	}
	for sc.Scan() {
		var e cached
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Status == 0 || !IsURL(e.URL) || now.Sub(e.At) >= maxAge || e.At.After(now) {
			continue
		}
		c.cache[e.URL] = e
	}
	return sc.Err()
}

// fromCache settles e from the cache, when it holds target; the answer
// keeps its time, so that it ages from when it was asked.
func (c *Checker) fromCache(e *entry, target string) bool {
	c.mu.Lock()
	a, ok := c.cache[target]
	c.mu.Unlock()
	if !ok {
		return false
	}
	r := httpcheck.Result{Status: a.Status, Class: httpcheck.Classify(a.Status)}
	e.status, e.err, e.word, e.at = a.Status, nil, webWord(r), a.At
	e.ok = r.Class == httpcheck.Exists
	if c.o.Accept != nil {
		e.ok = c.o.Accept(a.Status)
	}
	e.checked = true
	c.mu.Lock()
	c.stats.Cached++
	c.mu.Unlock()
	return true
}

// WriteCache writes the web answers of the run, and those of the cache
// still young that the run did not need, for LoadCache.
func (c *Checker) WriteCache(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	c.mu.Lock()
	defer c.mu.Unlock()
	for target, e := range c.targets {
		if !strings.HasPrefix(target, "http") || e.at.IsZero() || e.status == 0 {
			continue
		}
		if err := enc.Encode(cached{URL: target, Status: e.status, At: e.at.UTC()}); err != nil {
			return err
		}
	}
	for target, a := range c.cache {
		if _, done := c.targets[target]; !done {
			if err := enc.Encode(a); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}
