package fanout

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
)

const (
	// defaultWorkers is the worker bound of New without WithWorkers (see New).
	defaultWorkers = 64
	// queueFactor times the worker bound is the queue size of New without
	// WithQueueSize: a queue a few times the bound keeps every worker fed
	// while the submitter is briefly descheduled, and still makes a
	// producer of endless input wait rather than buffer it.
	queueFactor = 4
)

// Executor runs tasks on a bounded set of persistent worker goroutines fed
// by a bounded queue. Workers start on demand, up to the bound, and stay
// until shutdown, so a task costs no goroutine start. It has no background
// goroutine besides its workers and no timers.
//
// Submit, Map and the other functions of this package take the executor as
// an argument: Go methods cannot have type parameters, and one executor
// serves tasks of any result type.
//
// An Executor must be shut down (Shutdown or ShutdownNow) to stop its
// workers; `defer ex.Shutdown()` is the counterpart of Python's `with`.
type Executor struct {
	queue chan runner
	max   int32

	spawned atomic.Int32 // workers started and not yet exited
	nextID  atomic.Int32

	// submitting counts Submits between their shutdown check and their
	// send, so that shutdown knows when no task can enter the queue any more.
	submitting atomic.Int64
	closed     atomic.Bool
	killed     atomic.Bool
	broken     atomic.Pointer[brokenError]
	quiet      chan struct{} // closed when closed and submitting hit 0
	quietOnce  sync.Once
	closing    chan struct{} // closed when shutdown begins: wakes blocked submits
	closingOne sync.Once
	closeOnce  sync.Once // closes queue, once no Submit can send to it
	workersWG  sync.WaitGroup

	wmu     sync.Mutex
	workers []*worker // every worker ever started, for Stats and ShutdownNow

	submitted  atomic.Int64
	cancelled  atomic.Int64
	locals     []localSpec
	unobserved func(error)
}

// Option configures an Executor.
type Option func(*Executor)

// WithWorkers bounds the number of tasks running at once to n (n >= 1).
func WithWorkers(n int) Option {
	return func(ex *Executor) {
		if n < 1 {
			panic("fanout: WithWorkers needs n >= 1")
		}
		ex.max = int32(n)
	}
}

// WithQueueSize sets how many submitted tasks may wait for a worker before
// Submit blocks (n >= 0; 0 means a task is handed straight to a worker).
func WithQueueSize(n int) Option {
	return func(ex *Executor) {
		if n < 0 {
			panic("fanout: WithQueueSize needs n >= 0")
		}
		ex.queue = make(chan runner, n)
	}
}

// WithLocal registers a per-worker value: each worker builds its own with
// l's constructor when it starts and closes it when it stops. See Local.
func WithLocal[V any](l *Local[V]) Option {
	return func(ex *Executor) { ex.locals = append(ex.locals, l) }
}

// WithUnobservedErrorHandler sets what happens to the error of a failed task
// that nobody ever read: when its future is garbage collected and neither
// Result nor Wait was called on it, h is called with the error. The default
// logs it with log/slog at error level; nil discards such errors. Python
// drops them silently (CPython gh-120508).
func WithUnobservedErrorHandler(h func(error)) Option {
	return func(ex *Executor) { ex.unobserved = h }
}

func logUnobserved(err error) {
	slog.Error("fanout: a task failed and nobody read its error", "err", err)
}

// New returns an executor running at most 64 tasks at once, with a queue of
// 4 times that many, unless options say otherwise. 64 rather than Python's
// min(32, CPUs+4): the tasks this package is for wait on the network or the
// disk, so the bound is about how much the other side should take at once,
// not about cores (64 hides 100 ms of latency at 640 tasks a second).
func New(opts ...Option) *Executor {
	ex := &Executor{
		max:        defaultWorkers,
		quiet:      make(chan struct{}),
		closing:    make(chan struct{}),
		unobserved: logUnobserved,
	}
	for _, o := range opts {
		o(ex)
	}
	if ex.queue == nil {
		ex.queue = make(chan runner, queueFactor*int(ex.max))
	}
	return ex
}

// runner is a queued task: a *Future[T] of some T.
type runner interface {
	run(w *worker)
	drop(err error)
}

// Submit schedules fn on ex and returns its future, like Python's
// executor.submit. When the queue is full it waits for room (backpressure).
// The future is never nil; when the task could not be accepted it has
// already failed: with ErrShutdown after shutdown began (a submit still
// waiting for room then included), with an ErrBroken error once the
// executor is broken, or with an error matching ErrContextDone when ctx
// ended first.
//
// fn receives a context derived from ctx: ctx's values reach it, and its
// cancellation cancels the task (a task whose ctx ends before it starts
// never runs). Future.Cancel and ShutdownNow cancel it too. WorkerID and
// Local.Get find the worker through it.
//
// A task may submit to its own executor and wait for the result: see
// Future.Result for why that never deadlocks.
//
// Cost: Submit and Result together take about 230 ns and one allocation
// (the future) per task on top of fn's own closure, on 2 cores; see
// docs/benchmarks.md.
func Submit[T any](ctx context.Context, ex *Executor, fn func(ctx context.Context) (T, error)) *Future[T] {
	f := &Future[T]{fn: fn}
	queue(ctx, ex, &f.core, f)
	return f
}

// queue sets up c, the core of task t, and queues t; on error c has failed.
func queue(ctx context.Context, ex *Executor, c *core, t runner) error {
	c.ex = ex
	c.tc.parent = ctx
	var err error
	if ctx.Err() != nil {
		err = contextDone(ctx)
	} else {
		err = ex.enqueue(ctx, t)
	}
	if err != nil {
		c.fail(err)
	}
	return err
}

// Go submits fn, a task with no result, like the tutorials'
// executor.submit(task, ...) whose future is ignored. Its error is still not
// lost: see WithUnobservedErrorHandler. It is Submit with
// context.Background(): use Submit for a task that should end with a context
// of yours.
func (ex *Executor) Go(fn func(ctx context.Context) error) *Future[struct{}] {
	return Submit(context.Background(), ex, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
}

func (ex *Executor) enqueue(ctx context.Context, t runner) error {
	ex.submitting.Add(1)
	defer ex.submitDone()
	if ex.closed.Load() {
		return ErrShutdown
	}
	if b := ex.broken.Load(); b != nil {
		return b
	}
	ex.submitted.Add(1) // before the send, so Stats never shows more done than submitted
	select {
	case ex.queue <- t:
	default:
		if err := ex.enqueueSlow(ctx, t); err != nil {
			ex.submitted.Add(-1)
			return err
		}
	}
	// Start a worker while tasks wait, as Python does when no thread is
	// idle; a worker that finds the queue empty simply waits on it.
	if n := ex.spawned.Load(); n < ex.max && (n == 0 || len(ex.queue) > 0) {
		ex.spawn()
	}
	if b := ex.broken.Load(); b != nil {
		// The executor broke while we queued: nobody may be left to drop t.
		ex.drain(b)
	}
	return nil
}

func (ex *Executor) enqueueSlow(ctx context.Context, t runner) error {
	// Full queue. Make sure workers exist to empty it.
	if ex.spawned.Load() < ex.max {
		ex.spawn()
	}
	w := helper(ctx, ex)
	for {
		var help chan runner
		if w != nil {
			help = ex.queue // a worker of ours: run queued work while waiting
		}
		select {
		case ex.queue <- t:
			return nil
		case r, ok := <-help:
			if ok {
				r.run(w)
			}
		case <-ctx.Done():
			return contextDone(ctx)
		case <-ex.closing:
			return ErrShutdown // shutdown began while we waited: no new task starts
		}
	}
}

func (ex *Executor) submitDone() {
	if ex.submitting.Add(-1) == 0 && ex.closed.Load() {
		ex.quietOnce.Do(func() { close(ex.quiet) })
	}
}

// spawn starts one more worker unless the bound is reached.
func (ex *Executor) spawn() { ex.spawnAs(0) }

// spawnAs starts a worker with the given id, or the next one if id is 0.
func (ex *Executor) spawnAs(id int) {
	for {
		n := ex.spawned.Load()
		if n >= ex.max || ex.broken.Load() != nil {
			return
		}
		if ex.spawned.CompareAndSwap(n, n+1) {
			break
		}
	}
	if id == 0 {
		id = int(ex.nextID.Add(1))
	}
	w := &worker{ex: ex, id: id}
	ex.wmu.Lock()
	ex.workers = append(ex.workers, w)
	ex.wmu.Unlock()
	ex.workersWG.Add(1)
	go w.loop()
}

// drain resolves every task still queued with err.
func (ex *Executor) drain(err error) {
	for {
		select {
		case t, ok := <-ex.queue:
			if !ok {
				return
			}
			t.drop(err)
		default:
			return
		}
	}
}

// Shutdown stops the executor gracefully, like Python's shutdown(wait=True)
// at the end of a `with` block: it refuses new tasks (their futures fail with
// ErrShutdown, a submit still waiting for room in the queue included), lets
// every queued and running task finish, closes the
// per-worker values, and returns when every worker has stopped.
//
// It is idempotent and safe to call from any goroutine, and may be combined
// with ShutdownNow (say, on a deadline) to cut a graceful shutdown short.
// Called from one of ex's own tasks, it cannot wait for that task: it starts
// the shutdown and returns at once (Python raises RuntimeError instead).
func (ex *Executor) Shutdown() {
	ex.closed.Store(true)
	ex.closingOne.Do(func() { close(ex.closing) })
	if ex.submitting.Load() == 0 {
		ex.quietOnce.Do(func() { close(ex.quiet) })
	}
	if ex.onWorker() {
		go ex.finishShutdown()
		return
	}
	ex.finishShutdown()
}

func (ex *Executor) finishShutdown() {
	<-ex.quiet // no Submit can add a task any more
	// Workers run what is queued, then see the closed queue and stop.
	ex.closeOnce.Do(func() { close(ex.queue) })
	ex.workersWG.Wait()
}

// onWorker reports whether the caller is one of ex's workers.
func (ex *Executor) onWorker() bool {
	ex.wmu.Lock()
	defer ex.wmu.Unlock()
	if len(ex.workers) == 0 {
		return false
	}
	g := goid()
	for _, w := range ex.workers {
		if w.gid.Load() == g {
			return true
		}
	}
	return false
}

// ShutdownNow stops the executor at once, like Python's
// shutdown(cancel_futures=True) and more: queued tasks are cancelled and
// never run (their futures resolve with ErrCanceled, waking every waiter,
// Wait and AsCompleted loop), and running tasks have their contexts
// cancelled (their futures resolve when they return, with what they
// return). It returns when the workers have stopped, that is when the
// running tasks have returned. Idempotent and safe from any goroutine;
// from one of ex's own tasks (a task that decides to stop everything) it
// cancels everything and returns without waiting.
func (ex *Executor) ShutdownNow() {
	ex.closed.Store(true)
	ex.killed.Store(true)
	ex.wmu.Lock()
	workers := ex.workers
	ex.wmu.Unlock()
	for _, w := range workers {
		for c := w.cur.Load(); c != nil; c = c.outer {
			c.tc.cancelWith(ErrCanceled) // the task's future resolves when it returns
		}
	}
	ex.drain(ErrCanceled)
	ex.Shutdown()
}

// Stats is a snapshot of an executor's counters, cheap enough to read many
// times a second for a progress bar.
type Stats struct {
	Submitted int64 // tasks accepted
	Queued    int64 // in the queue (canceled ones until a worker discards them)
	Running   int64 // running now
	Completed int64 // returned without error
	Failed    int64 // returned an error or panicked
	Canceled  int64 // canceled before they started
	Workers   int   // worker goroutines alive
}

// Stats returns the executor's counters. They are read one by one while
// tasks run, so a snapshot may be off by the tasks in flight; every counter
// is exact once the executor is idle.
func (ex *Executor) Stats() Stats {
	var started, returned, ok, failed int64
	ex.wmu.Lock()
	for _, w := range ex.workers {
		started += w.stats.started.Load()
		returned += w.stats.returned.Load()
		ok += w.stats.succeeded.Load()
		failed += w.stats.failed.Load()
	}
	ex.wmu.Unlock()
	s := Stats{
		Submitted: ex.submitted.Load(),
		Running:   started - returned,
		Completed: ok,
		Failed:    failed,
		Canceled:  ex.cancelled.Load(),
		Workers:   int(ex.spawned.Load()),
	}
	s.Queued = int64(len(ex.queue))
	return s
}

// worker is one persistent goroutine of an executor.
type worker struct {
	ex     *Executor
	id     int
	gid    atomic.Uint64        // goroutine id, to tell the worker from goroutines its task starts
	cur    atomic.Pointer[core] // task running now; its outer chain for nested ones
	locals []localVal
	stats  struct {
		started, returned, succeeded, failed atomic.Int64
	}
	// Workers write their counters on every task: keep two workers' off
	// one cache line.
	_ [64]byte
}

func (w *worker) loop() {
	ex := w.ex
	w.gid.Store(goid())
	exited := false
	defer func() {
		w.closeLocals()
		ex.spawned.Add(-1)
		if !exited {
			// A task called runtime.Goexit and took this goroutine with it.
			// Replace the worker, under the same id, so queued tasks still
			// run and ids stay within 1..bound.
			ex.spawnAs(w.id)
		}
		ex.workersWG.Done()
	}()
	if err := w.initLocals(); err != nil {
		ex.breakWith(err)
		exited = true
		return
	}
	for t := range ex.queue {
		t.run(w)
	}
	exited = true
}

func (w *worker) initLocals() error {
	if len(w.ex.locals) == 0 {
		return nil
	}
	ctx := context.WithValue(context.Background(), workerKey{}, w)
	for _, l := range w.ex.locals {
		v, err := l.init(ctx)
		if err != nil {
			return err
		}
		w.locals = append(w.locals, localVal{key: l, val: v})
	}
	return nil
}

func (w *worker) closeLocals() {
	for i := len(w.locals) - 1; i >= 0; i-- {
		w.locals[i].key.close(w.locals[i].val)
	}
	w.locals = nil
}

// breakWith marks the executor broken by a failed worker initialization and
// fails every queued task.
func (ex *Executor) breakWith(err error) {
	if ex.broken.CompareAndSwap(nil, &brokenError{cause: err}) {
		// Said once, out of band, as Python logs "Exception in
		// initializer": the futures carry it too, but nobody may read them.
		slog.Error("fanout: a worker's initialization failed; the executor is broken", "err", err)
	}
	ex.drain(ex.broken.Load())
}

// helpUntil runs queued tasks on w until done is closed or ctx ends.
func (w *worker) helpUntil(ctx context.Context, done <-chan struct{}) error {
	q := w.ex.queue
	for {
		select {
		case <-done:
			return nil
		default:
		}
		select {
		case <-done:
			return nil
		case t, ok := <-q:
			if !ok {
				q = nil // shut down: nothing more to help with
				continue
			}
			t.run(w)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// helper returns the worker that may run queued tasks of ex while it waits:
// the worker of ctx's task, when the caller is that worker's own goroutine.
// A goroutine that a task started and handed its context to is not the
// worker, and must not run tasks as if it were (the worker's Local values
// belong to one task at a time); it simply waits. The goroutine check costs a
// few microseconds and is made only when ctx belongs to a task of ex.
func helper(ctx context.Context, ex *Executor) *worker {
	w := workerOf(ctx)
	if w == nil || w.ex != ex || w.gid.Load() != goid() {
		return nil
	}
	return w
}

// goid returns the current goroutine's id, from the first line of its stack
// trace ("goroutine 42 [running]:"), the one stable place Go exposes it.
func goid() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	b := buf[:n]
	const prefix = "goroutine "
	if len(b) < len(prefix) {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
