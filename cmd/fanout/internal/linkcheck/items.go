package linkcheck

import (
	"context"
	"errors"
	"iter"
	"regexp"
	"strings"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/links"
)

// Items yields the items of starts (documents and start URLs, in order)
// and, before each next one, the links Do has found meanwhile; once starts
// are done, it waits for the items still running that may find links (the
// documents and the pages to follow), and ends when none runs and nothing
// is queued, or when ctx ends (an item yielded but never run, because the
// run was interrupted, would otherwise be waited for forever). The caller
// may drop an item that does not Follow (a rerun skips the links done),
// never one that does, nor a document.
func (c *Checker) Items(ctx context.Context, starts iter.Seq[Item]) iter.Seq[Item] {
	return func(yield func(Item) bool) {
		// mark counts an item that may find links as active.
		mark := func(it Item) Item {
			it.counted = it.Doc != "" || it.follow
			if it.counted {
				c.mu.Lock()
				c.active++
				c.mu.Unlock()
			}
			return it
		}
		drain := func() bool {
			for {
				c.mu.Lock()
				if len(c.queue) == 0 {
					c.mu.Unlock()
					return true
				}
				it := c.queue[0]
				c.queue[0] = Item{}
				c.queue = c.queue[1:]
				if k := it.Link.Kind; (k == links.HTTP || k == links.File) && c.selected(it) {
					e := c.targets[it.Link.Target]
					it.follow = c.follows(it, e)
					switch {
					case e == nil:
						e = c.newEntry(it.Link.Target, k)
						e.busy, e.crawl = true, it.follow
						it.claim = true
					case e.busy:
						e.parked = append(e.parked, it)
						c.parked++
						c.mu.Unlock()
						continue
					}
				}
				c.mu.Unlock()
				if !yield(mark(it)) {
					return false
				}
			}
		}
		for it := range starts {
			if !drain() {
				return
			}
			if !yield(mark(it)) {
				return
			}
		}
		for {
			if !drain() {
				return
			}
			c.mu.Lock()
			idle := c.active == 0 && len(c.queue) == 0 && c.parked == 0
			c.mu.Unlock()
			if idle {
				return
			}
			select {
			case <-c.wake:
			case <-ctx.Done():
				return
			}
		}
	}
}

// signal wakes Items if it waits.
func (c *Checker) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// push queues the links of a document or page, but those MaxPages leaves
// out: an endless site's links are not even queued.
func (c *Checker) push(its []Item) {
	if len(its) == 0 {
		return
	}
	c.mu.Lock()
	for _, it := range its {
		if c.admit(it) {
			c.queue = append(c.queue, it)
		}
	}
	c.mu.Unlock()
	c.signal()
}

// Do reads a document or checks a link. Every item Items yields must be
// passed to Do once.
func (c *Checker) Do(ctx context.Context, it Item) Result {
	if it.counted {
		defer func() {
			c.mu.Lock()
			c.active--
			c.mu.Unlock()
			c.signal()
		}()
	}
	if it.Doc != "" {
		return c.read(ctx, it)
	}
	l := it.Link
	switch {
	case l.Kind == links.Skipped && !c.match(it, c.o.Include) && c.match(it, c.o.Exclude):
		// An excluded ftp: link is excluded, as asked, not skipped
		// (issue 24.14); a skipped one is not left out by --include.
		return Result{Verdict: Excluded, Word: "excluded"}
	case l.Kind == links.Skipped:
		return Result{Verdict: Skipped, Word: "skipped (" + l.Scheme + ")"}
	case l.Kind == links.Invalid && errors.Is(l.Err, links.ErrRootRelative):
		// The fix, named (issue 24.10), once a path (issue 24.11).
		path, _, _ := strings.Cut(l.Raw, "#")
		path, _, _ = strings.Cut(path, "?")
		c.mu.Lock()
		if c.unres == nil {
			c.unres = map[string]bool{}
		}
		repeat := c.unres[path]
		c.unres[path] = true
		c.stats.Unresolved++
		if !repeat {
			c.stats.UnresolvedTargets++
		}
		c.mu.Unlock()
		return Result{Verdict: Broken, Word: "unresolved: pass --root-dir, the site's root on disk", Err: l.Err, Repeat: repeat}
	case l.Kind == links.Invalid:
		return Result{Verdict: Broken, Word: "error: " + l.Err.Error(), Err: l.Err}
	case !c.selected(it):
		return Result{Verdict: Excluded, Word: "excluded"}
	case l.Kind == links.File:
		return c.file(ctx, it)
	}
	return c.web1(ctx, it)
}

// selected applies Include and Exclude.
func (c *Checker) selected(it Item) bool {
	if c.o.Offline && it.Link.Kind == links.HTTP {
		return false
	}
	if c.match(it, c.o.Include) {
		return true
	}
	return len(c.o.Include) == 0 && !c.match(it, c.o.Exclude)
}

// match reports whether one of res matches the link as written or, for a
// web link, its absolute URL.
func (c *Checker) match(it Item, res []*regexp.Regexp) bool {
	for _, re := range res {
		if re.MatchString(it.Link.Raw) || (it.Link.Kind == links.HTTP && re.MatchString(it.Shown())) {
			return true
		}
	}
	return false
}
