package fanout_test

// Ports of CPython's Lib/test/test_concurrent_futures/test_wait.py; see
// cpython_test.go for the conventions and the skipped cases.

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fanout-dev/fanout"
)

// test_wait.py (ThreadPoolWaitTests: worker_count = 5)

// Mirrors test_wait.py WaitTests.test_20369: the same future twice must not
// hang Wait, and (as Wait documents) it appears once in done.
func TestWait_20369(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(5))
		defer ex.Shutdown()
		gate := make(chan struct{})
		f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { <-gate; return 1 * 2, nil })
		go func() {
			synctest.Wait() // Wait has registered on f twice
			close(gate)
		}()
		done, notDone, err := fanout.Wait(t.Context(), []*fanout.Future[int]{f, f}, fanout.AllCompleted)
		if err != nil {
			t.Fatal(err)
		}
		sameFutures(t, "done", done, []*fanout.Future[int]{f})
		sameFutures(t, "notDone", notDone, nil)
	})
}

// Mirrors test_wait.py WaitTests.test_first_completed. Python's
// CANCELLED_FUTURE (cancelled, waiters not yet notified) lands in not_done;
// fanout has no such state: a cancelled future is resolved, so Wait counts it
// as completed at once (deliberate: cancellation wakes waiters), checked in
// the second half.
func TestWait_FirstCompleted(t *testing.T) {
	fx := newFixture(t)
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	gate := make(chan struct{})
	defer close(gate)
	f1 := fanout.Submit(context.Background(), ex, value(21*2, nil))
	f2 := gated(ex, gate, 0)

	done, notDone, err := fanout.Wait(context.Background(), []*fanout.Future[int]{f1, f2}, fanout.FirstCompleted)
	if err != nil {
		t.Fatal(err)
	}
	sameFutures(t, "done", done, []*fanout.Future[int]{f1})
	sameFutures(t, "notDone", notDone, []*fanout.Future[int]{f2})

	done, notDone, err = fanout.Wait(context.Background(), []*fanout.Future[int]{fx.cancelled, f2}, fanout.FirstCompleted)
	if err != nil {
		t.Fatal(err)
	}
	sameFutures(t, "done (with a cancelled future)", done, []*fanout.Future[int]{fx.cancelled})
	sameFutures(t, "notDone (with a cancelled future)", notDone, []*fanout.Future[int]{f2})
}

// Mirrors test_wait.py WaitTests.test_first_completed_some_already_completed.
func TestWait_FirstCompletedSomeAlreadyCompleted(t *testing.T) {
	fx := newFixture(t)
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	gate := make(chan struct{})
	defer close(gate)
	f1 := gated(ex, gate, 0)
	done, notDone, err := fanout.Wait(context.Background(),
		[]*fanout.Future[int]{fx.cancelled, fx.successful, f1}, fanout.FirstCompleted)
	if err != nil {
		t.Fatal(err)
	}
	sameFutures(t, "done", done, []*fanout.Future[int]{fx.cancelled, fx.successful})
	sameFutures(t, "notDone", notDone, []*fanout.Future[int]{f1})
}

// Mirrors test_wait.py WaitTests.test_first_exception.
func TestWait_FirstException(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	event1, event2 := make(chan struct{}), make(chan struct{})
	defer close(event2)
	f1 := fanout.Submit(context.Background(), ex, value(2*21, nil))
	f2 := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) {
		<-event1
		return 0, errors.New("this is an exception")
	})
	f3 := gated(ex, event2, 0)

	// Ensure that f1 is completed before f2 finishes.
	joined := make(chan struct{})
	go func() {
		defer close(joined)
		f1.Result(context.Background())
		close(event1)
	}()
	done, notDone, err := fanout.Wait(context.Background(), []*fanout.Future[int]{f1, f2, f3}, fanout.FirstError)
	if err != nil {
		t.Fatal(err)
	}
	sameFutures(t, "done", done, []*fanout.Future[int]{f1, f2})
	sameFutures(t, "notDone", notDone, []*fanout.Future[int]{f3})
	<-joined
	if err := f2.Wait(context.Background()); err == nil {
		t.Error("f2 did not fail")
	}
}

// Mirrors test_wait.py WaitTests.test_first_exception_some_already_complete.
// Python's CANCELLED_FUTURE sits in not_done only because it was never
// "notified"; in fanout every cancelled future is done (see FirstCompleted).
func TestWait_FirstExceptionSomeAlreadyComplete(t *testing.T) {
	fx := newFixture(t)
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	gate := make(chan struct{})
	defer close(gate)
	f1 := fanout.Submit(context.Background(), ex, value(0, errDivZero)) // divmod(21, 0)
	f2 := gated(ex, gate, 0)
	done, notDone, err := fanout.Wait(context.Background(),
		[]*fanout.Future[int]{fx.successful, fx.cancelled, f1, f2}, fanout.FirstError)
	if err != nil {
		t.Fatal(err)
	}
	sameFutures(t, "done", done, []*fanout.Future[int]{fx.successful, fx.cancelled, f1})
	sameFutures(t, "notDone", notDone, []*fanout.Future[int]{f2})
	if err := f1.Wait(context.Background()); !errors.Is(err, errDivZero) {
		t.Errorf("f1: %v", err)
	}

	// And the cancelled future alone does not satisfy FirstError ("a
	// cancelled one does not count, as in Python"): only the deadline ends it.
	done, notDone, err = fanout.Wait(expired(), []*fanout.Future[int]{fx.cancelled, f2}, fanout.FirstError)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("FirstError on [cancelled, pending]: err = %v, want DeadlineExceeded", err)
	}
	sameFutures(t, "done (cancelled only)", done, []*fanout.Future[int]{fx.cancelled})
	sameFutures(t, "notDone (cancelled only)", notDone, []*fanout.Future[int]{f2})
}

// Mirrors test_wait.py WaitTests.test_first_exception_one_already_failed.
func TestWait_FirstExceptionOneAlreadyFailed(t *testing.T) {
	fx := newFixture(t)
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	gate := make(chan struct{})
	defer close(gate)
	f1 := gated(ex, gate, 0)
	done, notDone, err := fanout.Wait(context.Background(), []*fanout.Future[int]{fx.exception, f1}, fanout.FirstError)
	if err != nil {
		t.Fatal(err)
	}
	sameFutures(t, "done", done, []*fanout.Future[int]{fx.exception})
	sameFutures(t, "notDone", notDone, []*fanout.Future[int]{f1})
}

// Mirrors test_wait.py WaitTests.test_all_completed.
func TestWait_AllCompleted(t *testing.T) {
	fx := newFixture(t)
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	f1 := fanout.Submit(context.Background(), ex, value(0, errDivZero)) // divmod(2, 0)
	f2 := fanout.Submit(context.Background(), ex, value(2*21, nil))
	all := []*fanout.Future[int]{fx.successful, fx.cancelled, fx.exception, f1, f2}
	done, notDone, err := fanout.Wait(context.Background(), all, fanout.AllCompleted)
	if err != nil {
		t.Fatal(err)
	}
	sameFutures(t, "done", done, all)
	sameFutures(t, "notDone", notDone, nil)
	if err := f1.Wait(context.Background()); !errors.Is(err, errDivZero) {
		t.Errorf("f1: %v", err)
	}
}

// Mirrors test_wait.py WaitTests.test_timeout. Python's timeout is the
// context's deadline; fanout also returns the context's error.
func TestWait_Timeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fx := newFixture(t)
		ex := fanout.New(fanout.WithWorkers(5))
		defer ex.Shutdown()
		gate := make(chan struct{})
		defer close(gate)
		f := gated(ex, gate, 0)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		done, notDone, err := fanout.Wait(ctx,
			[]*fanout.Future[int]{fx.cancelled, fx.exception, fx.successful, f}, fanout.AllCompleted)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want DeadlineExceeded", err)
		}
		sameFutures(t, "done", done, []*fanout.Future[int]{fx.cancelled, fx.exception, fx.successful})
		sameFutures(t, "notDone", notDone, []*fanout.Future[int]{f})
	})
}

// Mirrors test_wait.py ThreadPoolWaitTests.test_pending_calls_race (issue
// #14406). Python's queue is unbounded; fanout's would make Submit wait for
// room while every worker is blocked, so the queue is sized for all 100.
func TestWait_PendingCallsRace(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(5), fanout.WithQueueSize(100))
	defer ex.Shutdown()
	event := make(chan struct{})
	var fs []*fanout.Future[int]
	for i := range 100 {
		fs = append(fs, gated(ex, event, i))
	}
	close(event)
	done, notDone, err := fanout.Wait(context.Background(), fs, fanout.AllCompleted)
	if err != nil || len(done) != 100 || len(notDone) != 0 {
		t.Fatalf("Wait: %d done, %d not done, %v", len(done), len(notDone), err)
	}
	for i, f := range done {
		if v, err := f.Result(context.Background()); v != i || err != nil {
			t.Errorf("future %d: %v, %v", i, v, err)
		}
	}
}

// No direct Python test: Python's wait() can hang on a future cancelled while
// it waits (gh-87893); fanout documents that Cancel wakes every waiter.
func TestWait_CancelWakesWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(1))
		defer ex.Shutdown()
		f := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() })
		go func() {
			synctest.Wait()
			f.Cancel()
		}()
		done, notDone, err := fanout.Wait(t.Context(), []*fanout.Future[int]{f}, fanout.AllCompleted)
		if err != nil {
			t.Fatal(err)
		}
		sameFutures(t, "done", done, []*fanout.Future[int]{f})
		sameFutures(t, "notDone", notDone, nil)
	})
}
