package fanout_test

// Ports of CPython's Lib/test/test_concurrent_futures/test_shutdown.py; see
// cpython_test.go for the conventions and the skipped cases.

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fanout-dev/fanout"
)

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
