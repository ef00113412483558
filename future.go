package fanout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync/atomic"
)

// State is the lifecycle state of a future: Python's PENDING, RUNNING,
// FINISHED and CANCELLED.
type State uint32

const (
	// Pending: queued, not started. Cancel stops it from ever running.
	Pending State = iota
	// Running: a worker is running the task.
	Running
	// Finished: the task returned (successfully or not), or could not be
	// accepted; Result will not block.
	Finished
	// Canceled: canceled before it started, so it never ran; Result returns
	// an error matching ErrCanceled.
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
// the executor, Wait and AsCompleted work with.
//
// State moves Pending -> Running -> Finished for a task that runs,
// Pending -> Canceled for one canceled before it starts, and Pending ->
// Finished for one that could not be accepted; the short resolving step
// comes before Finished and Canceled. Only the worker running a task
// resolves a Running future.
type core struct {
	state atomic.Uint32 // a State
	flags atomic.Uint32 // flagListened, flagUnwatched
	ex    *Executor
	outer *core // the task this worker was running when it started this one

	// err is the outcome of a Finished future, written by the one goroutine
	// that makes it Finished, before it does, and read only after: it needs
	// no lock.
	err error

	// Guarded by tc.mu, which the task context shares to keep futures small.
	done chan struct{} // made on demand by a waiter
	ext  *coreExt      // what few futures need: callbacks, cancellation, lost-error watch

	tc taskCtx
}

// coreExt holds the fields most futures never use, so they cost one pointer.
type coreExt struct {
	cbs     []func()
	waiters []*waiter // Wait and AsCompleted loops, removed when they return
	cerr    error     // the error of a Canceled future
	cleanup runtime.Cleanup
	watched bool // cleanup is registered
}

// extLocked returns c.ext, making it; tc.mu must be held.
func (c *core) extLocked() *coreExt {
	if c.ext == nil {
		c.ext = new(coreExt)
	}
	return c.ext
}

const (
	// flagListened: a waiter or callback was registered, so finish must
	// look for it.
	flagListened = 1 << iota
	// flagUnwatched: never report this future's error as unread (set
	// before the task is queued).
	flagUnwatched
)

func (c *core) base() *core { return c }

// resolved reports whether the future is Finished or Canceled.
func (c *core) resolved() bool {
	s := State(c.state.Load())
	return s == Finished || s == Canceled
}

// doneChan is Done for the type-erased core.
func (c *core) doneChan() <-chan struct{} {
	if c.resolved() {
		return closedChan
	}
	c.tc.mu.Lock()
	defer c.tc.mu.Unlock()
	c.flags.Or(flagListened)
	if c.resolved() {
		return closedChan
	}
	if c.done == nil {
		c.done = make(chan struct{})
	}
	return c.done
}

// finish wakes waiters and runs callbacks once state is final.
//
// Registering sets listened and then checks the state; finish has set the
// state and then checks listened. With Go's sequentially consistent atomics
// at least one of them sees the other's write, so either the registration
// sees the future resolved or finish sees the registration. Most futures
// are read after they finish, and then finish takes no lock at all.
func (c *core) finish() {
	if c.flags.Load()&flagListened == 0 {
		return
	}
	c.tc.mu.Lock()
	ch := c.done
	var cbs []func()
	var ws []*waiter
	if c.ext != nil {
		cbs, c.ext.cbs = c.ext.cbs, nil
		ws, c.ext.waiters = c.ext.waiters, nil
	}
	c.tc.mu.Unlock()
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
	c.tc.mu.Lock()
	c.flags.Or(flagListened)
	if !c.resolved() {
		x := c.extLocked()
		x.cbs = append(x.cbs, cb)
		c.tc.mu.Unlock()
		return
	}
	c.tc.mu.Unlock()
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
	c.tc.mu.Lock()
	defer c.tc.mu.Unlock()
	c.flags.Or(flagListened)
	if c.resolved() {
		return false
	}
	x := c.extLocked()
	x.waiters = append(x.waiters, w)
	return true
}

func (c *core) removeWaiter(w *waiter) {
	c.tc.mu.Lock()
	defer c.tc.mu.Unlock()
	if c.ext == nil {
		return
	}
	for i, x := range c.ext.waiters {
		if x == w {
			c.ext.waiters = append(c.ext.waiters[:i], c.ext.waiters[i+1:]...)
			return
		}
	}
}

// cancel resolves a pending future as cancelled with cause; it never ran and
// never will. It reports whether this call did it. A running future is not
// resolved here: its task's context is cancelled and the future resolves
// when the task returns, with the task's own outcome.
func (c *core) cancel(cause error) bool {
	return c.cancelFrom(Pending, cause)
}

// cancelFrom moves the future from state from to Canceled with cause, if it
// is still in from. The worker uses it with Running for a task it dequeued
// but will not start (its submitter's context ended, or ShutdownNow).
func (c *core) cancelFrom(from State, cause error) bool {
	if !c.state.CompareAndSwap(uint32(from), uint32(resolving)) {
		return false
	}
	err := ErrCanceled
	if cause != ErrCanceled {
		err = &canceledError{cause}
	}
	c.tc.mu.Lock()
	c.extLocked().cerr = err
	c.tc.mu.Unlock()
	c.state.Store(uint32(Canceled))
	if c.ex != nil {
		c.ex.cancelled.Add(1)
	}
	c.finish()
	return true
}

// fail resolves a pending future that will never run with err.
func (c *core) fail(err error) {
	if !c.state.CompareAndSwap(uint32(Pending), uint32(resolving)) {
		return
	}
	c.err = err
	c.state.Store(uint32(Finished))
	c.finish()
}

// outcome returns the error of a resolved future and marks it observed.
func (c *core) outcome() error {
	if State(c.state.Load()) == Canceled {
		c.tc.mu.Lock()
		defer c.tc.mu.Unlock()
		return c.ext.cerr
	}
	if c.err != nil {
		c.observe()
	}
	return c.err
}

// observe marks a failed future's error as seen, so it is not reported as lost.
func (c *core) observe() {
	c.tc.mu.Lock()
	if x := c.ext; x != nil && x.watched {
		x.watched = false
		x.cleanup.Stop()
	}
	c.tc.mu.Unlock()
}

// watch arranges for err to be reported if the future is garbage collected
// before anyone reads it (Python loses such errors silently: CPython
// gh-120508). Called by the worker before it publishes the failure.
func (c *core) watch(err error) {
	h := c.ex.unobserved
	if h == nil || c.flags.Load()&flagUnwatched != 0 {
		return
	}
	c.tc.mu.Lock()
	x := c.extLocked()
	x.cleanup = runtime.AddCleanup(c, func(r lostError) { r.report(r.err) }, lostError{report: h, err: err})
	x.watched = true
	c.tc.mu.Unlock()
}

type lostError struct {
	report func(error)
	err    error
}

// wait blocks until c is resolved or ctx is done. When ctx belongs to a task
// of c's executor, the waiting worker runs queued tasks meanwhile, so a task
// that submits to its own executor and waits can never deadlock it.
func (c *core) wait(ctx context.Context) error {
	if c.resolved() {
		return nil
	}
	if w := helper(ctx, c.ex); w != nil {
		return w.helpUntil(ctx, c.doneChan())
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
	fn  func(context.Context) (T, error)
	val T
}

// Result waits for the task to finish and returns its result and error. It
// returns ctx's error if ctx is done first: the way to stop waiting without
// waiting for the task (which goes on; Cancel asks it to stop). A future
// canceled before its task started returns an error matching ErrCanceled
// (and the cause, when the cancellation came through the context Submit was
// given), and a task that panicked returns a *PanicError. When ctx ends
// first, the error matches ErrContextDone (and ctx's error): a task's own
// error never does.
//
// When a task waits on another future of its own executor it must pass its
// own context (or one derived from it): the worker then runs queued tasks
// while it waits instead of sitting idle, which is what keeps nested
// submit-and-wait from deadlocking when every worker is busy. The price: the
// waiting task resumes only when the task it is running returns.
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	if err := f.wait(ctx); err != nil {
		var zero T
		return zero, err
	}
	if err := f.outcome(); err != nil {
		var zero T
		return zero, err
	}
	return f.val, nil
}

// Wait waits like Result and returns only the error: Python's exception().
func (f *Future[T]) Wait(ctx context.Context) error {
	_, err := f.Result(ctx)
	return err
}

// Done returns a channel closed when the future is resolved (finished or
// cancelled). The channel is made on first use; for a resolved future it
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

// Cancel cancels the task, as Python's cancel does, and asks a running task
// to stop. A pending task never runs: its future resolves as cancelled at
// once and Cancel returns true (also for a future cancelled before, as in
// Python). A running task has its context cancelled and Cancel returns false:
// it cannot be stopped for sure, and its future resolves when the task
// returns, with whatever the task returns (a task that honours its context
// returns an error matching context.Canceled). So a future is done only once
// its task is: a caller that then closes what the task used does not race
// with it. To stop waiting without waiting for the task, give Result a
// context that ends. A finished task's future is not changed: false.
func (f *Future[T]) Cancel() bool {
	if f.cancel(ErrCanceled) {
		return true
	}
	switch f.State() {
	case Canceled:
		return true
	case Running:
		f.tc.cancelWith(ErrCanceled)
	}
	return false
}

// OnDone arranges for cb to be called with f once f is resolved: at once, in
// this goroutine, if it already is; otherwise in the goroutine that resolves
// it (a worker, or whoever cancels it). Python's add_done_callback. A
// callback that panics is logged and ignored; it should be quick.
func (f *Future[T]) OnDone(cb func(*Future[T])) {
	f.onDone(func() { cb(f) })
}

// invoker calls a task's function: Future[T] calls its fn; Map's tasks call
// theirs with their input, which spares them a closure allocation each.
type invoker[T any] interface {
	invoke(ctx context.Context) (T, error)
}

func (f *Future[T]) invoke(ctx context.Context) (T, error) { return f.fn(ctx) }

// run executes the task on worker w; the executor calls it once per dequeue.
func (f *Future[T]) run(w *worker) { f.runWith(w, f) }

func (f *Future[T]) runWith(w *worker, inv invoker[T]) {
	if !f.state.CompareAndSwap(uint32(Pending), uint32(Running)) {
		f.fn = nil // cancelled while queued: let go of what the closure captured (bpo-16284)
		return
	}
	if err := f.tc.parent.Err(); err != nil {
		// The context the task was submitted with ended before the task
		// could start: running it now would only waste the worker.
		f.cancelFrom(Running, context.Cause(f.tc.parent))
		f.fn = nil
		return
	}
	f.tc.w = w
	f.outer = w.cur.Load()
	w.cur.Store(&f.core)
	// ShutdownNow sets killed, then cancels what workers run; checking
	// after publishing cur means no task escapes both.
	if f.ex.killed.Load() {
		f.cancelFrom(Running, ErrCanceled)
		w.cur.Store(f.outer)
		f.fn = nil
		return
	}
	w.stats.started.Add(1)
	val, err := f.call(w, inv)
	f.fn = nil // the future outlives the task; what fn captured need not (bpo-16284)
	f.returned(w)
	f.val = val
	f.resolve(w, err)
}

// returned is the bookkeeping after fn returned, normally or not.
func (f *Future[T]) returned(w *worker) {
	w.cur.Store(f.outer)
	w.stats.returned.Add(1)
	f.tc.release()
}

// resolve publishes a finished task's error (its value is already in place).
// Only the worker that ran the task resolves a running future.
func (c *core) resolve(w *worker, err error) {
	c.err = err
	if err != nil {
		c.watch(err)
		w.stats.failed.Add(1)
	} else {
		w.stats.succeeded.Add(1)
	}
	c.state.Store(uint32(Finished))
	c.finish()
}

// call runs fn, turning a panic into a *PanicError. If fn calls
// runtime.Goexit, call resolves the future with ErrGoexit while the
// goroutine unwinds; the worker then replaces itself.
func (f *Future[T]) call(w *worker, inv invoker[T]) (val T, err error) {
	normal := false
	defer func() {
		if normal {
			return
		}
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
			return
		}
		f.returned(w)
		f.resolve(w, ErrGoexit)
	}()
	val, err = inv.invoke(&f.tc)
	normal = true
	return val, err
}

// drop resolves a task that will never run: cancelled by ShutdownNow, or
// failed because the executor broke.
func (f *Future[T]) drop(err error) {
	if errors.Is(err, ErrBroken) {
		f.fail(err)
	} else {
		f.cancel(err)
	}
}

// release frees the context built for a task once it has returned, as
// net/http does when a handler returns, so the parent does not keep it.
func (t *taskCtx) release() {
	if live := t.live.Load(); live != nil {
		live.cancel(context.Canceled)
	}
}
