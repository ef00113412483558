package fanout

import (
	"context"
	"iter"
)

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
	split := func() {
		done, notDone = done[:0], notDone[:0]
		for _, f := range futures {
			if f.resolved() {
				done = append(done, f)
			} else {
				notDone = append(notDone, f)
			}
		}
	}
	satisfied := func() bool {
		switch mode {
		case FirstCompleted:
			return len(done) > 0 || len(futures) == 0
		case FirstError:
			for _, f := range done {
				if State(f.state.Load()) == Done && f.err != nil {
					return true
				}
			}
		}
		return len(notDone) == 0
	}
	split()
	if satisfied() {
		return done, notDone, nil
	}
	w := &waiter{ch: make(chan *core, len(notDone))}
	for _, f := range notDone {
		if !f.addWaiter(w) {
			w.ch <- &f.core // resolved since split: count it now
		}
	}
	defer func() {
		for _, f := range futures {
			f.removeWaiter(w)
		}
	}()
	for {
		select {
		case <-w.ch:
		case <-ctx.Done():
			split()
			return done, notDone, ctx.Err()
		}
		split()
		if satisfied() {
			return done, notDone, nil
		}
	}
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
