package httpcheck

import (
	"context"
	"sync"
)

// Dedup makes one call per distinct key among the calls in flight and the
// most recent ones, and hands its result to every caller of that key: 100
// identical input lines make one request and 100 records (lychee's
// test_no_duplicate_requests). Its memory is bounded by the keys it
// remembers: those in flight (at most one per caller, so per worker) and
// the last `recent` finished ones; keys longer than maxDedupKey are not
// remembered (their calls are made each time).
type Dedup[R any] struct {
	mu      sync.Mutex
	entries map[string]*dedupEntry[R]
	ring    []string // keys of finished entries, oldest at next once full
	next    int
}

// maxDedupKey is the longest key Dedup remembers, in bytes.
const maxDedupKey = 2 << 10

type dedupEntry[R any] struct {
	r       R
	done    bool
	waiters chan struct{} // made by the first caller that waits; closed when done
}

// NewDedup returns a Dedup that remembers the last `recent` finished keys.
func NewDedup[R any](recent int) *Dedup[R] {
	return &Dedup[R]{entries: make(map[string]*dedupEntry[R]), ring: make([]string, 0, max(recent, 1))}
}

// Do returns the result of fn for key: fn's own, or that of a call for the
// same key in flight or recently finished. fn reports whether its result
// may be shared: a call cut short by ctx must not be. A caller whose ctx
// ends while it waits, or whose leader's result was not shared, calls fn
// itself.
func (d *Dedup[R]) Do(ctx context.Context, key string, fn func() (R, bool)) R {
	if d == nil || len(key) > maxDedupKey {
		r, _ := fn()
		return r
	}
	d.mu.Lock()
	if e, ok := d.entries[key]; ok {
		if e.done {
			r := e.r
			d.mu.Unlock()
			return r
		}
		if e.waiters == nil {
			e.waiters = make(chan struct{})
		}
		wait := e.waiters
		d.mu.Unlock()
		select {
		case <-wait:
			d.mu.Lock()
			r, ok := e.r, e.done
			d.mu.Unlock()
			if ok {
				return r
			}
		case <-ctx.Done():
		}
		r, _ := fn()
		return r
	}
	e := &dedupEntry[R]{}
	d.entries[key] = e
	d.mu.Unlock()
	share := false
	defer func() { d.finish(key, e, share) }() // even if fn panics
	e.r, share = fn()
	return e.r
}

// finish records the leader's result (e.r, set before) and wakes the
// callers waiting for it.
func (d *Dedup[R]) finish(key string, e *dedupEntry[R], share bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e.waiters != nil {
		defer close(e.waiters)
	}
	if !share {
		delete(d.entries, key)
		return
	}
	e.done = true
	if len(d.ring) < cap(d.ring) {
		d.ring = append(d.ring, key)
		return
	}
	delete(d.entries, d.ring[d.next])
	d.ring[d.next] = key
	d.next = (d.next + 1) % len(d.ring)
}
