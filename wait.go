package fanout

import (
	"context"
	"iter"
)

// testHookWaitScanned, set by a test, hears how many futures each scan of
// Wait's list examined.
var testHookWaitScanned func(n int)

// WaitMode says when Wait returns.
type WaitMode int

const (
	// AllCompleted: when every future is resolved.
	AllCompleted WaitMode = iota
	// FirstCompleted: when any future is resolved.
	FirstCompleted
	// FirstError: when any future's task fails (a canceled one, which
	// never ran, does not count), or else when all are resolved.
	FirstError
)

// Wait waits for futures as mode says and returns them split into the
// resolved (done) and the others (notDone), each in the order given, a
// future listed twice appearing once. The futures may
// be of one type ([]*Future[int]) or of many ([]AnyFuture). If ctx ends
// first it returns the split at that moment and an error matching
// ErrContextDone and ctx's error.
func Wait[F AnyFuture](ctx context.Context, futures []F, mode WaitMode) (done, notDone []F, err error) {
	futures = unique(futures)
	// Linear: each future is looked at when registering, each resolution
	// arrives once on the waiter's channel and is counted, and the split is
	// made once at the end (rescanning on every arrival made 40,000 futures
	// cost seconds of CPU).
	failed := func(c *core) bool { return State(c.state.Load()) == Finished && c.err() != nil }
	resolved, pending, anyFailed := 0, 0, false
	w := &waiter{ch: make(chan *core, len(futures))}
	defer func() {
		for _, f := range futures {
			f.base().removeWaiter(w)
		}
	}()
	for _, f := range futures {
		if c := f.base(); !c.resolved() && c.addWaiter(w) {
			pending++
			continue
		}
		resolved++
		anyFailed = anyFailed || failed(f.base())
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
	if !satisfied() {
		if w := blockerOf(ctx, futures); w != nil {
			w.block()
			defer w.unblock()
		}
	}
	for !satisfied() {
		select {
		case c := <-w.ch:
			pending--
			resolved++
			anyFailed = anyFailed || failed(c)
			continue
		case <-ctx.Done():
			err = contextDone(ctx)
		}
		break
	}
	if testHookWaitScanned != nil {
		testHookWaitScanned(len(futures))
	}
	for _, f := range futures {
		if f.base().resolved() {
			done = append(done, f)
		} else {
			notDone = append(notDone, f)
		}
	}
	return done, notDone, err
}

// AsCompleted yields each future as it resolves, resolved ones first; a
// future listed twice is yielded once. If ctx ends before all have resolved
// it yields (zero, err) once, err matching ErrContextDone and ctx's error,
// and stops. A future canceled while the loop waits is yielded like any
// other, so the loop can never hang on it.
//
// Breaking out of the loop is fine; nothing is left running on its behalf.
// AsCompleted, like Wait, is safe inside a task: see Future.Result.
func AsCompleted[F AnyFuture](ctx context.Context, futures []F) iter.Seq2[F, error] {
	return func(yield func(F, error) bool) {
		futures := unique(futures)
		byCore := make(map[*core]F, len(futures))
		w := &waiter{ch: make(chan *core, len(futures))}
		for _, f := range futures {
			c := f.base()
			byCore[c] = f
			if !c.addWaiter(w) {
				w.ch <- c // resolved already: first in line
			}
		}
		defer func() {
			for _, f := range futures {
				f.base().removeWaiter(w)
			}
		}()
		wk := blockerOf(ctx, futures)
		for range futures {
			var c *core
			select {
			case c = <-w.ch:
			default:
				// Nothing resolved yet: wait, as a worker of the executor
				// if this is one of its tasks (only while waiting, not
				// while the loop's body runs).
				if wk != nil {
					wk.block()
				}
				select {
				case c = <-w.ch:
				case <-ctx.Done():
				}
				if wk != nil {
					wk.unblock()
				}
			}
			if c == nil {
				// ctx ended. Prefer what has already finished over the
				// timeout.
				select {
				case c = <-w.ch:
				default:
					var zero F
					yield(zero, contextDone(ctx))
					return
				}
			}
			if !yield(byCore[c], nil) {
				return
			}
		}
	}
}

// blockerOf is the worker whose task is about to wait on futures (see
// Executor.blocker): the first unresolved future's executor decides.
func blockerOf[F AnyFuture](ctx context.Context, futures []F) *worker {
	for _, f := range futures {
		if c := f.base(); !c.resolved() {
			return c.src.ex.blocker(ctx, c.src)
		}
	}
	return nil
}

// unique drops repeated futures, keeping the first of each.
func unique[F AnyFuture](fs []F) []F {
	seen := make(map[*core]struct{}, len(fs))
	out := make([]F, 0, len(fs))
	for _, f := range fs {
		if _, dup := seen[f.base()]; !dup {
			seen[f.base()] = struct{}{}
			out = append(out, f)
		}
	}
	return out
}
