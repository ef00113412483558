package fanout_test

// Ports of CPython's Lib/test/test_concurrent_futures behaviour tests
// (test_future.py, test_wait.py, test_as_completed.py, test_shutdown.py,
// test_thread_pool.py with the ExecutorTest it inherits from executor.py,
// test_init.py and test_deadlock.py, each in cpython_<name>_test.go; this
// file holds what they share) to fanout, for its thread-pool-like
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
//	    an explicit Shutdown, and reports and shuts down an Executor collected
//	    without one (TestExecutorCollectedWithoutShutdownIsReported).
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
//	    process pipes filling up (gh-105829's idea, workers slow to come up
//	    must not stall a bounded queue, is TestSlowLocalsStartTogether).

import (
	"bytes"
	"context"
	"errors"
	"log"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
