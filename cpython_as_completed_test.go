package fanout_test

// Ports of CPython's Lib/test/test_concurrent_futures/test_as_completed.py; see
// cpython_test.go for the conventions and the skipped cases.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fanout-dev/fanout"
)

// test_as_completed.py

// collect ranges over AsCompleted and returns the futures it yielded and the
// errors it yielded with a nil future.
func collect(ctx context.Context, fs []*fanout.Future[int]) (got []*fanout.Future[int], errs []error) {
	for f, err := range fanout.AsCompleted(ctx, fs) {
		if err != nil {
			if f != nil {
				errs = append(errs, fmt.Errorf("non-nil future with error %w", err))
				continue
			}
			errs = append(errs, err)
			continue
		}
		got = append(got, f)
	}
	return got, errs
}

// sameSet compares futures as a set, and fails on duplicates in got.
func sameSet(t *testing.T, got, want []*fanout.Future[int]) {
	t.Helper()
	seen := map[*fanout.Future[int]]int{}
	for _, f := range got {
		seen[f]++
	}
	ok := len(got) == len(want)
	for _, f := range want {
		if seen[f] != 1 {
			ok = false
		}
	}
	if !ok {
		t.Errorf("yielded %d futures %v, want each of %v once", len(got), states(got), states(want))
	}
}

// Mirrors test_as_completed.py AsCompletedTests.test_no_timeout.
func TestAsCompleted_NoTimeout(t *testing.T) {
	fx := newFixture(t)
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	f1 := fanout.Submit(context.Background(), ex, value(2*21, nil))
	f2 := fanout.Submit(context.Background(), ex, value(7*6, nil))
	all := []*fanout.Future[int]{fx.cancelled, fx.exception, fx.successful, f1, f2}
	got, errs := collect(context.Background(), all)
	if len(errs) != 0 {
		t.Errorf("errors: %v", errs)
	}
	sameSet(t, got, all)
}

// Mirrors test_as_completed.py AsCompletedTests.test_future_times_out.
// Deliberate difference: on timeout fanout yields (nil, ctx.Err()) once and
// stops instead of raising TimeoutError.
func TestAsCompleted_FutureTimesOut(t *testing.T) {
	for _, timeout := range []time.Duration{0, 100 * time.Millisecond} {
		t.Run(timeout.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fx := newFixture(t)
				ex := fanout.New(fanout.WithWorkers(5))
				defer ex.Shutdown()
				future := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) {
					time.Sleep(10 * 100 * time.Millisecond)
					return 0, nil
				})
				already := []*fanout.Future[int]{fx.cancelled, fx.exception, fx.successful}
				ctx, cancel := context.WithTimeout(t.Context(), timeout)
				defer cancel()
				got, errs := collect(ctx, append(slices.Clone(already), future))
				sameSet(t, got, already)
				if len(errs) != 1 || !errors.Is(errs[0], context.DeadlineExceeded) {
					t.Errorf("errors %v, want one DeadlineExceeded", errs)
				}
			})
		})
	}
}

// Mirrors test_as_completed.py AsCompletedTests.test_duplicate_futures
// (issue 20367): a future given three times is yielded once.
func TestAsCompleted_DuplicateFutures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(5))
		defer ex.Shutdown()
		future1 := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) {
			time.Sleep(2 * time.Second)
			return 1, nil
		})
		got, errs := collect(t.Context(), []*fanout.Future[int]{future1, future1, future1})
		if len(errs) != 0 {
			t.Errorf("errors: %v", errs)
		}
		if len(got) != 1 {
			t.Errorf("AsCompleted yielded the same future %d times, want once", len(got))
		}
	})
}

// Mirrors test_as_completed.py AsCompletedTests.test_correct_timeout_exception_msg.
// Python's message "2 (of 4) futures unfinished" has no fanout counterpart
// (deliberate: the error is ctx's own); the count is what was not yielded.
func TestAsCompleted_CorrectTimeoutExceptionMsg(t *testing.T) {
	fx := newFixture(t)
	all := []*fanout.Future[int]{fx.cancelled, fx.pending, fx.running, fx.successful}
	got, errs := collect(expired(), all)
	sameSet(t, got, []*fanout.Future[int]{fx.cancelled, fx.successful})
	if len(errs) != 1 || !errors.Is(errs[0], fanout.ErrContextDone) || !errors.Is(errs[0], context.DeadlineExceeded) {
		t.Errorf("errors %v, want one matching ErrContextDone and context.DeadlineExceeded", errs)
	}
	if unfinished := len(all) - len(got); unfinished != 2 {
		t.Errorf("%d (of 4) futures unfinished, want 2", unfinished)
	}
}

// No direct Python test: as_completed hangs on a future cancelled while it
// waits (gh-109934); fanout documents that such a future is yielded.
func TestAsCompleted_CancelWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(1))
		defer ex.Shutdown()
		running := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() })
		gate := make(chan struct{})
		defer close(gate)
		pending := gated(ex, gate, 0)
		go func() {
			synctest.Wait()
			pending.Cancel()
			running.Cancel()
		}()
		got, errs := collect(t.Context(), []*fanout.Future[int]{running, pending})
		if len(errs) != 0 {
			t.Errorf("errors: %v", errs)
		}
		sameSet(t, got, []*fanout.Future[int]{running, pending})
		if s := pending.State(); s != fanout.Canceled {
			t.Errorf("pending future yielded in state %v, want cancelled", s)
		}
		// The running task was asked to stop; it is yielded once it returned.
		if err := running.Wait(t.Context()); running.State() != fanout.Finished || !errors.Is(err, context.Canceled) {
			t.Errorf("running future yielded in state %v with %v, want done with the task's context.Canceled", running.State(), err)
		}
	})
}
