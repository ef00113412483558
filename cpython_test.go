package fanout_test

// Ports of CPython's Lib/test/test_concurrent_futures behaviour tests
// (test_future.py, test_wait.py, test_as_completed.py, test_shutdown.py,
// test_thread_pool.py with the ExecutorTest it inherits from executor.py,
// test_init.py and test_deadlock.py) to fanout, for its thread-pool-like
// Executor, and of the CPython issues that apply to it: gh-121649 (a submit
// blocked when shutdown begins), bpo-16284 (a finished future holding its
// function), gh-131466 (map's buffersize exceeded while collecting).
//
// As in Python, a future is done only once its task has returned: Cancel of
// a running task returns false (fanout also cancels the task's context) and
// the future resolves with the task's own outcome (test_cancel).
//
// Python's module-level fixtures PENDING_FUTURE, RUNNING_FUTURE, ... are
// futures forced into a state by hand; fanout futures only come from an
// executor, so newFixture builds real ones. Python's CANCELLED and
// CANCELLED_AND_NOTIFIED are one state in fanout (Canceled): a cancelled
// future is resolved and wakes every waiter at once.
//
// Timeouts and "wait until the other thread is blocked" use testing/synctest,
// so nothing depends on the machine's speed, and a hang shows as a synctest
// deadlock failure instead of a stuck test.
//
// Skipped Python tests:
//
//	test_future.py   test_class_str: str() of Python classes.
//	test_as_completed.py test_free_reference_yielded_future: weakref/refcount
//	    detail; AsCompleted ranges over the caller's slice, which keeps the
//	    futures alive by design.
//	test_shutdown.py test_interpreter_shutdown, test_submit_after_interpreter_shutdown,
//	    test_hang_gh83386, test_cancel_futures_wait_false: interpreter exit and
//	    atexit hooks in a subprocess.
//	test_shutdown.py test_del_shutdown: shutdown by __del__/GC; fanout needs
//	    an explicit Shutdown.
//	test_shutdown.py test_shutdown_no_wait: fanout has no shutdown(wait=False).
//	test_shutdown.py ProcessPoolShutdownTest.* (test_processes_terminate,
//	    test_context_manager_shutdown, test_del_shutdown, test_shutdown_no_wait,
//	    test_shutdown_gh_132969_case_1/2): process pools.
//	test_thread_pool.py test_hang_global_shutdown_lock,
//	    test_process_fork_from_a_threadpool: fork().
//	executor.py test_submit_keyword: Python keyword-argument passing.
//	test_deadlock.py test_error_at_task_pickle, test_exit_at_task_unpickle,
//	    test_error_at_task_unpickle, test_crash_at_task_unpickle,
//	    test_crash_during_result_pickle_on_worker,
//	    test_exit_during_result_pickle_on_worker,
//	    test_error_during_result_pickle_on_worker,
//	    test_error_during_result_unpickle_in_result_handler,
//	    test_exit_during_result_unpickle_in_result_handler,
//	    test_shutdown_deadlock_pickle: pickling between processes.
//	test_deadlock.py test_crash_big_data, test_gh105829_should_not_deadlock_if_wakeup_pipe_full:
//	    process pipes filling up.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"log"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/fanout-dev/fanout"
)

// defaultWorkers is New's documented default bound.
const defaultWorkers = 64

var (
	errOS      = errors.New("OSError")           // EXCEPTION_FUTURE's exception
	errDivZero = errors.New("ZeroDivisionError") // divmod(x, 0)
)

// fixture holds futures in each state, like util.py's *_FUTURE constants.
// They come from a one-worker executor of their own: running occupies the
// worker, so pending stays pending until release.
type fixture struct {
	release      func() // lets running and pending finish
	gate         chan struct{}
	runningCause chan error // the cause running's context ended with, if it did
	pending      *fanout.Future[int]
	running      *fanout.Future[int]
	cancelled    *fanout.Future[int] // CANCELLED_FUTURE and CANCELLED_AND_NOTIFIED_FUTURE
	exception    *fanout.Future[int] // failed with errOS
	successful   *fanout.Future[int] // returned 42
	pendingRan   atomic.Bool
	cancelledRan atomic.Bool
	ex           *fanout.Executor
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ex := fanout.New(fanout.WithWorkers(1), fanout.WithQueueSize(4))
	fx := &fixture{
		gate:         make(chan struct{}),
		runningCause: make(chan error, 1),
		ex:           ex,
	}
	var once sync.Once
	fx.release = func() { once.Do(func() { close(fx.gate) }) }
	t.Cleanup(func() {
		fx.release()
		ex.Shutdown()
	})
	ctx := context.Background()

	fx.successful = fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return 42, nil })
	fx.exception = fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return 0, errOS })
	if v, err := fx.successful.Result(ctx); v != 42 || err != nil {
		t.Fatalf("fixture: successful = %v, %v", v, err)
	}
	if err := fx.exception.Wait(ctx); !errors.Is(err, errOS) {
		t.Fatalf("fixture: exception = %v", err)
	}

	started := make(chan struct{})
	fx.running = fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) {
		close(started)
		select {
		case <-fx.gate:
		case <-ctx.Done():
			fx.runningCause <- context.Cause(ctx)
		}
		return 7, nil
	})
	<-started
	fx.pending = fanout.Submit(context.Background(), ex, func(context.Context) (int, error) {
		fx.pendingRan.Store(true)
		<-fx.gate
		return 8, nil
	})
	fx.cancelled = fanout.Submit(context.Background(), ex, func(context.Context) (int, error) {
		fx.cancelledRan.Store(true)
		return 9, nil
	})
	if !fx.cancelled.Cancel() {
		t.Fatal("fixture: Cancel of a pending future returned false")
	}
	return fx
}

// isDone is Python's Future.done(): resolved, successfully or not.
func isDone[T any](f *fanout.Future[T]) bool {
	select {
	case <-f.Done():
		return true
	default:
		return false
	}
}

// expired returns a context whose deadline has passed: Python's timeout=0.
func expired() context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	cancel() // Err stays DeadlineExceeded
	return ctx
}

// gated submits a task that blocks until gate is closed, then returns v.
func gated(ex *fanout.Executor, gate <-chan struct{}, v int) *fanout.Future[int] {
	return fanout.Submit(context.Background(), ex, func(context.Context) (int, error) {
		<-gate
		return v, nil
	})
}

func value(v int, err error) func(context.Context) (int, error) {
	return func(context.Context) (int, error) { return v, err }
}

// sameFutures compares two future lists in order.
func sameFutures(t *testing.T, what string, got, want []*fanout.Future[int]) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %d futures %v, want %d %v", what, len(got), states(got), len(want), states(want))
	}
}

func states(fs []*fanout.Future[int]) []string {
	var s []string
	for _, f := range fs {
		s = append(s, f.State().String())
	}
	return s
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// captureSlog is support.captured_stderr for the slog default logger, which
// fanout logs panicking done callbacks to.
func captureSlog(t *testing.T) *syncBuffer {
	buf := &syncBuffer{}
	old, oldOut, oldFlags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(slog.New(slog.NewTextHandler(buf, nil)))
	t.Cleanup(func() {
		slog.SetDefault(old)
		log.SetOutput(oldOut)
		log.SetFlags(oldFlags)
	})
	return buf
}

// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
// test_shutdown.py (ThreadPoolShutdownTest: worker_count = 5)

// Mirrors test_shutdown.py ExecutorShutdownTest.test_run_after_shutdown.
// Deliberate difference: Submit does not raise (panic); it returns a future
// already Canceled (its task never runs) with an error matching ErrShutdown.
func TestShutdown_RunAfterShutdown(t *testing.T) {
	for _, stop := range []struct {
		name string
		fn   func(*fanout.Executor)
	}{{"Shutdown", (*fanout.Executor).Shutdown}, {"ShutdownNow", (*fanout.Executor).ShutdownNow}} {
		t.Run(stop.name, func(t *testing.T) {
			ex := fanout.New(fanout.WithWorkers(5))
			stop.fn(ex)
			var ran atomic.Bool
			pow := func(context.Context) (int, error) { ran.Store(true); return 1 << 5, nil }

			f := fanout.Submit(context.Background(), ex, pow)
			if !isDone(f) || f.State() != fanout.Canceled {
				t.Errorf("Submit after shutdown: state %v, want done", f.State())
			}
			if _, err := f.Result(context.Background()); !errors.Is(err, fanout.ErrShutdown) {
				t.Errorf("Submit after shutdown: %v, want ErrShutdown", err)
			}
			g := ex.Go(context.Background(), func(context.Context) error { ran.Store(true); return nil })
			if err := g.Wait(context.Background()); !errors.Is(err, fanout.ErrShutdown) {
				t.Errorf("Go after shutdown: %v, want ErrShutdown", err)
			}
			if ran.Load() {
				t.Error("a task submitted after shutdown ran")
			}
		})
	}
}

// Mirrors test_shutdown.py ExecutorShutdownTest.test_hang_issue12364:
// Shutdown with 50 sleeping tasks queued returns, and every task ran.
func TestShutdown_HangIssue12364(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(5))
		defer ex.Shutdown()
		var fs []*fanout.Future[int]
		for i := range 50 {
			fs = append(fs, fanout.Submit(context.Background(), ex, func(context.Context) (int, error) {
				time.Sleep(100 * time.Millisecond)
				return i, nil
			}))
		}
		ex.Shutdown()
		for i, f := range fs {
			if v, err := f.Result(context.Background()); v != i || err != nil {
				t.Errorf("future %d: %v, %v", i, v, err)
			}
		}
		if s := ex.Stats(); s.Completed != 50 || s.Workers != 0 {
			t.Errorf("Stats after Shutdown = %+v", s)
		}
	})
}

// Mirrors test_shutdown.py ExecutorShutdownTest.test_cancel_futures, with
// ShutdownNow for shutdown(cancel_futures=True): the queued futures are
// cancelled, what had finished stays finished. fanout also cancels the
// running tasks' contexts; their futures resolve with what the tasks return.
// In fake time: 5 workers, tasks of 100 ms, ShutdownNow at 150 ms, so tasks
// 0-4 are done, 5-9 running (they return their context's cause), 10-49
// queued.
func TestShutdown_CancelFutures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(5), fanout.WithQueueSize(64))
		defer ex.Shutdown()
		var fs []*fanout.Future[int]
		for i := range 50 {
			fs = append(fs, fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) {
				select {
				case <-time.After(100 * time.Millisecond):
					return i, nil
				case <-ctx.Done():
					return -i, context.Cause(ctx)
				}
			}))
		}
		time.Sleep(150 * time.Millisecond)
		ex.ShutdownNow()
		cancelled := 0
		for i, f := range fs {
			v, err := f.Result(context.Background())
			switch {
			case i < 5:
				if f.State() != fanout.Finished || err != nil || v != i {
					t.Errorf("finished future %d: state %v, %v, %v", i, f.State(), v, err)
				}
			case i < 10:
				// Its own outcome: the value is lost only because the task
				// returned none with its error.
				if f.State() != fanout.Finished || !errors.Is(err, fanout.ErrCanceled) {
					t.Errorf("running future %d: state %v, %v; want done with the task's own error", i, f.State(), err)
				}
			default:
				if f.State() == fanout.Canceled && errors.Is(err, fanout.ErrCanceled) {
					cancelled++
				}
			}
		}
		if cancelled != 40 {
			t.Errorf("%d queued futures cancelled, want 40", cancelled)
		}
		if s := ex.Stats(); s.Submitted != 50 || s.Completed != 5 || s.Failed != 5 || s.Canceled != 40 ||
			s.Running != 0 || s.Queued != 0 || s.Workers != 0 {
			t.Errorf("Stats after ShutdownNow = %+v", s)
		}
	})
}

// Mirrors test_shutdown.py ExecutorShutdownTest.test_cancel_futures, the
// promise that cancelled queued futures never run, made deterministic: the
// running task's done callback runs in ShutdownNow's goroutine (it is what
// cancels it) and holds ShutdownNow there while the freed worker goes back
// to the queue. A queued task must not start even then.
func TestShutdown_CancelFuturesQueuedNeverRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(1), fanout.WithQueueSize(4))
		defer ex.Shutdown()
		started := make(chan struct{})
		running := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		<-started
		queuedRan := make(chan struct{})
		queued := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) {
			close(queuedRan)
			return 1, nil
		})
		running.OnDone(func(*fanout.Future[int]) {
			select {
			case <-queuedRan:
			case <-time.After(time.Second): // fake time: passes once all else is blocked
			}
		})
		ex.ShutdownNow()
		select {
		case <-queuedRan:
			t.Error("ShutdownNow: a queued task ran after its executor was shut down now")
		default:
		}
		if err := queued.Wait(context.Background()); !errors.Is(err, fanout.ErrCanceled) {
			t.Errorf("queued future: %v, want ErrCancelled", err)
		}
	})
}

// Mirrors CPython gh-121649 (a submit blocked when shutdown begins; also
// elasticsearch#104580, tasks submitted to a shutting-down bounded executor
// neither run nor rejected). A submit that is waiting for room in a full
// queue when Shutdown begins returns ErrShutdown at once, and its task never
// runs: shutdown means no new task starts, however long it had waited.
func TestShutdown_WakesBlockedSubmitGH121649(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(1), fanout.WithQueueSize(1))
		release := make(chan struct{})
		ex.Go(context.Background(), func(context.Context) error { <-release; return nil }) // holds the worker
		synctest.Wait()
		ex.Go(context.Background(), func(context.Context) error { return nil }) // fills the queue
		var ran atomic.Bool
		submitted := make(chan error, 1)
		go func() {
			f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) {
				ran.Store(true)
				return 1, nil
			})
			submitted <- f.Wait(expired()) // the submit's own error, if it failed
		}()
		synctest.Wait() // the submit waits for room
		shut := make(chan struct{})
		go func() { ex.Shutdown(); close(shut) }()
		synctest.Wait() // Shutdown has begun and waits for the running task
		select {
		case err := <-submitted:
			if !errors.Is(err, fanout.ErrShutdown) {
				t.Errorf("blocked submit returned %v, want ErrShutdown", err)
			}
		default:
			t.Error("a submit blocked on the full queue was still blocked after Shutdown began")
			defer func() { <-submitted }()
		}
		close(release)
		<-shut
		if ran.Load() {
			t.Error("a task submitted before Shutdown but accepted after it began ran")
		}
	})
}

// Mirrors test_shutdown.py ExecutorShutdownTest.test_hang_gh94440: a task
// submitted and cancelled right before Shutdown does not hang it (a hang
// fails as a synctest deadlock).
func TestShutdown_HangGH94440(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(1))
		if v, err := fanout.Submit(context.Background(), ex, value(0, nil)).Result(t.Context()); v != 0 || err != nil {
			t.Fatal(v, err)
		}
		f := fanout.Submit(context.Background(), ex, value(0, nil))
		cancelled := f.Cancel()
		ex.Shutdown()
		if cancelled && f.State() != fanout.Canceled {
			t.Errorf("Cancel = true but state %v", f.State())
		}
		if !isDone(f) {
			t.Error("future not resolved after Shutdown")
		}
	})
}

// Mirrors test_shutdown.py ThreadPoolShutdownTest.test_threads_terminate.
func TestShutdown_ThreadsTerminate(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	sem := make(chan struct{})
	var started sync.WaitGroup
	started.Add(3)
	for range 3 {
		ex.Go(context.Background(), func(context.Context) error { started.Done(); <-sem; return nil })
	}
	started.Wait()
	if s := ex.Stats(); s.Workers != 3 || s.Running != 3 {
		t.Errorf("with 3 blocked tasks: Workers %d, Running %d; want 3, 3", s.Workers, s.Running)
	}
	close(sem)
	ex.Shutdown()
	if s := ex.Stats(); s.Workers != 0 || s.Completed != 3 {
		t.Errorf("after Shutdown: Workers %d, Completed %d; want 0, 3", s.Workers, s.Completed)
	}
}

// Mirrors test_shutdown.py ThreadPoolShutdownTest.test_context_manager_shutdown:
// `defer ex.Shutdown()` is the `with` block.
func TestShutdown_ContextManagerShutdown(t *testing.T) {
	var executor *fanout.Executor
	func() {
		ex := fanout.New(fanout.WithWorkers(5))
		defer ex.Shutdown()
		executor = ex
		var got []int
		for v, err := range fanout.Map(context.Background(), ex, rangeSeq(-5, 5), abs) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		if want := []int{5, 4, 3, 2, 1, 0, 1, 2, 3, 4}; !slices.Equal(got, want) {
			t.Errorf("Map(abs) = %v, want %v", got, want)
		}
	}()
	if w := executor.Stats().Workers; w != 0 {
		t.Errorf("%d workers left after the deferred Shutdown", w)
	}
}

// Mirrors test_shutdown.py ThreadPoolShutdownTest.test_thread_names_assigned:
// WorkerID, fanout's threading.get_ident, names each of 5 busy workers
// with a distinct id from 1 to 5 (Python: SpecialPool_0 ... _4).
func TestShutdown_ThreadNamesAssigned(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	var all sync.WaitGroup
	all.Add(5)
	var fs []*fanout.Future[int]
	for range 5 {
		fs = append(fs, fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) {
			all.Done()
			all.Wait() // all five run at once, so on five workers
			return fanout.WorkerID(ctx), nil
		}))
	}
	var ids []int
	for _, f := range fs {
		id, err := f.Result(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if want := []int{1, 2, 3, 4, 5}; !slices.Equal(ids, want) {
		t.Errorf("worker ids %v, want %v", ids, want)
	}
}

// Mirrors test_shutdown.py ThreadPoolShutdownTest.test_thread_names_default.
func TestShutdown_ThreadNamesDefault(t *testing.T) {
	ex := fanout.New()
	defer ex.Shutdown()
	id, err := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) { return fanout.WorkerID(ctx), nil }).Result(context.Background())
	if err != nil || id < 1 || id > defaultWorkers {
		t.Errorf("WorkerID in a task = %d, %v; want 1..%d", id, err, defaultWorkers)
	}
	if id := fanout.WorkerID(context.Background()); id != 0 {
		t.Errorf("WorkerID outside a task = %d, want 0", id)
	}
}

// ---------------------------------------------------------------------------
// test_thread_pool.py (ThreadPoolExecutorTest)

func rangeSeq(lo, hi int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for i := lo; i < hi; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

func abs(_ context.Context, x int) (int, error) {
	if x < 0 {
		return -x, nil
	}
	return x, nil
}

// Mirrors test_thread_pool.py ThreadPoolExecutorTest.test_map_submits_without_iteration
// (issue 11777). Deliberate difference: fanout's Map is lazy (bpo-29842), so
// nothing is submitted until the loop runs; a Map ranged only after Shutdown
// yields ErrShutdown. Ranged on a live executor, every input runs.
func TestThreadPool_MapSubmitsWithoutIteration(t *testing.T) {
	var mu sync.Mutex
	var finished []int
	record := func(_ context.Context, n int) (int, error) {
		mu.Lock()
		finished = append(finished, n)
		mu.Unlock()
		return n, nil
	}

	ex := fanout.New(fanout.WithWorkers(5))
	seq := fanout.Map(context.Background(), ex, rangeSeq(0, 10), record)
	ex.Shutdown()
	if len(finished) != 0 {
		t.Errorf("Map ran %v before its loop", finished)
	}
	var errs []error
	for _, err := range seq {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], fanout.ErrShutdown) {
		t.Errorf("Map after Shutdown yielded %v, want one ErrShutdown", errs)
	}

	ex2 := fanout.New(fanout.WithWorkers(5))
	defer ex2.Shutdown()
	for _, err := range fanout.Map(context.Background(), ex2, rangeSeq(0, 10), record) {
		if err != nil {
			t.Fatal(err)
		}
	}
	ex2.Shutdown()
	slices.Sort(finished)
	if !slices.Equal(finished, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("finished %v, want 0..9", finished)
	}
}

// Mirrors CPython gh-131466 (Executor.map temporarily exceeds its
// buffersize while collecting the next result) with the semantics of
// Python 3.14's buffersize after its fix: at most window inputs are taken
// from the input and not yet handed to the loop, at every moment, for Map
// and MapUnordered alike. The loop body is slow (a second of fake time), so
// everything else runs as far ahead as Map lets it before each check.
func TestThreadPool_MapBuffersizeGH131466(t *testing.T) {
	maps := map[string]func(context.Context, *fanout.Executor, iter.Seq[int], func(context.Context, int) (int, error), ...fanout.MapOption) iter.Seq2[int, error]{
		"Map": fanout.Map[int, int], "MapUnordered": fanout.MapUnordered[int, int],
	}
	for name, mapFn := range maps {
		for _, window := range []int{1, 2, 5} {
			t.Run(fmt.Sprintf("%s/window=%d", name, window), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					ex := fanout.New(fanout.WithWorkers(8))
					defer ex.Shutdown()
					var pulled, started atomic.Int64
					endless := func(yield func(int) bool) {
						for i := 0; ; i++ {
							pulled.Add(1)
							if !yield(i) {
								return
							}
						}
					}
					yielded := int64(0)
					for _, err := range mapFn(t.Context(), ex, endless, func(_ context.Context, i int) (int, error) {
						started.Add(1)
						return i, nil
					}, fanout.WithWindow(window)) {
						if err != nil {
							t.Fatal(err)
						}
						yielded++ // handed to this loop: no longer in the window
						time.Sleep(time.Second)
						if ahead := pulled.Load() - yielded; ahead > int64(window) {
							t.Fatalf("after %d results: %d inputs taken and not yet yielded (%d tasks started), window %d",
								yielded, ahead, started.Load(), window)
						}
						if yielded == 20 {
							break
						}
					}
				})
			})
		}
	}
}

// Mirrors test_thread_pool.py ThreadPoolExecutorTest.test_default_workers:
// New() runs DefaultWorkers tasks at once, and no more.
func TestThreadPool_DefaultWorkers(t *testing.T) {
	ex := fanout.New()
	defer ex.Shutdown()
	gate := make(chan struct{})
	defer close(gate)
	var started sync.WaitGroup
	started.Add(defaultWorkers)
	for range defaultWorkers {
		ex.Go(context.Background(), func(context.Context) error { started.Done(); <-gate; return nil })
	}
	extra := gated(ex, gate, 0)
	started.Wait()
	if s := ex.Stats(); s.Workers != defaultWorkers || s.Running != defaultWorkers {
		t.Errorf("Workers %d, Running %d; want %d", s.Workers, s.Running, defaultWorkers)
	}
	if s := extra.State(); s != fanout.Pending {
		t.Errorf("task %d is %v, want pending", defaultWorkers+1, s)
	}
}

// Mirrors test_thread_pool.py ThreadPoolExecutorTest.test_saturation. The
// queue is sized for the 60 tasks (Python's is unbounded).
func TestThreadPool_Saturation(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(4), fanout.WithQueueSize(15*4))
	defer ex.Shutdown()
	sem := make(chan struct{})
	var started atomic.Int32
	fourStarted := make(chan struct{})
	for range 15 * 4 {
		ex.Go(context.Background(), func(context.Context) error {
			if started.Add(1) == 4 {
				close(fourStarted)
			}
			<-sem
			return nil
		})
	}
	<-fourStarted
	if s := ex.Stats(); s.Workers != 4 || s.Running != 4 || s.Queued != 56 {
		t.Errorf("saturated: Workers %d, Running %d, Queued %d; want 4, 4, 56", s.Workers, s.Running, s.Queued)
	}
	close(sem)
	ex.Shutdown()
	if s := ex.Stats(); s.Completed != 60 {
		t.Errorf("Completed %d, want 60", s.Completed)
	}
}

// Mirrors test_thread_pool.py ThreadPoolExecutorTest.test_idle_thread_reuse.
// Python needs the GIL to be sure the idle thread is waiting again before the
// next submit (gh-117344); synctest.Wait makes sure here.
func TestThreadPool_IdleThreadReuse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New()
		defer ex.Shutdown()
		for _, c := range [][2]int{{21, 2}, {6, 7}, {3, 14}} {
			if v, err := fanout.Submit(context.Background(), ex, value(c[0]*c[1], nil)).Result(t.Context()); v != 42 || err != nil {
				t.Fatal(v, err)
			}
			synctest.Wait() // the worker is idle again
		}
		if w := ex.Stats().Workers; w != 1 {
			t.Errorf("%d workers for three sequential tasks, want 1", w)
		}
	})
}

// Mirrors test_thread_pool.py ThreadPoolExecutorTest.test_executor_map_current_future_cancel:
// a Map that times out yields the deadline error, and the inputs it had
// taken never run. Deliberate difference: the timeout is yielded as
// (zero, ctx.Err()) instead of raised. Python uses timeout=0; the second
// case uses a deadline that passes while Map waits.
func TestThreadPool_ExecutorMapCurrentFutureCancel(t *testing.T) {
	for _, timeout := range []time.Duration{0, 10 * time.Millisecond} {
		t.Run("timeout="+timeout.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				stop := make(chan struct{})
				var mu sync.Mutex
				var logged []string
				logNWait := func(_ context.Context, ident string) (int, error) {
					mu.Lock()
					logged = append(logged, ident+" started")
					mu.Unlock()
					<-stop
					mu.Lock()
					logged = append(logged, ident+" stopped")
					mu.Unlock()
					return 0, nil
				}
				pool := fanout.New(fanout.WithWorkers(1))
				defer pool.Shutdown()
				fut := fanout.Submit(context.Background(), pool, func(ctx context.Context) (int, error) { return logNWait(ctx, "first") })

				ctx, cancel := context.WithTimeout(t.Context(), timeout)
				defer cancel()
				var errs []error
				for _, err := range fanout.Map(ctx, pool, slices.Values([]string{"second", "third"}), logNWait) {
					errs = append(errs, err)
					break // contextlib.closing(gen) after the first next()
				}
				close(stop)
				if _, err := fut.Result(t.Context()); err != nil {
					t.Fatal(err)
				}
				pool.Shutdown()
				if len(errs) != 1 || !errors.Is(errs[0], context.DeadlineExceeded) {
					t.Errorf("Map yielded errors %v, want DeadlineExceeded first", errs)
				}
				if want := []string{"first started", "first stopped"}; !slices.Equal(logged, want) {
					t.Errorf("log %q, want %q", logged, want)
				}
			})
		})
	}
}

// --- ExecutorTest (executor.py), run by ThreadPoolExecutorTest ---

// Mirrors executor.py ExecutorTest.test_submit.
func TestThreadPool_Submit(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	if v, err := fanout.Submit(context.Background(), ex, value(1<<8, nil)).Result(context.Background()); v != 256 || err != nil {
		t.Errorf("pow(2, 8) = %v, %v", v, err)
	}
}

func intPow(_ context.Context, x int) (int, error) {
	r := 1
	for range x {
		r *= x
	}
	return r, nil
}

// Mirrors executor.py ExecutorTest.test_map. Window stands in for
// chunksize=3, the closest knob fanout has.
func TestThreadPool_Map(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	var want []int
	for i := range 10 {
		v, _ := intPow(context.Background(), i)
		want = append(want, v)
	}
	for _, opts := range [][]fanout.MapOption{nil, {fanout.WithWindow(3)}} {
		var got []int
		for v, err := range fanout.Map(context.Background(), ex, rangeSeq(0, 10), intPow, opts...) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		if !slices.Equal(got, want) {
			t.Errorf("Map(pow) with %d options = %v, want %v", len(opts), got, want)
		}
	}
}

// Mirrors executor.py ExecutorTest.test_map_exception. Deliberate
// difference: Python's iterator stops at the exception; Map yields each
// result with its error and goes on.
func TestThreadPool_MapException(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	divisors := []int{2, 3, 0, 5}
	type res struct {
		q   int
		err error
	}
	var got []res
	for q, err := range fanout.Map(context.Background(), ex, slices.Values(divisors), func(_ context.Context, d int) (int, error) {
		if d == 0 {
			return 0, errDivZero
		}
		return 1 / d, nil
	}) {
		got = append(got, res{q, err})
	}
	want := []res{{0, nil}, {0, nil}, {0, errDivZero}, {0, nil}}
	if !slices.Equal(got, want) {
		t.Errorf("Map(divmod) = %v, want %v", got, want)
	}
}

// Mirrors executor.py ExecutorTest.test_map_timeout: sleeps of 0, 0 and 6 s
// with a 5 s timeout give two results, then the deadline error, then stop.
// The second case has no Python counterpart (Python's map reads its whole
// input first): the deadline passes while Map waits for its input, which
// Map's doc covers too ("If ctx ends, Map yields (zero, ctx's error) once").
func TestThreadPool_MapTimeout(t *testing.T) {
	run := func(t *testing.T, inputs func(func(int) bool), wantResults []int) {
		synctest.Test(t, func(t *testing.T) {
			ex := fanout.New(fanout.WithWorkers(5))
			defer ex.Shutdown()
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			var results []int
			var errs []error
			for v, err := range fanout.Map(ctx, ex, inputs, func(_ context.Context, s int) (int, error) {
				time.Sleep(time.Duration(s) * time.Second)
				return s, nil
			}) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				results = append(results, v)
			}
			if !slices.Equal(results, wantResults) {
				t.Errorf("results %v, want %v", results, wantResults)
			}
			if len(errs) != 1 || !errors.Is(errs[0], context.DeadlineExceeded) {
				t.Errorf("errors %v, want one DeadlineExceeded", errs)
			}
		})
	}
	t.Run("slow task", func(t *testing.T) {
		run(t, slices.Values([]int{0, 0, 6}), []int{0, 0})
	})
	t.Run("slow input", func(t *testing.T) {
		run(t, func(yield func(int) bool) {
			for range 2 {
				if !yield(0) {
					return
				}
			}
			time.Sleep(10 * time.Second) // past the deadline
			yield(0)
		}, []int{0, 0})
	})
}

// Mirrors executor.py ExecutorTest.test_shutdown_race_issue12456: Shutdown
// right after a Map over more inputs than workers (here one whose loop ended
// early) does not hang.
func TestThreadPool_ShutdownRaceIssue12456(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(5))
		defer ex.Shutdown()
		var first string
		for s, err := range fanout.Map(t.Context(), ex, slices.Values(slices.Repeat([]int{2}, 5+1)),
			func(_ context.Context, n int) (string, error) { return strconv.Itoa(n), nil }) {
			if err != nil {
				t.Fatal(err)
			}
			first = s
			break
		}
		ex.Shutdown()
		if first != "2" {
			t.Errorf("first result %q, want \"2\"", first)
		}
		if s := ex.Stats(); s.Workers != 0 || s.Running != 0 {
			t.Errorf("after Shutdown: %+v", s)
		}
	})
}

type myObject struct{ payload [64]byte }

func (o *myObject) myMethod() { o.payload[0]++ }

// Mirrors executor.py ExecutorTest.test_no_stale_references (issue 16284):
// once a discarded future's task has run, the executor keeps nothing of it.
func TestThreadPool_NoStaleReferences(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	wp := func() weak.Pointer[myObject] {
		obj := &myObject{}
		fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { obj.myMethod(); return 0, nil }) // future discarded
		return weak.Make(obj)
	}()
	// The only worker runs this after it is completely done with the first.
	if _, err := fanout.Submit(context.Background(), ex, value(0, nil)).Result(context.Background()); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	if wp.Value() != nil {
		t.Error("the executor still references a finished task's closure")
	}
}

// Mirrors executor.py ExecutorTest.test_no_stale_references (bpo-16284)
// for a future the caller keeps, which Python's test does not need (a
// Python future never holds its function): once a task has run, or was
// cancelled before it could, its future no longer holds the function, so
// what the closure captured can be collected while the future lives on.
func TestThreadPool_NoStaleReferencesFutureKept(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	gate := make(chan struct{})
	blocker := gated(ex, gate, 0) // holds the worker, so the second task stays pending
	collected := make(chan string, 2)
	var ran, cancelled *fanout.Future[int]
	func() {
		a, b := &myObject{}, &myObject{}
		runtime.AddCleanup(a, func(s string) { collected <- s }, "ran")
		runtime.AddCleanup(b, func(s string) { collected <- s }, "cancelled")
		ran = fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { a.myMethod(); return 1, nil })
		cancelled = fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { b.myMethod(); return 2, nil })
	}()
	if !cancelled.Cancel() {
		t.Fatal("Cancel of a pending future returned false")
	}
	close(gate)
	if _, err := blocker.Result(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v, err := ran.Result(context.Background()); v != 1 || err != nil {
		t.Fatal(v, err)
	}
	seen := map[string]bool{}
	for range 100 {
		runtime.GC()
		select {
		case s := <-collected:
			seen[s] = true
		case <-time.After(10 * time.Millisecond):
		}
		if len(seen) == 2 {
			break
		}
	}
	if !seen["ran"] || !seen["cancelled"] {
		t.Errorf("captures collected: %v; a finished or cancelled future still holds its closure", seen)
	}
	runtime.KeepAlive(ran)
	runtime.KeepAlive(cancelled)
}

// Mirrors executor.py ExecutorTest.test_max_workers_negative.
func TestThreadPool_MaxWorkersNegative(t *testing.T) {
	for _, n := range []int{0, -1} {
		func() {
			defer func() {
				v := recover()
				if s, _ := v.(string); !strings.Contains(s, "WithWorkers needs n >= 1") {
					t.Errorf("New(WithWorkers(%d)) panicked with %v", n, v)
				}
			}()
			ex := fanout.New(fanout.WithWorkers(n))
			ex.Shutdown()
			t.Errorf("New(WithWorkers(%d)) did not panic", n)
		}()
	}
}

// Mirrors executor.py ExecutorTest.test_free_reference (issue 14406): Map
// keeps no reference to a result it has yielded.
func TestThreadPool_FreeReference(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	n := 0
	for obj, err := range fanout.Map(context.Background(), ex, rangeSeq(0, 10),
		func(context.Context, int) (*myObject, error) { return &myObject{}, nil }) {
		if err != nil {
			t.Fatal(err)
		}
		wr := weak.Make(obj)
		obj = nil
		runtime.GC()
		if wr.Value() != nil {
			t.Errorf("result %d still referenced after it was yielded", n)
		}
		n++
	}
	if n != 10 {
		t.Errorf("%d results, want 10", n)
	}
}

// ---------------------------------------------------------------------------
// test_init.py: Python's initializer is fanout's Local (its constructor runs
// once per worker, before the worker's first task).

// Mirrors test_init.py InitializerMixin.test_initializer: every task sees
// its worker's value already built.
func TestInit_Initializer(t *testing.T) {
	status := fanout.NewLocal(func(context.Context) (string, error) { return "initialized", nil }, nil)
	ex := fanout.New(fanout.WithWorkers(5), fanout.WithLocal(status))
	defer ex.Shutdown()
	var fs []*fanout.Future[string]
	for range 5 {
		fs = append(fs, fanout.Submit(context.Background(), ex, func(ctx context.Context) (string, error) { return status.Get(ctx), nil }))
	}
	for _, f := range fs {
		if v, err := f.Result(context.Background()); v != "initialized" || err != nil {
			t.Errorf("get_init_status() = %q, %v", v, err)
		}
	}
}

// Mirrors test_init.py FailingInitializerMixin.test_initializer: a failing
// initializer is logged ("Exception in initializer" in Python, an error
// record through log/slog here), the pending future fails with ErrBroken
// (BrokenThreadPool), and from then on every submit fails with it.
func TestInit_FailingInitializer(t *testing.T) {
	logs := captureSlog(t)
	errInit := errors.New("ValueError: error in initializer")
	fail := fanout.NewLocal(func(context.Context) (int, error) { return 0, errInit }, nil)
	ex := fanout.New(fanout.WithWorkers(2), fanout.WithLocal(fail))
	defer ex.Shutdown()
	f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return 1, nil })
	if err := f.Wait(context.Background()); !errors.Is(err, fanout.ErrBroken) || !errors.Is(err, errInit) {
		t.Errorf("future of a broken executor: %v, want ErrBroken wrapping the initializer's error", err)
	}
	if err := fanout.Submit(context.Background(), ex, value(1, nil)).Wait(expired()); !errors.Is(err, fanout.ErrBroken) {
		t.Errorf("submit to a broken executor: %v, want ErrBroken", err)
	}
	ex.Shutdown()
	out := logs.String()
	if !strings.Contains(out, "error in initializer") || !strings.Contains(out, "level=ERROR") {
		t.Errorf("the initializer's failure was not logged as an error; log: %q", out)
	}
	if n := strings.Count(out, "error in initializer"); n != 1 {
		t.Errorf("the failure was logged %d times, want once per executor", n)
	}
}

// ---------------------------------------------------------------------------
// test_deadlock.py: the ExecutorDeadlockTest cases that are not about
// processes or pickling, with a panic for a crash and runtime.Goexit for
// sys.exit. The executor must report the failure and keep working.

// Mirrors test_deadlock.py ExecutorDeadlockTest.test_error_during_func_exec_on_worker.
func TestDeadlock_ErrorDuringFuncExecOnWorker(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(2))
	defer ex.Shutdown()
	errRuntime := errors.New("RuntimeError")
	if err := fanout.Submit(context.Background(), ex, value(0, errRuntime)).Wait(context.Background()); !errors.Is(err, errRuntime) {
		t.Errorf("Err = %v, want %v", err, errRuntime)
	}
	if v, err := fanout.Submit(context.Background(), ex, value(1, nil)).Result(context.Background()); v != 1 || err != nil {
		t.Errorf("next task: %v, %v", v, err)
	}
}

// Mirrors test_deadlock.py ExecutorDeadlockTest.test_exit_during_func_exec_on_worker:
// runtime.Goexit (sys.exit) in a task gives ErrGoexit, the worker is
// replaced, and the counters are exact once the executor is idle.
func TestDeadlock_ExitDuringFuncExecOnWorker(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { runtime.Goexit(); return 0, nil })
	if err := f.Wait(context.Background()); !errors.Is(err, fanout.ErrGoexit) {
		t.Errorf("Err = %v, want ErrGoexit", err)
	}
	id, err := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) { return fanout.WorkerID(ctx), nil }).Result(context.Background())
	if err != nil {
		t.Fatalf("next task: %v", err)
	}
	if id != 1 {
		t.Errorf("replacement worker has WorkerID %d; documented range is 1..1", id)
	}
	ex.Shutdown()
	if s := ex.Stats(); s.Running != 0 || s.Failed != 1 || s.Completed != 1 || s.Workers != 0 {
		t.Errorf("Stats of the idle executor = %+v; want Running 0, Failed 1, Completed 1, Workers 0", s)
	}
}

// Mirrors test_deadlock.py ExecutorDeadlockTest.test_crash_during_func_exec_on_worker:
// a panic is the task's *PanicError, not a crash.
func TestDeadlock_CrashDuringFuncExecOnWorker(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(2))
	defer ex.Shutdown()
	crash := errors.New("segfault")
	err := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { panic(crash) }).Wait(context.Background())
	var pe *fanout.PanicError
	if !errors.As(err, &pe) || pe.Value != crash || !errors.Is(err, crash) || len(pe.Stack) == 0 {
		t.Errorf("Err = %v, want a *PanicError of %v with a stack", err, crash)
	}
	if v, err := fanout.Submit(context.Background(), ex, value(1, nil)).Result(context.Background()); v != 1 || err != nil {
		t.Errorf("next task: %v, %v", v, err)
	}
}

// Mirrors test_deadlock.py ExecutorDeadlockTest.test_shutdown_deadlock: a
// task that crashes after Shutdown has begun does not deadlock Shutdown,
// and its future reports the crash.
func TestDeadlock_ShutdownDeadlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(2))
		defer ex.Shutdown()
		gate := make(chan struct{})
		f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { <-gate; panic("crash") })
		shut := make(chan struct{})
		go func() { ex.Shutdown(); close(shut) }()
		synctest.Wait() // Shutdown is waiting for the task
		if err := fanout.Submit(context.Background(), ex, value(0, nil)).Wait(t.Context()); !errors.Is(err, fanout.ErrShutdown) {
			t.Errorf("shutdown has not begun: Submit gave %v", err)
		}
		close(gate)
		<-shut
		var pe *fanout.PanicError
		if err := f.Wait(t.Context()); !errors.As(err, &pe) || pe.Value != "crash" {
			t.Errorf("Err = %v, want a *PanicError of \"crash\"", err)
		}
	})
}
