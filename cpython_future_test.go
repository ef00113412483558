package fanout_test

// Ports of CPython's Lib/test/test_concurrent_futures/test_future.py; see
// cpython_test.go for the conventions and the skipped cases.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/fanout-dev/fanout"
)

// test_future.py

// Mirrors test_future.py FutureTests.test_done_callback_with_result.
func TestFuture_DoneCallbackWithResult(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	gate := make(chan struct{})
	f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { <-gate; return 5, nil })
	got := make(chan int, 1)
	f.OnDone(func(f *fanout.Future[int]) {
		v, _ := f.Result(context.Background())
		got <- v
	})
	close(gate)
	if v := <-got; v != 5 {
		t.Errorf("callback saw %d, want 5", v)
	}
}

// Mirrors test_future.py FutureTests.test_done_callback_with_exception.
func TestFuture_DoneCallbackWithException(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	gate := make(chan struct{})
	f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { <-gate; return 0, errors.New("test") })
	got := make(chan error, 1)
	f.OnDone(func(f *fanout.Future[int]) { got <- f.Wait(context.Background()) })
	close(gate)
	if err := <-got; err == nil || err.Error() != "test" {
		t.Errorf("callback saw %v, want error \"test\"", err)
	}
}

// Mirrors test_future.py FutureTests.test_done_callback_with_cancel. The
// callback runs in the goroutine that cancels, before Cancel returns.
func TestFuture_DoneCallbackWithCancel(t *testing.T) {
	fx := newFixture(t)
	wasCancelled := false
	fx.pending.OnDone(func(f *fanout.Future[int]) { wasCancelled = f.State() == fanout.Canceled })
	if !fx.pending.Cancel() {
		t.Fatal("Cancel of a pending future returned false")
	}
	if !wasCancelled {
		t.Error("callback did not run, or did not see the future cancelled")
	}
}

// Mirrors test_future.py FutureTests.test_done_callback_raises: a callback
// that panics is logged (slog here, stderr in Python) and the next callback
// still runs.
func TestFuture_DoneCallbackRaises(t *testing.T) {
	logs := captureSlog(t)
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	gate := make(chan struct{})
	f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { <-gate; return 5, nil })
	var raisingWasCalled atomic.Bool
	fnWasCalled := make(chan struct{})
	f.OnDone(func(*fanout.Future[int]) {
		raisingWasCalled.Store(true)
		panic("doh!")
	})
	f.OnDone(func(*fanout.Future[int]) { close(fnWasCalled) })
	close(gate)
	<-fnWasCalled
	if !raisingWasCalled.Load() {
		t.Error("the panicking callback was not called")
	}
	if v, err := f.Result(context.Background()); v != 5 || err != nil {
		t.Errorf("Result = %v, %v; want 5, nil", v, err)
	}
	if !strings.Contains(logs.String(), "doh!") {
		t.Errorf("panic not logged; log: %q", logs.String())
	}
}

// Mirrors test_future.py FutureTests.test_done_callback_already_successful:
// the callback runs at once, in the calling goroutine.
func TestFuture_DoneCallbackAlreadySuccessful(t *testing.T) {
	fx := newFixture(t)
	got := -1
	fx.successful.OnDone(func(f *fanout.Future[int]) { got, _ = f.Result(context.Background()) })
	if got != 42 {
		t.Errorf("callback saw %d, want 42 (and at once)", got)
	}
}

// Mirrors test_future.py FutureTests.test_done_callback_already_failed.
func TestFuture_DoneCallbackAlreadyFailed(t *testing.T) {
	fx := newFixture(t)
	var got error
	fx.exception.OnDone(func(f *fanout.Future[int]) { got = f.Wait(context.Background()) })
	if !errors.Is(got, errOS) {
		t.Errorf("callback saw %v, want %v (and at once)", got, errOS)
	}
}

// Mirrors test_future.py FutureTests.test_done_callback_already_cancelled.
func TestFuture_DoneCallbackAlreadyCancelled(t *testing.T) {
	fx := newFixture(t)
	wasCancelled := false
	fx.cancelled.OnDone(func(f *fanout.Future[int]) { wasCancelled = f.State() == fanout.Canceled })
	if !wasCancelled {
		t.Error("callback did not run at once, or did not see the future cancelled")
	}
}

// Mirrors test_future.py FutureTests.test_done_callback_raises_already_succeeded:
// a panicking callback on a resolved future is logged, not propagated to the
// caller of OnDone.
func TestFuture_DoneCallbackRaisesAlreadySucceeded(t *testing.T) {
	logs := captureSlog(t)
	fx := newFixture(t)
	func() {
		defer func() {
			if v := recover(); v != nil {
				t.Errorf("OnDone propagated the callback's panic: %v", v)
			}
		}()
		fx.successful.OnDone(func(*fanout.Future[int]) { panic("doh!") })
	}()
	if out := logs.String(); !strings.Contains(out, "callback") || !strings.Contains(out, "doh!") {
		t.Errorf("panic not logged as a callback failure; log: %q", out)
	}
}

// Mirrors test_future.py FutureTests.test_repr, through State.String.
// Python's "finished" is fanout's too, for success and failure alike.
func TestFuture_Repr(t *testing.T) {
	fx := newFixture(t)
	for _, c := range []struct {
		name string
		f    *fanout.Future[int]
		want string
	}{
		{"pending", fx.pending, "pending"},
		{"running", fx.running, "running"},
		{"cancelled", fx.cancelled, "canceled"},
		{"exception", fx.exception, "finished"},
		{"successful", fx.successful, "finished"},
	} {
		if got := c.f.State().String(); got != c.want {
			t.Errorf("%s: State().String() = %q, want %q", c.name, got, c.want)
		}
	}
}

// Mirrors test_future.py FutureTests.test_cancel: a pending future is
// cancelled, a running one is not (Cancel returns false and it stays
// running, as in Python), but fanout also cancels the running task's
// context, and the future then resolves with what the task returns.
// Cancelling an already cancelled future returns true, as in Python.
func TestFuture_Cancel(t *testing.T) {
	fx := newFixture(t)

	if !fx.pending.Cancel() {
		t.Error("pending: Cancel = false")
	}
	if s := fx.pending.State(); s != fanout.Canceled {
		t.Errorf("pending: state %v after Cancel", s)
	}

	if fx.running.Cancel() {
		t.Error("running: Cancel = true; a running task cannot be stopped for sure")
	}
	if cause := <-fx.runningCause; !errors.Is(cause, fanout.ErrCanceled) {
		t.Errorf("running task's context ended with %v, want ErrCancelled", cause)
	}
	if v, err := fx.running.Result(context.Background()); v != 7 || err != nil {
		t.Errorf("running: Result = %v, %v after Cancel; want the task's own 7, nil", v, err)
	}
	if s := fx.running.State(); s != fanout.Finished {
		t.Errorf("running: state %v once the task returned", s)
	}

	if !fx.cancelled.Cancel() {
		t.Error("cancelled: Cancel = false for an already cancelled future")
	}
	if s := fx.cancelled.State(); s != fanout.Canceled {
		t.Errorf("cancelled: state %v", s)
	}

	if fx.exception.Cancel() {
		t.Error("exception: Cancel = true")
	}
	if s := fx.exception.State(); s != fanout.Finished {
		t.Errorf("exception: state %v", s)
	}
	if fx.successful.Cancel() {
		t.Error("successful: Cancel = true")
	}
	if s := fx.successful.State(); s != fanout.Finished {
		t.Errorf("successful: state %v", s)
	}
	if v, err := fx.successful.Result(context.Background()); v != 42 || err != nil {
		t.Errorf("successful: Result = %v, %v after Cancel", v, err)
	}

	fx.release()
	fx.ex.Shutdown()
	if fx.pendingRan.Load() || fx.cancelledRan.Load() {
		t.Error("a future cancelled while pending ran anyway")
	}
}

// Cancel on a running task whose context it cancels resolves the future only
// when the task returns: until then it is running, Done is open, and Wait and
// AsCompleted do not count it; a caller who then closes what the task uses
// does not race with it.
func TestFuture_CancelRunningResolvesWhenTheTaskReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(1))
		defer ex.Shutdown()
		stillWriting := make(chan struct{})
		var wrote atomic.Bool
		f := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) {
			<-ctx.Done()
			<-stillWriting // cleaning up after the cancellation, say
			wrote.Store(true)
			return 0, ctx.Err()
		})
		synctest.Wait()
		if f.Cancel() {
			t.Error("Cancel of a running task = true")
		}
		synctest.Wait()
		if isDone(f) || f.State() != fanout.Running {
			t.Fatalf("after Cancel, before the task returned: done=%v state=%v; want running", isDone(f), f.State())
		}
		if done, _, _ := fanout.Wait(expired(), []*fanout.Future[int]{f}, fanout.FirstCompleted); len(done) != 0 {
			t.Error("Wait counted a running task as completed")
		}
		close(stillWriting)
		if err := f.Wait(t.Context()); !errors.Is(err, context.Canceled) {
			t.Errorf("Err = %v, want the task's own context.Canceled", err)
		}
		if !wrote.Load() {
			t.Error("the future resolved before its task returned")
		}
	})
}

// Mirrors test_future.py FutureTests.test_cancelled.
func TestFuture_Cancelled(t *testing.T) {
	fx := newFixture(t)
	for _, c := range []struct {
		name string
		f    *fanout.Future[int]
		want bool
	}{
		{"pending", fx.pending, false},
		{"running", fx.running, false},
		{"cancelled", fx.cancelled, true},
		{"exception", fx.exception, false},
		{"successful", fx.successful, false},
	} {
		if got := c.f.State() == fanout.Canceled; got != c.want {
			t.Errorf("%s: cancelled = %v, want %v", c.name, got, c.want)
		}
	}
}

// Mirrors test_future.py FutureTests.test_done.
func TestFuture_Done(t *testing.T) {
	fx := newFixture(t)
	for _, c := range []struct {
		name string
		f    *fanout.Future[int]
		want bool
	}{
		{"pending", fx.pending, false},
		{"running", fx.running, false},
		{"cancelled", fx.cancelled, true},
		{"exception", fx.exception, true},
		{"successful", fx.successful, true},
	} {
		if got := isDone(c.f); got != c.want {
			t.Errorf("%s: done = %v, want %v", c.name, got, c.want)
		}
	}
}

// Mirrors test_future.py FutureTests.test_running.
func TestFuture_Running(t *testing.T) {
	fx := newFixture(t)
	for _, c := range []struct {
		name string
		f    *fanout.Future[int]
		want bool
	}{
		{"pending", fx.pending, false},
		{"running", fx.running, true},
		{"cancelled", fx.cancelled, false},
		{"exception", fx.exception, false},
		{"successful", fx.successful, false},
	} {
		if got := c.f.State() == fanout.Running; got != c.want {
			t.Errorf("%s: running = %v, want %v", c.name, got, c.want)
		}
	}
}

// Mirrors test_future.py FutureTests.test_result_with_timeout. Python's
// TimeoutError is the expired context's error; the task goes on.
func TestFuture_ResultWithTimeout(t *testing.T) {
	fx := newFixture(t)
	ctx := expired()
	if _, err := fx.pending.Result(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("pending: %v, want DeadlineExceeded", err)
	}
	if _, err := fx.running.Result(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("running: %v, want DeadlineExceeded", err)
	}
	if fx.pending.State() != fanout.Pending || fx.running.State() != fanout.Running {
		t.Errorf("timing out changed the futures: %v, %v", fx.pending.State(), fx.running.State())
	}
	if _, err := fx.cancelled.Result(ctx); !errors.Is(err, fanout.ErrCanceled) {
		t.Errorf("cancelled: %v, want ErrCancelled", err)
	}
	if _, err := fx.exception.Result(ctx); !errors.Is(err, errOS) {
		t.Errorf("exception: %v, want %v", err, errOS)
	}
	if v, err := fx.successful.Result(ctx); v != 42 || err != nil {
		t.Errorf("successful: %v, %v; want 42, nil", v, err)
	}
}

// Mirrors test_future.py FutureTests.test_result_with_success. Python sleeps
// one second so that the main thread is waiting; synctest.Wait says so.
func TestFuture_ResultWithSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fx := newFixture(t)
		go func() {
			synctest.Wait() // the test goroutine is blocked in Result
			fx.release()
		}()
		if v, err := fx.pending.Result(t.Context()); v != 8 || err != nil {
			t.Errorf("Result = %v, %v; want 8, nil", v, err)
		}
	})
}

// Mirrors test_future.py FutureTests.test_result_with_cancel.
func TestFuture_ResultWithCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fx := newFixture(t)
		go func() {
			synctest.Wait()
			fx.pending.Cancel()
		}()
		if _, err := fx.pending.Result(t.Context()); !errors.Is(err, fanout.ErrCanceled) {
			t.Errorf("Result error = %v, want ErrCancelled", err)
		}
	})
}

// Mirrors test_future.py FutureTests.test_exception_with_timeout. Python's
// exception() raises CancelledError for a cancelled future; Err returns it.
func TestFuture_ExceptionWithTimeout(t *testing.T) {
	fx := newFixture(t)
	ctx := expired()
	for _, c := range []struct {
		name string
		f    *fanout.Future[int]
		want error
	}{
		{"pending", fx.pending, context.DeadlineExceeded},
		{"running", fx.running, context.DeadlineExceeded},
		{"cancelled", fx.cancelled, fanout.ErrCanceled},
		{"exception", fx.exception, errOS},
		{"successful", fx.successful, nil},
	} {
		if err := c.f.Wait(ctx); !errors.Is(err, c.want) {
			t.Errorf("%s: Err = %v, want %v", c.name, err, c.want)
		}
	}
}

// Mirrors test_future.py FutureTests.test_exception_with_success.
func TestFuture_ExceptionWithSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(1))
		defer ex.Shutdown()
		gate := make(chan struct{})
		f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { <-gate; return 0, errOS })
		go func() {
			synctest.Wait()
			close(gate)
		}()
		if err := f.Wait(t.Context()); !errors.Is(err, errOS) {
			t.Errorf("Err = %v, want %v", err, errOS)
		}
	})
}

// Mirrors test_future.py FutureTests.test_multiple_set_result. fanout has no
// set_result; the Go form of "a future is resolved once" is a running task
// that is asked to stop (Cancel) and returns a value anyway: the future
// resolves once, with that value, its callbacks run once, and a Cancel
// after it finished changes nothing.
func TestFuture_MultipleSetResult(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	started, proceed := make(chan struct{}), make(chan struct{})
	f := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		<-proceed
		return 1, nil
	})
	var calls atomic.Int32
	f.OnDone(func(*fanout.Future[int]) { calls.Add(1) })
	<-started
	if f.Cancel() {
		t.Fatal("Cancel of a running task = true")
	}
	close(proceed)
	ex.Shutdown() // the task has returned
	if f.Cancel() {
		t.Error("Cancel after the task finished = true")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("done callbacks ran %d times, want 1", n)
	}
	if v, err := f.Result(context.Background()); v != 1 || err != nil {
		t.Errorf("Result = %v, %v; want the task's own 1, nil", v, err)
	}
	if s := ex.Stats(); s.Completed != 1 || s.Canceled != 0 {
		t.Errorf("Stats = %+v; want Completed 1, Cancelled 0", s)
	}
}

// Mirrors test_future.py FutureTests.test_multiple_set_exception, in the
// same form: the error the task returns after Cancel is the outcome.
func TestFuture_MultipleSetException(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	started, proceed := make(chan struct{}), make(chan struct{})
	errValue := errors.New("ValueError")
	f := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		<-proceed
		return 0, errValue
	})
	<-started
	f.Cancel()
	close(proceed)
	ex.Shutdown()
	if err := f.Wait(context.Background()); err != errValue {
		t.Errorf("Err = %v, want the task's own error", err)
	}
	if s := ex.Stats(); s.Failed != 1 || s.Canceled != 0 {
		t.Errorf("Stats = %+v; want Failed 1, Cancelled 0", s)
	}
}

// Mirrors test_future.py FutureTests.test_get_snapshot: a consistent view of
// (done, cancelled, result, error), also under concurrent readers.
func TestFuture_GetSnapshot(t *testing.T) {
	fx := newFixture(t)
	type snapshot struct {
		done, cancelled bool
		result          int
		err             error
	}
	snap := func(f *fanout.Future[int]) snapshot {
		s := snapshot{done: isDone(f), cancelled: f.State() == fanout.Canceled}
		if s.done {
			s.result, s.err = f.Result(context.Background())
		}
		return s
	}
	for _, c := range []struct {
		name string
		f    *fanout.Future[int]
		want snapshot
	}{
		{"pending", fx.pending, snapshot{}},
		{"successful", fx.successful, snapshot{done: true, result: 42}},
		{"exception", fx.exception, snapshot{done: true, err: errOS}},
		{"cancelled", fx.cancelled, snapshot{done: true, cancelled: true, err: fanout.ErrCanceled}},
	} {
		if got := snap(c.f); got != c.want {
			t.Errorf("%s: snapshot %+v, want %+v", c.name, got, c.want)
		}
	}

	var wg sync.WaitGroup
	var bad atomic.Int32
	for range 4 {
		wg.Go(func() {
			for range 200 {
				if snap(fx.successful) != (snapshot{done: true, result: 42}) {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := bad.Load(); n != 0 {
		t.Errorf("%d concurrent snapshots differed", n)
	}
}
