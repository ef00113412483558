package fanout

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"weak"
)

// State is the lifecycle state of a future.
type State uint32

const (
	// Pending: queued, not started. Cancel stops it from ever running.
	Pending State = iota
	// Running: a worker is running the task.
	Running
	// Finished: the task ran and returned (successfully or not); Result
	// will not block.
	Finished
	// Canceled: the task never ran, whatever stopped it: Cancel,
	// ShutdownNow, its context ending before it started, or the executor
	// refusing it (shut down, broken). Result returns an error matching
	// ErrCanceled and what stopped it (ctx's error and cause, ErrShutdown,
	// ErrBroken).
	Canceled

	// resolving is the short internal step between Pending or Running and
	// a final state, while the resolving goroutine writes the error.
	resolving
)

func (s State) String() string {
	switch s {
	case Pending:
		return "pending"
	case Running:
		return "running"
	case Finished:
		return "finished"
	case Canceled:
		return "canceled"
	}
	return fmt.Sprintf("State(%d)", uint32(s))
}

// AnyFuture is what every *Future[T] is, whatever its T: Wait and
// AsCompleted take futures of different result types through it (a
// Future[struct{}] from Go beside a Future[string], say). Only this
// package's futures implement it.
type AnyFuture interface {
	// Done returns a channel closed when the future is resolved.
	Done() <-chan struct{}
	// State returns the future's current state.
	State() State
	// Cancel cancels a pending task, and asks a running one to stop.
	Cancel() bool
	// Wait waits until the future is resolved and returns its error.
	Wait(ctx context.Context) error

	base() *core
}

// closedChan is returned by Done for futures that are already resolved, so
// that asking costs no allocation.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// core is the part of a future that does not depend on its result type: what
// the executor, Wait and AsCompleted work with. It is 32 bytes: what few
// futures need lives behind x.
//
// The state moves Pending -> Running -> Finished for a task that runs, and
// Pending -> Canceled for one that never does (canceled while queued,
// dequeued after its context ended, or never accepted); the resolving step
// comes before Finished and Canceled. Only the
// worker running a task resolves a Running future, so a future is done only
// once its task has returned.
type core struct {
	state atomic.Uint32 // a State
	src   *source       // context, executor, behaviour: shared with the tasks submitted alike
	w     *worker       // the worker running the task; written before the state becomes Running
	x     atomic.Pointer[ext]
}

// ext holds what few futures need, made on demand: an error, a done channel,
// callbacks, waiters, a cancelable context, the lost-error watch.
type ext struct {
	mu sync.Mutex
	// err is the outcome of a failed or canceled future, written before
	// the state becomes final and read only after: it needs no lock.
	err     error
	done    chan struct{} // made by a waiter
	cbs     []func()
	waiters []*waiter // Wait and AsCompleted loops, removed when they return
	live    atomic.Pointer[liveCtx]
	cleanup runtime.Cleanup
	watched bool // reported if nobody reads err (under mu)
}

// ext returns c's ext, making it.
func (c *core) ext() *ext {
	if x := c.x.Load(); x != nil {
		return x
	}
	c.x.CompareAndSwap(nil, new(ext))
	return c.x.Load()
}

func (c *core) base() *core { return c }

// resolved reports whether the future is Finished or Canceled.
func (c *core) resolved() bool {
	s := State(c.state.Load())
	return s == Finished || s == Canceled
}

// err returns a resolved future's error.
func (c *core) err() error {
	if x := c.x.Load(); x != nil {
		return x.err
	}
	return nil
}

// doneChan is Done for the type-erased core.
func (c *core) doneChan() <-chan struct{} {
	if c.resolved() {
		return closedChan
	}
	x := c.ext()
	x.mu.Lock()
	defer x.mu.Unlock()
	if c.resolved() {
		return closedChan
	}
	if x.done == nil {
		x.done = make(chan struct{})
	}
	return x.done
}

// finish wakes waiters and runs callbacks once the state is final.
//
// A waiter makes x and then, under x.mu, checks the state; finish has set
// the state and then looks for x. With Go's sequentially consistent atomics
// at least one of them sees the other's write, so either the waiter sees the
// future resolved or finish sees the waiter. Most futures are read after
// they finish, and then finish takes no lock at all.
func (c *core) finish() {
	x := c.x.Load()
	if x == nil {
		return
	}
	x.mu.Lock()
	ch := x.done
	cbs, ws := x.cbs, x.waiters
	x.cbs, x.waiters = nil, nil
	x.mu.Unlock()
	if ch != nil {
		close(ch)
	}
	for _, w := range ws {
		w.ch <- c // has room: see waiter
	}
	for _, cb := range cbs {
		runCallback(cb)
	}
}

func runCallback(cb func()) {
	defer func() {
		if v := recover(); v != nil {
			// Python logs and ignores exceptions raised by done callbacks;
			// so do we: a callback must not take the worker down.
			slog.Error("fanout: done callback panicked", "panic", v, "stack", string(debug.Stack()))
		}
	}()
	cb()
}

// onDone runs cb once the future is resolved, at once if it is already.
func (c *core) onDone(cb func()) {
	if !c.resolved() {
		x := c.ext()
		x.mu.Lock()
		if !c.resolved() {
			x.cbs = append(x.cbs, cb)
			x.mu.Unlock()
			return
		}
		x.mu.Unlock()
	}
	runCallback(cb)
}

// waiter is how Wait and AsCompleted hear of resolutions: each future they
// watch sends itself once on ch, whose buffer holds one send per future, so a
// resolving goroutine never blocks. Unlike a callback it is removed when the
// loop returns, so waiting again and again on a long-lived future (Python's
// `while not_done: wait(not_done, FIRST_COMPLETED)`) leaves nothing behind.
type waiter struct{ ch chan *core }

// addWaiter registers w on c and reports whether c was still unresolved; if
// not, nothing is registered and nothing will be sent.
func (c *core) addWaiter(w *waiter) bool {
	if c.resolved() {
		return false
	}
	x := c.ext()
	x.mu.Lock()
	defer x.mu.Unlock()
	if c.resolved() {
		return false
	}
	x.waiters = append(x.waiters, w)
	return true
}

func (c *core) removeWaiter(w *waiter) {
	x := c.x.Load()
	if x == nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for i, y := range x.waiters {
		if y == w {
			x.waiters = append(x.waiters[:i], x.waiters[i+1:]...)
			return
		}
	}
}

// cancel moves a pending future to Canceled with err; it reports whether
// this call did it. The worker uses abort instead for a task it dequeued and
// will not start.
func (c *core) cancel(err error) bool {
	return c.cancelFrom(Pending, err, true)
}

// refuse cancels the future of a task the executor did not accept (not
// counted in Stats, which counts accepted tasks).
func (c *core) refuse(err error) { c.cancelFrom(Pending, err, false) }

// abort cancels a future its worker dequeued but will not start: its
// submitter's context ended, or ShutdownNow began.
func (c *core) abort(err error) { c.cancelFrom(Running, err, true) }

func (c *core) cancelFrom(from State, err error, count bool) bool {
	if !c.state.CompareAndSwap(uint32(from), uint32(resolving)) {
		return false
	}
	c.ext().err = canceledBy(err)
	c.state.Store(uint32(Canceled))
	if count {
		c.src.ex.canceled.Add(1)
	}
	c.finish()
	return true
}

// canceledBy is the error of a future whose task never ran because of
// cause: it matches ErrCanceled and cause.
func canceledBy(cause error) error {
	if cause == nil || cause == ErrCanceled || cause == context.Canceled {
		return ErrCanceled
	}
	if _, ok := cause.(*canceledError); ok {
		return cause
	}
	return &canceledError{cause: cause}
}

// resolve publishes the outcome of a task that ran (its value is already
// in place). Only the worker that ran it calls it.
func (c *core) resolve(w *worker, err error) {
	if err != nil {
		x := c.ext()
		x.err = err
		if c.src.watch && c.src.ex.unobserved != nil {
			c.watch(x)
		}
		w.stats.failed.Add(1)
	} else {
		w.stats.succeeded.Add(1)
	}
	c.state.Store(uint32(Finished))
	c.finish()
}

// observed marks a failed future's error as read, so it is not reported as
// lost, and returns it.
func (c *core) observed() error {
	x := c.x.Load()
	if x == nil {
		return nil
	}
	if x.err != nil && c.src.watch {
		x.mu.Lock()
		was := x.watched
		if was {
			x.watched = false
			x.cleanup.Stop()
		}
		x.mu.Unlock()
		if was {
			c.src.ex.forget(x)
		}
	}
	return x.err
}

// watch arranges for x.err to be reported if nobody reads it: when the
// future is garbage collected, or at Shutdown if it is unreachable by then
// (Python loses such errors silently: CPython gh-120508).
func (c *core) watch(x *ext) {
	ex := c.src.ex
	x.mu.Lock()
	x.cleanup = runtime.AddCleanup(c, lost.report, lost{ex, x})
	x.watched = true
	x.mu.Unlock()
	ex.umu.Lock()
	if ex.unread == nil {
		ex.unread = make(map[*ext]weak.Pointer[core])
	}
	ex.unread[x] = weak.Make(c)
	ex.umu.Unlock()
}

// lost is a watched error's report, run by the garbage collector's cleanup
// or by Shutdown, whichever comes first.
type lost struct {
	ex *executor
	x  *ext
}

func (l lost) report() {
	l.x.mu.Lock()
	was := l.x.watched
	l.x.watched = false
	err := l.x.err
	l.x.mu.Unlock()
	if was {
		l.ex.forget(l.x)
		l.ex.unobserved(err)
	}
}

// wait blocks until c is resolved or ctx is done. A worker that waits here
// on its own executor lets one more worker run meanwhile (see Result).
func (c *core) wait(ctx context.Context) error {
	if c.resolved() {
		return nil
	}
	if w := c.src.ex.blocker(ctx, c.src); w != nil {
		w.block()
		defer w.unblock()
	}
	select {
	case <-c.doneChan():
		return nil
	case <-ctx.Done():
		return contextDone(ctx)
	}
}

// Future is the pending result of a task submitted to an Executor.
// All its methods are safe for concurrent use.
type Future[T any] struct {
	core
	fn  func(context.Context) (T, error) // dropped once the task has run or was canceled
	val T
}

// Result waits for the task to finish and returns its result and error. It
// returns early, with an error matching ErrContextDone and ctx's error, when
// ctx ends first: the way to stop waiting without waiting for the task
// (which goes on; Cancel asks it to stop). A task's own error never matches
// ErrContextDone. A future whose task never ran (State Canceled) returns
// an error matching ErrCanceled and what stopped it, and a task that
// panicked returns a *PanicError.
//
// Result, Wait, AsCompleted and Map are safe inside a task, on the task's
// own executor: a task that submits subtasks and waits for them never
// deadlocks the executor, even with every worker busy and the queue full.
// While a task waits on its own executor, the executor lets one more worker
// run (Java's ForkJoinPool does the same), so at most the bound of tasks run
// at once not counting the ones waiting; the worker ids of those extra
// workers are above the bound. Go has no goroutine identity to tell a task's
// wait from anyone else's, so the wait is traced to the task through a
// context: the one given to Result, or else the one the future was
// submitted with. The rule is therefore about Submit: a task passes its own
// context (or one derived from it) to Submit, which may wait for room too
// (see Submit); Result may then take any context. A task that submits with
// context.Background() can deadlock the executor in Submit, before Result
// is ever reached.
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	if !f.resolved() {
		if err := f.wait(ctx); err != nil {
			var zero T
			return zero, err
		}
	}
	if err := f.observed(); err != nil {
		var zero T
		return zero, err
	}
	return f.val, nil
}

// Wait waits like Result and returns only the error.
func (f *Future[T]) Wait(ctx context.Context) error {
	_, err := f.Result(ctx)
	return err
}

// Done returns a channel closed when the future is resolved (finished or
// canceled). The channel is made on first use; for a resolved future it
// costs nothing.
func (f *Future[T]) Done() <-chan struct{} { return f.doneChan() }

// State returns the future's current state.
func (f *Future[T]) State() State {
	s := State(f.state.Load())
	if s == resolving {
		return Running // about to be Finished or Canceled
	}
	return s
}

// Cancel cancels a pending task and asks a running one to stop. A pending
// task never runs: its future resolves as canceled at once and Cancel
// returns true (also for a future canceled before). A running task has its context canceled and Cancel returns false:
// it cannot be stopped for sure, and its future resolves when the task
// returns, with whatever the task returns (a task that honours its context
// returns an error matching context.Canceled). So a future is done only once
// its task is: a caller that then closes what the task used does not race
// with it. To stop waiting without waiting for the task, give Result a
// context that ends. A finished task's future is not changed: false.
func (f *Future[T]) Cancel() bool {
	if f.cancel(ErrCanceled) {
		f.fn = nil // never to run: let go of what it captured (bpo-16284)
		return true
	}
	switch f.State() {
	case Canceled:
		return true
	case Running:
		(*taskCtx)(&f.core).cancelWith(ErrCanceled)
	}
	return false
}

// OnDone arranges for cb to be called with f once f is resolved: at once, in
// this goroutine, if it already is; otherwise in the goroutine that resolves
// it (a worker, or whoever cancels it). A callback that panics is logged
// and ignored; it should be quick.
func (f *Future[T]) OnDone(cb func(*Future[T])) {
	f.onDone(func() { cb(f) })
}

// run executes the task on worker w; the executor calls it once per dequeue.
func (f *Future[T]) run(w *worker) {
	f.w = w // published by the CAS below
	if !f.state.CompareAndSwap(uint32(Pending), uint32(Running)) {
		w.ex.discarded.Add(1)
		return // canceled while queued
	}
	fn := f.fn
	f.fn = nil // the future outlives the task; what fn captured need not (bpo-16284)
	if err := w.start(&f.core); err != nil {
		f.abort(err)
		return
	}
	var val T
	var err error
	returned := false
	// The one place a started task is resolved, whether fn returned,
	// panicked or called runtime.Goexit (then the goroutine goes on
	// unwinding after this, and the worker replaces itself).
	defer func() {
		if !returned {
			err = recovered(recover())
		}
		(*taskCtx)(&f.core).release()
		f.val = val
		f.resolve(w, err)
	}()
	val, err = fn((*taskCtx)(&f.core))
	returned = true
}

// drop cancels a task that will never run (ShutdownNow, or the executor
// broke).
func (f *Future[T]) drop(err error) {
	if f.cancel(err) {
		f.fn = nil
	}
}

// recovered is the error of a task that did not return: a *PanicError for
// a panic (v), ErrGoexit for runtime.Goexit (v is nil).
func recovered(v any) error {
	if v != nil {
		return &PanicError{Value: v, Stack: debug.Stack()}
	}
	return ErrGoexit
}
