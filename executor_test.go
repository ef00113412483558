package fanout_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fanout-dev/fanout"
)

// gate is a latch tests use to hold tasks running until they say so.
type gate chan struct{}

func (g gate) open() { close(g) }

func TestSubmitResultAndStats(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(3))
	ctx := context.Background()
	var futs []*fanout.Future[string]
	for i := range 50 {
		futs = append(futs, fanout.Submit(context.Background(), ex, func(context.Context) (string, error) {
			if i%5 == 0 {
				return "", errors.New("odd one out")
			}
			return strings.Repeat("x", i), nil
		}))
	}
	for i, f := range futs {
		v, err := f.Result(ctx)
		if i%5 == 0 {
			if err == nil {
				t.Errorf("task %d: want an error", i)
			}
			continue
		}
		if err != nil || len(v) != i {
			t.Errorf("task %d: got %q, %v", i, v, err)
		}
		if f.State() != fanout.Finished {
			t.Errorf("task %d: state %v after Result", i, f.State())
		}
	}
	ex.Shutdown()
	s := ex.Stats()
	want := fanout.Stats{Submitted: 50, Completed: 40, Failed: 10}
	if s != want {
		t.Errorf("Stats = %+v, want %+v", s, want)
	}
}

func TestWorkerBoundIsRespected(t *testing.T) {
	const bound = 4
	ex := fanout.New(fanout.WithWorkers(bound))
	defer ex.Shutdown()
	var running, peak atomic.Int32
	var futs []*fanout.Future[struct{}]
	for range 200 {
		futs = append(futs, ex.Go(context.Background(), func(context.Context) error {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			runtime.Gosched()
			running.Add(-1)
			return nil
		}))
	}
	for _, f := range futs {
		if err := f.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if p := peak.Load(); p > bound {
		t.Fatalf("peak concurrency %d exceeds the bound %d", p, bound)
	}
	if w := ex.Stats().Workers; w > bound {
		t.Fatalf("%d workers exceed the bound %d", w, bound)
	}
}

func TestPanicBecomesError(t *testing.T) {
	ex := fanout.New()
	defer ex.Shutdown()
	f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { panic("boom") })
	_, err := f.Result(context.Background())
	var pe *fanout.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *PanicError", err)
	}
	if pe.Value != "boom" || !strings.Contains(string(pe.Stack), "executor_test.go") {
		t.Fatalf("PanicError = %v with stack %q; want the value and the task's stack", pe.Value, pe.Stack)
	}
	// A panic with an error value stays matchable.
	g := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { panic(io.ErrUnexpectedEOF) })
	if err := g.Wait(context.Background()); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want it to match io.ErrUnexpectedEOF", err)
	}
	// The worker survived: the executor still works.
	h := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return 7, nil })
	if v, err := h.Result(context.Background()); v != 7 || err != nil {
		t.Fatalf("after panics: %v, %v", v, err)
	}
}

func TestGoexitIsAnErrorAndTheWorkerIsReplaced(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	f := ex.Go(context.Background(), func(context.Context) error { runtime.Goexit(); return nil })
	if err := f.Wait(context.Background()); !errors.Is(err, fanout.ErrGoexit) {
		t.Fatalf("err = %v, want ErrGoexit", err)
	}
	g := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return 1, nil })
	if v, err := g.Result(context.Background()); v != 1 || err != nil {
		t.Fatalf("after Goexit: %v, %v", v, err)
	}
	ex.Shutdown()
	if s := ex.Stats(); s.Running != 0 || s.Failed != 1 || s.Completed != 1 || s.Workers != 0 {
		t.Fatalf("Stats after Goexit and shutdown = %+v", s)
	}
}

func TestSubmitAfterShutdown(t *testing.T) {
	ex := fanout.New()
	ex.Shutdown()
	f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return 1, nil })
	if _, err := f.Result(context.Background()); !errors.Is(err, fanout.ErrShutdown) {
		t.Fatalf("err = %v, want ErrShutdown", err)
	}
}

func TestShutdownIsIdempotentAndConcurrent(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(2))
	release := make(gate)
	f := ex.Go(context.Background(), func(context.Context) error { <-release; return nil })
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				ex.Shutdown()
			} else {
				ex.Shutdown()
				ex.Shutdown()
			}
		}()
	}
	release.open()
	wg.Wait()
	if f.State() != fanout.Finished {
		t.Fatalf("Shutdown returned before the running task finished: %v", f.State())
	}
}

func TestShutdownWaitsForQueuedTasks(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1), fanout.WithQueueSize(100))
	var ran atomic.Int32
	for range 100 {
		ex.Go(context.Background(), func(context.Context) error { ran.Add(1); return nil })
	}
	ex.Shutdown()
	if n := ran.Load(); n != 100 {
		t.Fatalf("Shutdown returned after %d of 100 tasks", n)
	}
}

func TestShutdownNowCancelsQueuedAndRunning(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1), fanout.WithQueueSize(10))
	started := make(gate)
	running := ex.Go(context.Background(), func(ctx context.Context) error {
		started.open()
		<-ctx.Done() // only ShutdownNow can end this task
		return ctx.Err()
	})
	<-started
	var queued []*fanout.Future[struct{}]
	var ran atomic.Int32
	for range 5 {
		queued = append(queued, ex.Go(context.Background(), func(context.Context) error { ran.Add(1); return nil }))
	}
	ex.ShutdownNow()
	if err := running.Wait(context.Background()); running.State() != fanout.Finished || !errors.Is(err, context.Canceled) {
		t.Errorf("running task: %v, %v; want done with its own context.Canceled", running.State(), err)
	}
	for i, f := range queued {
		if f.State() != fanout.Canceled {
			t.Errorf("queued %d: state %v, want cancelled", i, f.State())
		}
		if err := f.Wait(context.Background()); !errors.Is(err, context.Canceled) {
			t.Errorf("queued %d: %v, want a context.Canceled match", i, err)
		}
	}
	if ran.Load() != 0 {
		t.Errorf("%d queued tasks ran after ShutdownNow", ran.Load())
	}
}

// ShutdownNow cancels a running task's context, but its future resolves only
// when the task returns, with the task's own outcome: done means the task has
// returned. ShutdownNow itself returns only then.
func TestShutdownNowResolvesRunningTasksWhenTheyReturn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(1))
		release := make(gate)
		f := ex.Go(context.Background(), func(context.Context) error {
			<-release // ignores its context on purpose
			return nil
		})
		synctest.Wait()
		woke := make(chan error, 1)
		go func() { woke <- f.Wait(context.Background()) }()
		done := make(chan struct{})
		go func() { ex.ShutdownNow(); close(done) }()
		synctest.Wait()
		select {
		case err := <-woke:
			t.Fatalf("a waiter woke with %v while the task was still running", err)
		case <-done:
			t.Fatal("ShutdownNow returned while a task was still running")
		default:
		}
		if s := f.State(); s != fanout.Running {
			t.Fatalf("state %v while the task runs", s)
		}
		release.open()
		if err := <-woke; err != nil {
			t.Fatalf("waiter got %v, want the task's own nil", err)
		}
		<-done
	})
}

func TestCancelPendingNeverRuns(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	started, release := make(gate), make(gate)
	ex.Go(context.Background(), func(context.Context) error { started.open(); <-release; return nil })
	<-started
	var ran atomic.Bool
	f := ex.Go(context.Background(), func(context.Context) error { ran.Store(true); return nil })
	if f.State() != fanout.Pending {
		t.Fatalf("state %v, want pending", f.State())
	}
	if !f.Cancel() {
		t.Fatal("Cancel of a pending future returned false")
	}
	if !f.Cancel() {
		t.Fatal("second Cancel returned false; Python's cancel returns True on a cancelled future")
	}
	release.open()
	if err := f.Wait(context.Background()); !errors.Is(err, fanout.ErrCanceled) {
		t.Fatalf("err = %v", err)
	}
	// Let the worker dequeue (and discard) it, then check it never ran.
	fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return 0, nil }).Result(context.Background())
	if ran.Load() {
		t.Fatal("a cancelled pending task ran")
	}
}

// Python cannot cancel a running task; fanout cancels its context (Cancel
// still returns false, as Python's does) and the future resolves with what
// the task returns.
func TestCancelRunningCancelsItsContext(t *testing.T) {
	ex := fanout.New()
	defer ex.Shutdown()
	started := make(gate)
	saw := make(chan error, 1)
	f := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) {
		// A context derived from the task's, as an HTTP request makes.
		rctx, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		started.open()
		<-rctx.Done()
		saw <- rctx.Err()
		return 1, nil
	})
	<-started
	if f.State() != fanout.Running {
		t.Fatalf("state %v, want running", f.State())
	}
	if f.Cancel() {
		t.Fatal("Cancel of a running future returned true; it cannot be stopped for sure")
	}
	if err := <-saw; !errors.Is(err, context.Canceled) {
		t.Fatalf("the task's derived context ended with %v", err)
	}
	if v, err := f.Result(context.Background()); v != 1 || err != nil {
		t.Fatalf("Result = %v, %v; want what the task returned after Cancel", v, err)
	}
}

func TestSubmitContextValuesAndCancellationReachTheTask(t *testing.T) {
	ex := fanout.New()
	defer ex.Shutdown()
	type key struct{}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	started := make(gate)
	f := fanout.Submit(ctx, ex, func(ctx context.Context) (string, error) {
		started.open()
		<-ctx.Done()
		return ctx.Value(key{}).(string), ctx.Err()
	})
	<-started
	cancel()
	v, err := f.Result(context.Background())
	if v != "" || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %q, %v; want the parent's cancellation", v, err)
	}
	// A value, though, arrives: check on a task that returns it.
	g := fanout.Submit(context.WithValue(context.Background(), key{}, "w"), ex,
		func(ctx context.Context) (string, error) { return ctx.Value(key{}).(string), nil })
	if v, _ := g.Result(context.Background()); v != "w" {
		t.Fatalf("value %q did not reach the task", v)
	}
}

func TestSubmitContextCanceledBeforeStartNeverRuns(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	started, release := make(gate), make(gate)
	ex.Go(context.Background(), func(context.Context) error { started.open(); <-release; return nil })
	<-started
	cause := errors.New("user gave up")
	ctx, cancel := context.WithCancelCause(context.Background())
	var ran atomic.Bool
	f := fanout.Submit(ctx, ex, func(context.Context) (int, error) { ran.Store(true); return 1, nil })
	cancel(cause)
	release.open()
	if _, err := f.Result(context.Background()); !errors.Is(err, cause) {
		t.Fatalf("err = %v, want the cancellation cause", err)
	}
	if ran.Load() {
		t.Fatal("task ran although its context ended before it started")
	}
	if f.State() != fanout.Canceled || !errors.Is(f.Wait(context.Background()), fanout.ErrCanceled) {
		t.Fatalf("state %v, %v; want canceled, matching ErrCanceled and the cause", f.State(), f.Wait(context.Background()))
	}
	// Submitting with a context already done fails at once: the submit's
	// own wait ended, so the error matches ErrContextDone.
	if err := fanout.Submit(ctx, ex, func(context.Context) (int, error) { return 1, nil }).Wait(expired()); !errors.Is(err, cause) || !errors.Is(err, fanout.ErrContextDone) {
		t.Fatalf("Submit on a done context: %v", err)
	}
}

// A full queue makes Submit wait, and the wait ends with the context.
func TestSubmitBackpressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(1), fanout.WithQueueSize(1))
		defer ex.Shutdown()
		release := make(gate)
		ex.Go(context.Background(), func(context.Context) error { <-release; return nil }) // occupies the worker
		synctest.Wait()
		ex.Go(context.Background(), func(context.Context) error { return nil }) // fills the queue
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := fanout.Submit(ctx, ex, func(context.Context) (int, error) { return 1, nil }).Wait(context.Background())
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, fanout.ErrContextDone) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Fatalf("waited %v for room, want the full 1s deadline", waited)
		}
		if s := ex.Stats(); s.Queued != 1 || s.Running != 1 {
			t.Fatalf("Stats = %+v, want 1 queued and 1 running", s)
		}
		release.open()
	})
}

// Nested submit-and-wait while every worker is busy and the queue is full:
// each waiting task lets one more worker run. Python deadlocks here (test_deadlock's cousin; see
// also the thread-pool docs' own deadlock example), as do pond, conc and ants.
func TestNestedSubmitAndWaitNeverDeadlocks(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		ex := fanout.New(fanout.WithWorkers(workers), fanout.WithQueueSize(1))
		var fib func(ctx context.Context, n int) (int, error)
		fib = func(ctx context.Context, n int) (int, error) {
			if n < 2 {
				return n, nil
			}
			a := fanout.Submit(ctx, ex, func(ctx context.Context) (int, error) { return fib(ctx, n-1) })
			b := fanout.Submit(ctx, ex, func(ctx context.Context) (int, error) { return fib(ctx, n-2) })
			x, err := a.Result(ctx)
			if err != nil {
				return 0, err
			}
			y, err := b.Result(ctx)
			return x + y, err
		}
		f := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) { return fib(ctx, 15) })
		v, err := f.Result(context.Background())
		if err != nil || v != 610 {
			t.Fatalf("%d workers: fib(15) = %d, %v", workers, v, err)
		}
		ex.Shutdown()
	}
}

// A task that waits on its own executor lets one more worker run while it
// waits, and only then: with a bound of 1, the subtask runs on an extra
// worker (id 2, above the bound) while the parent waits, never beside a
// running parent; once nothing waits, the executor is back to one running
// task at a time.
func TestNestedWaitRunsOnAnExtraWorker(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	var running, peak atomic.Int32
	enter := func() {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
	}
	f := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) {
		enter()
		inner := fanout.Submit(ctx, ex, func(ctx context.Context) (int, error) {
			enter()
			defer running.Add(-1)
			return fanout.WorkerID(ctx), nil
		})
		running.Add(-1) // waiting, not running
		id, err := inner.Result(ctx)
		enter()
		defer running.Add(-1)
		return id, err
	})
	if id, err := f.Result(context.Background()); err != nil || id != 2 {
		t.Fatalf("inner ran on worker %d (%v); want the extra worker 2", id, err)
	}
	if p := peak.Load(); p != 1 {
		t.Fatalf("%d tasks ran at once, not counting the waiting one; the bound is 1", p)
	}
	// A goroutine of a task, handed the task's context, counts as the task.
	g := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) {
		inner := fanout.Submit(ctx, ex, func(ctx context.Context) (int, error) { return fanout.WorkerID(ctx), nil })
		got := make(chan int)
		go func() {
			v, _ := inner.Result(ctx)
			got <- v
		}()
		return <-got, nil
	})
	if v, err := g.Result(context.Background()); err != nil || v < 1 {
		t.Fatalf("got %d, %v", v, err)
	}
}

func TestLocalPerWorkerAndClosedAtShutdown(t *testing.T) {
	type session struct {
		id     int
		closed bool
	}
	var mu sync.Mutex
	var made []*session
	sessions := fanout.NewLocal(func(ctx context.Context) (*session, error) {
		mu.Lock()
		defer mu.Unlock()
		s := &session{id: fanout.WorkerID(ctx)}
		made = append(made, s)
		return s, nil
	}, func(s *session) {
		mu.Lock()
		defer mu.Unlock()
		s.closed = true
	})
	const workers = 3
	ex := fanout.New(fanout.WithWorkers(workers), fanout.WithLocal(sessions))
	var futs []*fanout.Future[bool]
	for range 300 {
		futs = append(futs, fanout.Submit(context.Background(), ex, func(ctx context.Context) (bool, error) {
			s := sessions.Get(ctx)
			return s.id == fanout.WorkerID(ctx) && s.id >= 1 && s.id <= workers, nil
		}))
	}
	for i, f := range futs {
		if ok, err := f.Result(context.Background()); !ok || err != nil {
			t.Fatalf("task %d saw another worker's session (%v)", i, err)
		}
	}
	ex.Shutdown()
	mu.Lock()
	defer mu.Unlock()
	if len(made) == 0 || len(made) > workers {
		t.Fatalf("%d sessions made for %d workers", len(made), workers)
	}
	for _, s := range made {
		if !s.closed {
			t.Fatalf("session of worker %d not closed at shutdown", s.id)
		}
	}
}

func TestLocalInitFailureBreaksTheExecutor(t *testing.T) {
	boom := errors.New("no session for you")
	l := fanout.NewLocal(func(context.Context) (int, error) { return 0, boom }, nil)
	ex := fanout.New(fanout.WithWorkers(2), fanout.WithLocal(l))
	defer ex.Shutdown()
	var futs []*fanout.Future[int]
	for range 10 {
		futs = append(futs, fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return 1, nil }))
	}
	for i, f := range futs {
		_, err := f.Result(context.Background())
		if !errors.Is(err, fanout.ErrBroken) || !errors.Is(err, boom) {
			t.Fatalf("task %d: err = %v, want ErrBroken wrapping the init error", i, err)
		}
	}
	err := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return 1, nil }).Wait(context.Background())
	if !errors.Is(err, fanout.ErrBroken) {
		t.Fatalf("submit to a broken executor: %v", err)
	}
}

func TestWorkerIDOutsideATaskIsZero(t *testing.T) {
	if id := fanout.WorkerID(context.Background()); id != 0 {
		t.Fatalf("WorkerID = %d", id)
	}
}

// An error nobody reads is reported when its future is collected (Python
// loses it: CPython gh-120508); one that was read is not.
func TestUnobservedErrorIsReported(t *testing.T) {
	reported := make(chan error, 10)
	ex := fanout.New(fanout.WithUnobservedErrorHandler(func(err error) { reported <- err }))
	defer ex.Shutdown()
	lost := errors.New("lost")
	read := errors.New("read")
	func() {
		f := ex.Go(context.Background(), func(context.Context) error { return lost })
		<-f.Done()
		g := ex.Go(context.Background(), func(context.Context) error { return read })
		if err := g.Wait(context.Background()); err != read {
			t.Fatal(err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		select {
		case err := <-reported:
			if err != lost {
				t.Fatalf("reported %v; only the unread error may be", err)
			}
			// Give a wrongly reported second error its chance to show.
			runtime.GC()
			runtime.GC()
			select {
			case err := <-reported:
				t.Fatalf("also reported %v, which was read", err)
			case <-time.After(50 * time.Millisecond):
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the unread error was never reported")
		}
	}
}

func TestOnDoneCallbacks(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	release := make(gate)
	f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { <-release; return 42, nil })
	got := make(chan int, 3)
	f.OnDone(func(f *fanout.Future[int]) { v, _ := f.Result(context.Background()); got <- v })
	f.OnDone(func(*fanout.Future[int]) { panic("a bad callback must not stop the others") })
	f.OnDone(func(f *fanout.Future[int]) { got <- -1 })
	release.open()
	if a, b := <-got, <-got; a != 42 || b != -1 {
		t.Fatalf("callbacks saw %d, %d", a, b)
	}
	// On a resolved future the callback runs at once, in this goroutine.
	ran := false
	f.OnDone(func(*fanout.Future[int]) { ran = true })
	if !ran {
		t.Fatal("OnDone on a done future did not run at once")
	}
}

func TestResultContextDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(1))
		defer ex.Shutdown()
		f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { time.Sleep(time.Hour); return 1, nil })
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := f.Result(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
		if f.State() != fanout.Running {
			t.Fatalf("a Result timeout must not affect the task: %v", f.State())
		}
		v, err := f.Result(context.Background())
		if v != 1 || err != nil {
			t.Fatalf("got %d, %v", v, err)
		}
	})
}

// The task context costs nothing until used and then behaves like any
// context: derived contexts, AfterFunc and Cause all see a Cancel.
func TestTaskContextDerivation(t *testing.T) {
	ex := fanout.New()
	defer ex.Shutdown()
	started := make(gate)
	result := make(chan string, 1)
	f := ex.Go(context.Background(), func(ctx context.Context) error {
		child, cancel := context.WithCancel(ctx)
		defer cancel()
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() { close(fired) })
		defer stop()
		if ctx.Err() != nil {
			result <- "cancelled early"
			return nil
		}
		started.open()
		<-child.Done()
		<-fired
		result <- context.Cause(ctx).Error()
		return nil
	})
	<-started
	f.Cancel()
	if got := <-result; got != fanout.ErrCanceled.Error() {
		t.Fatalf("cause seen by the task: %q", got)
	}
}

// A task may stop its own executor (say, halt on the first failure). It
// cannot wait for itself, and Go cannot tell a task's call from anyone
// else's, so it does so in a goroutine of its own; the shutdown completes
// when the task returns.
func TestShutdownFromATask(t *testing.T) {
	for _, now := range []bool{false, true} {
		ex := fanout.New(fanout.WithWorkers(2))
		release := make(gate)
		other := ex.Go(context.Background(), func(ctx context.Context) error {
			if now {
				<-ctx.Done()
				return ctx.Err()
			}
			<-release
			return nil
		})
		stopped := make(chan struct{})
		f := ex.Go(context.Background(), func(context.Context) error {
			go func() {
				if now {
					ex.ShutdownNow()
				} else {
					ex.Shutdown()
				}
				close(stopped)
			}()
			return nil
		})
		// ShutdownNow cancels every running task's context, the caller's
		// own too; this one returns nil regardless, and that is its outcome.
		if err := f.Wait(context.Background()); err != nil {
			t.Fatalf("now=%v: the stopping task ended with %v", now, err)
		}
		for {
			g := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return 1, nil })
			if errors.Is(g.Wait(context.Background()), fanout.ErrShutdown) {
				break // the shutdown has begun
			}
			runtime.Gosched()
		}
		close(release)
		err := other.Wait(context.Background())
		if now != errors.Is(err, context.Canceled) {
			t.Fatalf("now=%v: the other task ended with %v", now, err)
		}
		<-stopped
		ex.Shutdown()
	}
}

// Waiters that register while the task finishes must never miss the wake-up
// (finish skips its lock when nobody registered; this races the two).
func TestNoLostWakeups(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(2))
	defer ex.Shutdown()
	for round := range 2000 {
		f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return round, nil })
		var wg sync.WaitGroup
		wg.Add(3)
		go func() { defer wg.Done(); <-f.Done() }()
		go func() {
			defer wg.Done()
			fanout.Wait(context.Background(), []*fanout.Future[int]{f}, fanout.AllCompleted)
		}()
		go func() {
			defer wg.Done()
			got := make(chan struct{})
			f.OnDone(func(*fanout.Future[int]) { close(got) })
			<-got
		}()
		wg.Wait() // a lost wake-up hangs here, and the test times out
	}
}

// A short program that submits failing tasks, drops their futures and shuts
// down hears of the failures at Shutdown, not only if a garbage collection
// happens to come (the tutorials' programs exit right after). A future still
// held, whose error may yet be read after Shutdown, is not reported then.
func TestUnreadErrorsReportedAtShutdown(t *testing.T) {
	var mu sync.Mutex
	var reported []error
	ex := fanout.New(fanout.WithUnobservedErrorHandler(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}))
	boom := errors.New("boom")
	for range 3 {
		ex.Go(context.Background(), func(context.Context) error { return boom })
	}
	kept := ex.Go(context.Background(), func(context.Context) error { return io.EOF })
	ex.Shutdown()
	mu.Lock()
	got := slices.Clone(reported)
	mu.Unlock()
	if len(got) != 3 || !errors.Is(got[0], boom) {
		t.Fatalf("reported at Shutdown: %v; want the 3 dropped failures", got)
	}
	if err := kept.Wait(context.Background()); err != io.EOF {
		t.Fatalf("kept future: %v", err)
	}
	runtime.GC()
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 3 {
		t.Fatalf("reported %v; the error read after Shutdown must not be", reported)
	}
}

// Running counts the tasks that started, nothing else: a task a worker takes
// off the queue and discards (canceled while queued, its context ended
// before it started, a Map loop left early, ShutdownNow, a broken executor)
// is never counted running, so an idle executor shows Running 0. (Running
// is derived from the tasks taken off the queue, less those discarded and
// those finished: every place that discards must say so.)
func TestStatsRunningCountsOnlyStartedTasks(t *testing.T) {
	quick := func(context.Context) (int, error) { return 1, nil }
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		ex := fanout.New(fanout.WithWorkers(1))
		release := make(gate)
		ex.Go(ctx, func(context.Context) error { <-release; return nil })
		synctest.Wait()
		fanout.Submit(ctx, ex, quick).Cancel()
		ended, end := context.WithCancel(ctx)
		fanout.Submit(ended, ex, quick)
		end()
		left, leave := context.WithCancel(ctx)
		looped := make(chan struct{})
		go func() {
			defer close(looped)
			for range fanout.Map(left, ex, slices.Values([]int{1, 2}), func(_ context.Context, i int) (int, error) { return i, nil }) {
			}
		}()
		synctest.Wait()
		leave()
		<-looped
		release.open()
		synctest.Wait()
		if s := ex.Stats(); s.Running != 0 || s.Queued != 0 || s.Completed != 1 || s.Canceled != 4 {
			t.Errorf("idle after discarding 4 queued tasks: Stats = %+v; want Running 0, Queued 0, Completed 1, Canceled 4", s)
		}
		release = make(gate)
		ex.Go(ctx, func(context.Context) error { <-release; return nil })
		synctest.Wait()
		for range 3 {
			fanout.Submit(ctx, ex, quick)
		}
		stopped := make(chan struct{})
		go func() { ex.ShutdownNow(); close(stopped) }()
		synctest.Wait()
		release.open()
		<-stopped
		if s := ex.Stats(); s.Running != 0 || s.Completed != 2 || s.Canceled != 7 {
			t.Errorf("after ShutdownNow canceled 3 queued tasks: Stats = %+v; want Running 0, Completed 2, Canceled 7", s)
		}
	})
	captureSlog(t)
	fail := fanout.NewLocal(func(context.Context) (int, error) { return 0, errors.New("no") }, nil)
	ex := fanout.New(fanout.WithWorkers(1), fanout.WithLocal(fail))
	for range 3 {
		fanout.Submit(context.Background(), ex, quick)
	}
	ex.Shutdown()
	if s := ex.Stats(); s.Running != 0 || s.Queued != 0 {
		t.Errorf("a broken executor: Stats = %+v; want Running 0, Queued 0", s)
	}
}
