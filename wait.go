package fanout

import (
	"context"
	"iter"
)

// testHookWaitScanned, set by a test, hears how many futures each scan of
// Wait's list examined.
var testHookWaitScanned func(n int)

// WaitMode says when Wait returns, after Python's concurrent.futures.wait.
type WaitMode int

const (
	// AllCompleted: when every future is resolved.
	AllCompleted WaitMode = iota
	// FirstCompleted: when any future is resolved.
	FirstCompleted
	// FirstError: when any future fails (a cancelled one does not count, as
	// in Python), or else when all are resolved.
	FirstError
)

// Wait waits for futures as mode says and returns them split into the
// resolved (done) and the others (notDone), each in the order given, a
// future listed twice appearing once (Python returns sets). If ctx
// ends first it returns the split at that moment and ctx's error: Python's
// timeout, made observable.
func Wait[T any](ctx context.Context, futures []*Future[T], mode WaitMode) (done, notDone []*Future[T], err error) {
	futures = unique(futures)
	// Linear: each future is looked at when registering, each resolution
	// arrives once on the waiter's channel and is counted, and the split is
	// made once at the end (rescanning on every arrival made 40,000 futures
	// cost seconds of CPU).
	failed := func(c *core) bool { return State(c.state.Load()) == Done && c.err != nil }
	resolved, pending, anyFailed := 0, 0, false
	w := &waiter{ch: make(chan *core, len(futures))}
	defer func() {
		for _, f := range futures {
			f.removeWaiter(w)
		}
	}()
	for _, f := range futures {
		if !f.resolved() && f.addWaiter(w) {
			pending++
			continue
		}
		resolved++
		anyFailed = anyFailed || failed(&f.core)
	}
	satisfied := func() bool {
		switch mode {
		case FirstCompleted:
			return resolved > 0 || pending == 0
		case FirstError:
			return anyFailed || pending == 0
		}
		return pending == 0
	}
	for !satisfied() {
		select {
		case c := <-w.ch:
			pending--
			resolved++
			anyFailed = anyFailed || failed(c)
			continue
		case <-ctx.Done():
			err = ctx.Err()
		}
		break
	}
	if testHookWaitScanned != nil {
		testHookWaitScanned(len(futures))
	}
	for _, f := range futures {
		if f.resolved() {
			done = append(done, f)
		} else {
			notDone = append(notDone, f)
		}
	}
	return done, notDone, err
}

// AsCompleted yields each future as it resolves, resolved ones first, like
// Python's as_completed; a future listed twice is yielded once. If ctx ends before all have resolved it yields
// (nil, ctx's error) once and stops: that is Python's TimeoutError. A future
// cancelled while the loop waits is yielded like any other, so the loop can
// never hang on it (Python hangs here: gh-109934, gh-87893).
//
// Breaking out of the loop is fine; nothing is left running on its behalf.
func AsCompleted[T any](ctx context.Context, futures []*Future[T]) iter.Seq2[*Future[T], error] {
	return func(yield func(*Future[T], error) bool) {
		futures := unique(futures)
		byCore := make(map[*core]*Future[T], len(futures))
		w := &waiter{ch: make(chan *core, len(futures))}
		for _, f := range futures {
			byCore[&f.core] = f
			if !f.addWaiter(w) {
				w.ch <- &f.core // resolved already: first in line
			}
		}
		defer func() {
			for _, f := range futures {
				f.removeWaiter(w)
			}
		}()
		for range futures {
			select {
			case c := <-w.ch:
				if !yield(byCore[c], nil) {
					return
				}
			case <-ctx.Done():
				// Prefer what has already finished over the timeout.
				select {
				case c := <-w.ch:
					if !yield(byCore[c], nil) {
						return
					}
					continue
				default:
				}
				yield(nil, ctx.Err())
				return
			}
		}
	}
}

// unique drops repeated futures, keeping the first of each.
func unique[T any](fs []*Future[T]) []*Future[T] {
	seen := make(map[*Future[T]]struct{}, len(fs))
	out := make([]*Future[T], 0, len(fs))
	for _, f := range fs {
		if _, dup := seen[f]; !dup {
			seen[f] = struct{}{}
			out = append(out, f)
		}
	}
	return out
}
