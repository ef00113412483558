package linkcheck

import (
	"context"
	"errors"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/links"
)

// acquire returns the entry of target, locked, or nil when ctx ended
// while another item worked on it.
func (c *Checker) acquire(ctx context.Context, target string, kind links.Kind) *entry {
	c.mu.Lock()
	e, ok := c.targets[target]
	if !ok {
		e = c.newEntry(target, kind)
	}
	c.mu.Unlock()
	select {
	case e.lock <- struct{}{}:
		c.mu.Lock()
		e.busy = true
		c.mu.Unlock()
		return e
	case <-ctx.Done():
		return nil
	}
}

// newEntry records a distinct target; c.mu is held.
func (c *Checker) newEntry(target string, kind links.Kind) *entry {
	e := &entry{lock: make(chan struct{}, 1)}
	c.targets[target] = e
	if kind == links.HTTP {
		c.stats.HTTP++
	} else {
		c.stats.Files++
	}
	return e
}

// release unlocks e and queues the links parked on it.
func (c *Checker) release(e *entry) {
	c.unbusy(e)
	<-e.lock
}

// unbusy ends e's busy time and queues the links parked on it.
func (c *Checker) unbusy(e *entry) {
	c.mu.Lock()
	e.busy = false
	parked := e.parked
	e.parked = nil
	c.parked -= len(parked)
	c.queue = append(c.queue, parked...)
	c.mu.Unlock()
	if len(parked) > 0 {
		c.signal()
	}
}

// Dropped tells the Checker that an item Items yielded will not be passed
// to Do (a rerun skips the links it has done): the links to its target
// that waited for it are handed out again.
func (c *Checker) Dropped(it Item) {
	if !it.claim {
		return
	}
	c.mu.Lock()
	e := c.targets[it.Link.Target]
	c.mu.Unlock()
	c.unbusy(e)
}

var errCut = errors.New("cut short")
