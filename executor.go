package fanout

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"weak"
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
// workers: `defer ex.Shutdown()`. One garbage collected without it is
// reported through the unobserved-error handler (an error matching
// ErrNotShutDown) and then shut down, so that its workers stop and its
// Local values are closed.
type Executor struct {
	// The workers hold the executor itself, never this handle: once the
	// program drops the handle, a cleanup on it can tell.
	*executor
}

type executor struct {
	q *ring

	// Read by workers on every task, written rarely: kept off the lines
	// that submitters and workers write.
	max        int32
	killed     atomic.Bool
	locals     []localSpec
	unobserved func(error)
	queueSize  int
	room       chan struct{} // a token: a submitter waiting for room may try again
	closing    chan struct{} // closed when the queue closes (shutdown, broken): wakes waiting submitters
	stopped    chan struct{} // closed when the last worker has exited after shutdown began

	_ [64]byte
	// spawned counts live workers; blocked, the workers whose task waits
	// on this executor: while it waits, one more worker may run, so the
	// executor runs at most max tasks that are not waiting on it; starting,
	// the workers still building their Local values.
	spawned  atomic.Int32
	blocked  atomic.Int32
	starting atomic.Int32
	_        [52]byte
	// ws packs the workers looking for work (low half: they will find what
	// is pushed) and the parked ones (high half), so that a submitter reads
	// both with one load and wakes a worker only when nobody is looking.
	ws atomic.Uint64
	_  [56]byte
	// roomWaiters counts submitters waiting for room; a worker taking a
	// task lets one in. spinning counts those trying again before they
	// wait (see spinForRoom).
	roomWaiters atomic.Int32
	spinning    atomic.Int32
	_           [56]byte
	src         atomic.Pointer[source] // the last source, reused while the context is the same
	_           [56]byte

	canceled  atomic.Int64
	discarded atomic.Int64 // tasks taken off the queue that never started: see stats
	broken    atomic.Pointer[brokenError]
	beginOnce sync.Once // Shutdown's start
	closeOnce sync.Once // closes closing
	stopOnce  sync.Once

	wmu     sync.Mutex
	workers map[*worker]struct{} // live workers
	idle    []*worker            // parked workers, most recent last
	freeIDs []int                // ids of workers that exited, for reuse
	spare   [][]localVal         // Local values of workers that exited, for the next one
	done    bool                 // the last worker has stopped: spare values are closed
	nextID  int
	retired counts // counters of workers that exited

	lmu   sync.Mutex
	lives map[*liveCtx]struct{}     // the cancelable contexts of running tasks, for ShutdownNow
	hooks map[*func(error)]struct{} // Map's cancel functions, for ShutdownNow

	umu    sync.Mutex
	unread map[*ext]weak.Pointer[core] // failed futures whose error nobody read yet
}

// In ws: one parked worker, and the moves between looking and parked (as
// uint64 additions, wrapping).
const (
	idleOne   = 1 << 32
	toLooking = 1 - idleOne + 1<<64 // parked -> looking
	toParked  = idleOne - 1         // looking -> parked
	oneLess   = 1<<64 - 1           // one fewer looking
)

// Option configures an Executor.
type Option func(*executor)

// The ceilings of WithWorkers and WithQueueSize. Larger values are lowered
// to them: a bound past tens of thousands of tasks at once is a unit
// mistake or a "no limit" meant as a huge number, and the queue is
// allocated up front (it would take gigabytes).
const (
	MaxWorkers   = 1 << 16
	MaxQueueSize = 1 << 20
)

// WithWorkers bounds the number of tasks running at once to n (n >= 1; at
// most MaxWorkers, larger values are lowered to it).
func WithWorkers(n int) Option {
	return func(ex *executor) {
		if n < 1 {
			panic("fanout: WithWorkers needs n >= 1")
		}
		ex.max = int32(min(n, MaxWorkers))
	}
}

// WithQueueSize sets how many submitted tasks may wait for a busy worker:
// the executor takes at most the worker bound plus n tasks not yet
// finished, and Submit waits beyond that (n >= 1; at most MaxQueueSize,
// larger values are lowered to it).
func WithQueueSize(n int) Option {
	return func(ex *executor) {
		if n < 1 {
			panic("fanout: WithQueueSize needs n >= 1")
		}
		ex.queueSize = min(n, MaxQueueSize)
	}
}

// WithLocal registers a per-worker value: each worker builds its own with
// l's constructor when it starts and closes it when it stops. See Local.
func WithLocal[V any](l *Local[V]) Option {
	return func(ex *executor) { ex.locals = append(ex.locals, l) }
}

// WithUnobservedErrorHandler sets what happens to the error of a failed task
// that nobody read with Result or Wait: h is called with it when the future
// is garbage collected, or at Shutdown if the future is unreachable by then
// (so a short program that exits after Shutdown still hears of it; Shutdown
// runs a garbage collection to find out, only when such errors exist). The
// same goes for a task the executor refused (submitted after Shutdown, or
// to a broken executor), and h hears of the executor itself if it is
// garbage collected before Shutdown (ErrNotShutDown). The default logs
// with log/slog at error level, with the stack of a panic; nil discards.
func WithUnobservedErrorHandler(h func(error)) Option {
	return func(ex *executor) { ex.unobserved = h }
}

func logUnobserved(err error) {
	if errors.Is(err, ErrNotShutDown) {
		slog.Error("fanout: an executor was garbage collected without Shutdown", "err", err)
		return
	}
	if p := (*PanicError)(nil); errors.As(err, &p) {
		slog.Error("fanout: a task failed and nobody read its error", "err", err, "stack", string(p.Stack))
		return
	}
	slog.Error("fanout: a task failed and nobody read its error", "err", err)
}

// New returns an executor running at most 64 tasks at once, with a queue of
// 4 times that many, unless options say otherwise. The bound does not
// depend on the CPUs: the tasks this package is for wait on the network or
// the disk, so it is about how much the other side should take at once (64
// hides 100 ms of latency at 640 tasks a second).
func New(opts ...Option) *Executor {
	ex := &executor{
		max:        defaultWorkers,
		unobserved: logUnobserved,
		room:       make(chan struct{}, 1),
		closing:    make(chan struct{}),
		stopped:    make(chan struct{}),
		workers:    make(map[*worker]struct{}),
	}
	for _, o := range opts {
		o(ex)
	}
	if ex.queueSize == 0 {
		ex.queueSize = min(queueFactor*int(ex.max), MaxQueueSize)
	}
	// Room for the queue plus a task for every worker (see pushOver).
	ex.q = newRing(ex.queueSize, ex.queueSize+int(ex.max))
	h := &Executor{ex}
	runtime.AddCleanup(h, (*executor).collected, ex)
	return h
}

// collected reports an executor whose handle was garbage collected before
// Shutdown began, and shuts it down.
func (ex *executor) collected() {
	if ex.q.isClosed() {
		return
	}
	if ex.unobserved != nil {
		ex.unobserved(&notShutDownError{workers: int(ex.spawned.Load())})
	}
	go ex.shutdown() // a cleanup must not block
}

// runner is a queued task: a *Future[T] of some T, or one of Map's tasks.
type runner interface {
	run(w *worker)
	// drop resolves a task that will never run: canceled by ShutdownNow,
	// or failed because the executor broke.
	drop(err error)
}

// Submit schedules fn on ex and returns its future. When there is no room
// it waits for some (backpressure): ex takes at most its worker bound plus
// its queue size of tasks not yet finished, and a waiting Submit returns as
// soon as one of them is taken by a worker.
//
// The future is never nil; when the task could not be accepted it is
// already Canceled, with an error matching ErrCanceled and the reason:
// ErrShutdown after shutdown began (a submit still waiting for room then
// included), ErrBroken once the executor is broken, or ErrContextDone and
// ctx's error when ctx ended first.
//
// fn receives a context derived from ctx: ctx's values reach it, and its
// cancellation cancels the task (a task whose ctx ends before it starts
// never runs). Future.Cancel and ShutdownNow cancel it too. WorkerID and
// Local.Get find the worker through it.
//
// A task that submits to its own executor must pass its own context (or
// one derived from it) to Submit: Submit may itself wait for room, and only
// through ctx can the executor tell that the waiting goroutine is one of its
// workers and let another worker run to make room. Inside a task,
// Submit(context.Background(), …) can deadlock: once every worker waits in
// it, none is left to make room. Given the task's context here, waiting
// for the result never deadlocks, whatever context Result gets: see
// Future.Result.
//
// Cost: Submit and Result together take about 200 to 300 ns and one
// allocation (the future, 48 bytes for an int result) per task on top of
// fn's own closure, on 2 shared cores; see docs/benchmarks.md.
func Submit[T any](ctx context.Context, ex *Executor, fn func(ctx context.Context) (T, error)) *Future[T] {
	return submit(ctx, ex.executor, fn)
}

func submit[T any](ctx context.Context, ex *executor, fn func(ctx context.Context) (T, error)) *Future[T] {
	f := &Future[T]{fn: fn}
	f.src = ex.sourceFor(ctx)
	if err := ex.enqueue(ctx, f, true); err != nil {
		f.fn = nil
		f.refuse(err)
		if ctx.Err() == nil && f.src.watch && ex.unobserved != nil {
			// Refused by the executor (shut down, broken), not by the
			// caller: a dropped future must not hide that (ex.Go after
			// Shutdown, say).
			f.watch(f.x.Load())
		}
	}
	return f
}

// Go submits fn, a task with no result, like the tutorials'
// executor.submit(task, ...) whose future is ignored. Its error is still not
// lost: see WithUnobservedErrorHandler. It is Submit for a function that
// returns only an error.
func (ex *Executor) Go(ctx context.Context, fn func(ctx context.Context) error) *Future[struct{}] {
	return submit(ctx, ex.executor, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
}

// enqueue queues t, waiting for room if the queue is full; attribute says
// whether a wait may be traced to a task through ctx (see blocker).
func (ex *executor) enqueue(ctx context.Context, t runner, attribute bool) error {
	if ctx.Err() != nil {
		return contextDone(ctx)
	}
	switch ex.q.push(t, ex.q.limit) {
	case pushed:
		ex.pushed()
		return nil
	case closed:
		return ex.closedErr()
	}
	return ex.enqueueSlow(ctx, t, attribute)
}

// pushed makes sure a worker will see a task just pushed: unless some
// worker is looking for work (it will find it), wake a parked one, or start
// one while under the bound. Waking only when nobody looks keeps a busy
// executor from paying for wake-ups it does not need.
func (ex *executor) pushed() {
	ws := ex.ws.Load()
	if uint32(ws) != 0 {
		return
	}
	if ws>>32 != 0 || ex.spawned.Load() < ex.bound() {
		ex.wake()
	}
}

// bound is how many workers may be alive: max, plus one per worker whose
// task waits on this executor.
func (ex *executor) bound() int32 { return ex.max + ex.blocked.Load() }

func (ex *executor) closedErr() error {
	if b := ex.broken.Load(); b != nil {
		return b
	}
	return ErrShutdown
}

// enqueueSlow queues t past the queue size when some worker will take a
// task at once, or else waits for room: the queue and one task per worker
// under the bound, the running ones included, may be taken; no more. A
// worker taking a task lets a waiting submitter in, so a Submit returns as
// soon as there is room.
func (ex *executor) enqueueSlow(ctx context.Context, t runner, attribute bool) error {
	if r := ex.spinForRoom(t); r != full {
		if r == closed {
			return ex.closedErr()
		}
		return nil
	}
	if attribute {
		if w := ex.blocker(ctx, nil); w != nil {
			w.block() // lets one more worker run, which will make room
			defer w.unblock()
		}
	}
	for {
		ex.roomWaiters.Add(1)
		// Looked at again after registering, so that a worker making room
		// now either sees us waiting or we see the room.
		r := ex.pushOver(t)
		if r == full {
			select {
			case <-ex.room:
				ex.roomWaiters.Add(-1)
				continue
			case <-ctx.Done():
				ex.roomWaiters.Add(-1)
				return contextDone(ctx)
			case <-ex.closing:
				ex.roomWaiters.Add(-1)
				return ex.closedErr() // shutdown began while we waited: no new task starts
			}
		}
		ex.roomWaiters.Add(-1)
		err := ex.pushedOr(r)
		if err == nil {
			ex.mayLetIn() // pass the turn on to another waiting submitter
		}
		return err
	}
}

// spinsBeforePark is how many times a submitter that finds no room yields
// before it waits to be woken.
const spinsBeforePark = 4

// spinForRoom tries to push t, and again after yielding a few times: a fast
// producer finds the queue full on nearly every task, so it lets the
// workers on its core run a little before going to sleep, and producer and
// workers take turns without a wake-up per task.
//
// Meanwhile a worker taking a task does not wake another to look at the
// rest of the queue (see loop): the submitter does, each time it tries and
// as it leaves. With tiny tasks the worker drains the queue by itself, and
// the one it woke found nothing and went back to sleep, a goroutine switch
// for every queueful.
func (ex *executor) spinForRoom(t runner) pushResult {
	ex.spinning.Add(1)
	r := ex.pushOver(t)
	for i := 0; r == full && i < spinsBeforePark; i++ {
		ex.pushed() // the queue is full: someone must be looking at it
		runtime.Gosched()
		r = ex.pushOver(t)
	}
	ex.spinning.Add(-1)
	// After leaving: a worker that saw us spinning left the waking to us.
	ex.pushed()
	return r
}

// pushOver pushes t if there is room: the queue holds fewer than its size
// plus the workers under the bound that are not running a task (idle,
// starting, or not started yet). Each of those will take a task at once.
func (ex *executor) pushOver(t runner) pushResult {
	// Head first: a worker stops counting as looking before it takes a
	// task (see loop), so every task taken by then is matched by the count
	// read after. In the other order a task just taken could still be
	// counted as room, and one task more than the bound and the queue was
	// accepted (TestSubmitTakesTheFirstFreeSlot under -race, 1 run in 10).
	head := ex.q.head.Load()
	ws := ex.ws.Load()
	free := int64(ex.bound()) - int64(ex.spawned.Load()) + int64(uint32(ws)) + int64(ws>>32) + int64(ex.starting.Load())
	return ex.q.pushSince(t, ex.q.limit+uint64(max(free, 0)), true, head)
}

// pushedOr finishes an enqueue that did not find the queue full.
func (ex *executor) pushedOr(r pushResult) error {
	if r == closed {
		return ex.closedErr()
	}
	ex.pushed()
	return nil
}

// mayLetIn lets a waiting submitter try again: a worker just took a task,
// or may take one more.
func (ex *executor) mayLetIn() {
	if ex.roomWaiters.Load() > 0 {
		select {
		case ex.room <- struct{}{}:
		default:
		}
	}
}

// blocker returns the worker of ex whose task is the one about to wait on
// ex, or nil: the worker of ctx's task, if ctx is (or derives from) the
// context of a task of ex, or else the worker whose task submitted the
// future waited for (src), if that task is still running. Go has no
// goroutine identity; the task's context is what traces a wait to a task.
func (ex *executor) blocker(ctx context.Context, src *source) *worker {
	if w := workerOf(ctx); w != nil {
		if w.ex == ex {
			return w
		}
		return nil // a task of another executor
	}
	if src != nil && !src.shared {
		if w := workerOf(src.ctx); w != nil && w.ex == ex {
			return w
		}
	}
	return nil
}

// block marks w's task as waiting on its own executor: until unblock, one
// more worker may run. If tasks are queued, one is started (or woken) now.
func (w *worker) block() {
	if w.waiting.Add(1) != 1 {
		return // already counted: another wait of the same task
	}
	ex := w.ex
	ex.blocked.Add(1)
	if ex.q.len() > 0 {
		ex.wake()
	}
	ex.mayLetIn()
}

func (w *worker) unblock() {
	if w.waiting.Add(-1) == 0 {
		w.ex.blocked.Add(-1)
	}
}

// wake wakes a parked worker, or starts one if under the bound, to look for
// work. The woken worker is counted as looking from now on, so that other
// submitters do not wake a second one for the same task.
func (ex *executor) wake() {
	ex.wmu.Lock()
	if n := len(ex.idle); n > 0 {
		if ex.spawned.Load()-int32(n) >= ex.bound() {
			// Enough are up: the parked ones are surplus, left by tasks
			// that stopped waiting, and retire when they next wake.
			ex.wmu.Unlock()
			return
		}
		w := ex.idle[n-1]
		ex.idle = ex.idle[:n-1]
		ex.ws.Add(toLooking)
		ex.wmu.Unlock()
		w.wake <- struct{}{}
		return
	}
	ex.wmu.Unlock()
	ex.spawn(0)
}

// spawn starts a worker, with the given id or a free one if id is 0, unless
// the bound is reached or the executor is done; it reports whether it did.
func (ex *executor) spawn(id int) bool {
	for {
		n := ex.spawned.Load()
		if n >= ex.bound() || ex.broken.Load() != nil || (ex.q.isClosed() && ex.q.len() == 0 && ex.blocked.Load() == 0) {
			return false
		}
		if ex.spawned.CompareAndSwap(n, n+1) {
			break
		}
	}
	w := &worker{ex: ex, wake: make(chan struct{}, 1)}
	ex.wmu.Lock()
	if n := len(ex.spare); n > 0 {
		w.locals = ex.spare[n-1] // a retired worker's: one value per worker alive
		ex.spare = ex.spare[:n-1]
	}
	// A worker whose values are still to be built is not looking for work
	// until they are, so that the next submit starts another worker rather
	// than wait for this one.
	if w.searching = len(w.locals) == len(ex.locals); w.searching {
		ex.ws.Add(1)
	} else {
		ex.starting.Add(1)
	}
	if id == 0 {
		if n := len(ex.freeIDs); n > 0 {
			id = ex.freeIDs[n-1]
			ex.freeIDs = ex.freeIDs[:n-1]
		} else {
			ex.nextID++
			id = ex.nextID
		}
	}
	w.id = id
	ex.workers[w] = struct{}{}
	ex.wmu.Unlock()
	go w.loop()
	return true
}

// Shutdown stops the executor gracefully: it refuses new tasks (their
// futures are canceled with ErrShutdown, a submit still waiting for room
// included), lets
// every queued and running task finish, closes the per-worker values,
// reports the unread errors of futures nobody can read any more (see
// WithUnobservedErrorHandler), and returns when every worker has stopped.
//
// It is idempotent and safe to call from any goroutine, and may be combined
// with ShutdownNow (say, on a deadline) to cut a graceful shutdown short. It
// must not be called from one of ex's own tasks, which it would wait for:
// a task that decides to stop its executor runs `go ex.Shutdown()` (Go
// cannot tell who calls, so this is not detected).
func (ex *Executor) Shutdown() { ex.shutdown() }

func (ex *executor) shutdown() {
	ex.closeQueue(closedBit)
	ex.beginOnce.Do(func() {
		// Nothing can be queued any more. Make sure a worker drains what
		// is (a submitter may have pushed and not yet started one), then
		// wake the parked ones: finding the queue empty and closed, they
		// stop.
		if ex.q.len() > 0 {
			ex.spawn(0)
		}
		ex.wakeAll()
		if ex.spawned.Load() == 0 {
			ex.stop()
		}
	})
	<-ex.stopped
	ex.reportUnread()
}

// closeQueue closes the queue to submitters with bit, and wakes those
// waiting for room.
func (ex *executor) closeQueue(bit uint64) {
	ex.q.close(bit)
	ex.closeOnce.Do(func() { close(ex.closing) })
}

// wakeAll wakes every parked worker.
func (ex *executor) wakeAll() {
	for {
		ex.wmu.Lock()
		n := len(ex.idle)
		if n == 0 {
			ex.wmu.Unlock()
			return
		}
		w := ex.idle[n-1]
		ex.idle = ex.idle[:n-1]
		ex.ws.Add(toLooking)
		ex.wmu.Unlock()
		w.wake <- struct{}{}
	}
}

// ShutdownNow stops the executor at once: queued tasks are canceled and
// never run (their futures resolve with ErrCanceled, waking every waiter,
// Wait and AsCompleted loop), and running tasks have their contexts
// canceled (their futures resolve when they return, with what they
// return). It returns when the workers have stopped, that is when the
// running tasks have returned. Like Shutdown it is idempotent, safe from any
// goroutine, and must not be called from one of ex's own tasks (use
// `go ex.ShutdownNow()` there).
func (ex *Executor) ShutdownNow() { ex.shutdownNow() }

func (ex *executor) shutdownNow() {
	ex.killed.Store(true)
	ex.closeQueue(closedBit) // before draining: nothing can be queued behind us
	ex.lmu.Lock()
	for l := range ex.lives {
		l.cancel(ErrCanceled)
	}
	for stop := range ex.hooks {
		(*stop)(ErrCanceled)
	}
	ex.lmu.Unlock()
	ex.drain(ErrCanceled)
	ex.shutdown()
}

// drain resolves every task still queued as canceled with err.
func (ex *executor) drain(err error) {
	for {
		t, ok := ex.q.pop()
		if !ok {
			if ex.q.len() == 0 {
				return
			}
			runtime.Gosched() // a push in progress: its slot is not written yet
			continue
		}
		ex.discarded.Add(1)
		t.drop(err)
	}
}

// reportUnread reports, once the workers have stopped, the unread errors of
// failed futures that nobody can read any more. The ones still reachable may
// yet be read: the garbage collector's cleanup reports them if not.
func (ex *executor) reportUnread() {
	ex.umu.Lock()
	n := len(ex.unread)
	ex.umu.Unlock()
	if n == 0 {
		return
	}
	// Two cycles: after one, a future dropped just before was at times
	// still reachable through its weak pointer (seen in
	// TestUnreadErrorsReportedAtShutdown); after two, never in 70 runs.
	runtime.GC()
	runtime.GC()
	ex.umu.Lock()
	var gone []*ext
	for x, wp := range ex.unread {
		if wp.Value() == nil {
			gone = append(gone, x)
		}
	}
	ex.umu.Unlock()
	for _, x := range gone {
		lost{ex, x}.report()
	}
}

// forget drops x from the unread errors.
func (ex *executor) forget(x *ext) {
	ex.umu.Lock()
	delete(ex.unread, x)
	ex.umu.Unlock()
}

// addHook registers a Map's cancel function for ShutdownNow; it reports
// false if ShutdownNow already began (the Map should stop at once).
func (ex *executor) addHook(stop *func(error)) bool {
	ex.lmu.Lock()
	defer ex.lmu.Unlock()
	if ex.killed.Load() {
		return false
	}
	if ex.hooks == nil {
		ex.hooks = make(map[*func(error)]struct{})
	}
	ex.hooks[stop] = struct{}{}
	return true
}

func (ex *executor) removeHook(stop *func(error)) {
	ex.lmu.Lock()
	delete(ex.hooks, stop)
	ex.lmu.Unlock()
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
func (ex *Executor) Stats() Stats { return ex.stats() }

func (ex *executor) stats() Stats {
	ex.wmu.Lock()
	sum := ex.retired
	for w := range ex.workers {
		sum.add(w.stats.load())
	}
	ex.wmu.Unlock()
	// Every task taken off the queue has started unless it was discarded,
	// so the running ones need no counter of their own (one atomic add per
	// task less). Taken is read last: a task counted finished or discarded
	// above is counted taken too, so Running is never negative.
	discarded := ex.discarded.Load()
	running := int64(ex.q.taken()) - sum.succeeded - sum.failed - discarded
	return Stats{
		Submitted: int64(ex.q.accepted()),
		Queued:    int64(ex.q.len()),
		Running:   running,
		Completed: sum.succeeded,
		Failed:    sum.failed,
		Canceled:  ex.canceled.Load(),
		Workers:   int(ex.spawned.Load()),
	}
}

// workerStats are a worker's counters, written by it alone.
type workerStats struct {
	succeeded, failed atomic.Int64
}

// counts is a snapshot of workerStats.
type counts struct{ succeeded, failed int64 }

func (s *workerStats) load() counts {
	return counts{s.succeeded.Load(), s.failed.Load()}
}

func (c *counts) add(o counts) {
	c.succeeded += o.succeeded
	c.failed += o.failed
}

// worker is one persistent goroutine of an executor.
type worker struct {
	ex        *executor
	id        int
	wake      chan struct{} // a token: get up and look for work
	searching bool          // counted as looking for work in ex.ws
	retired   bool          // left as surplus: spawned already counts it out
	waiting   atomic.Int32  // waits of the running task on ex (see block)
	locals    []localVal
	stats     workerStats
	// Workers write their counters on every task: keep two workers' off
	// one cache line.
	_ [64]byte
}

func (w *worker) loop() {
	ex := w.ex
	normal := false
	defer func() {
		if !normal {
			// A task called runtime.Goexit and took this goroutine with
			// it: the task's future is resolved already. Replace the
			// worker, under the same id, so queued tasks still run.
			w.exit(true)
			if !ex.spawn(w.id) {
				ex.wmu.Lock()
				ex.freeIDs = append(ex.freeIDs, w.id)
				ex.wmu.Unlock()
			}
			return
		}
		w.exit(false)
	}()
	if !w.searching {
		err := w.initLocals()
		ex.starting.Add(-1)
		if err != nil {
			ex.breakWith(err)
			normal = true
			return
		}
		w.searching = true
		ex.ws.Add(1)
	}
	woken := false // back from park: finding nothing now, it was woken for nothing
	for {
		// A worker looking for work counts as room for a task (see
		// pushOver): it stops looking before it takes one, so that it is
		// never counted both as looking and as running a task (a task
		// more than the bound and the queue was accepted in that gap).
		looked, last := w.searching, false
		if looked {
			w.searching = false
			last = uint32(ex.ws.Add(oneLess)) == 0
		}
		t, ok := ex.q.pop()
		if !ok && woken && testHookIdleWake != nil {
			testHookIdleWake()
		}
		woken = false
		if ok {
			// The last one looking found work: if more is queued, wake
			// another to look (as Go's scheduler does), unless a
			// submitter is about to (see spinForRoom).
			if last && ex.q.len() > 0 && ex.spinning.Load() == 0 {
				ex.wake()
			}
			ex.mayLetIn()
			t.run(w)
			if ex.spawned.Load() > ex.bound() && w.retire() {
				normal = true
				return
			}
			continue
		}
		w.searching = true
		ex.ws.Add(1)
		if looked {
			ex.mayLetIn() // a submitter may have found no room while we were not counted
		}
		if ex.q.isClosed() && ex.q.len() == 0 {
			normal = true
			return
		}
		if !w.park() {
			normal = true
			return
		}
		woken = true
	}
}

// testHookIdleWake, set by a test, hears of each worker woken that found
// nothing to do.
var testHookIdleWake func()

// park waits for a wake-up, as a worker that found nothing to do. It
// reports false if the worker should stop instead (surplus).
func (w *worker) park() bool {
	ex := w.ex
	if ex.spawned.Load() > ex.bound() && w.retire() {
		return false
	}
	ex.wmu.Lock()
	ex.idle = append(ex.idle, w)
	ex.ws.Add(toParked)
	ex.wmu.Unlock()
	w.searching = false
	// Looked at again after registering as parked: a submitter that pushed
	// before now saw nobody looking, and found us parked to wake.
	if ex.q.len() > 0 || ex.q.isClosed() {
		ex.wmu.Lock()
		for i, v := range ex.idle {
			if v == w {
				ex.idle = append(ex.idle[:i], ex.idle[i+1:]...)
				ex.ws.Add(toLooking)
				ex.wmu.Unlock()
				w.searching = true
				return true
			}
		}
		ex.wmu.Unlock()
		// Someone took us off the list already: their token is coming.
	}
	<-w.wake
	w.searching = true // the waker counted us
	return !(ex.spawned.Load() > ex.bound() && w.retire())
}

// retire stops a surplus worker, if it still is one.
func (w *worker) retire() bool {
	ex := w.ex
	for {
		n := ex.spawned.Load()
		if n <= ex.bound() {
			return false
		}
		if ex.spawned.CompareAndSwap(n, n-1) {
			if w.searching {
				w.searching = false
				ex.ws.Add(oneLess)
			}
			w.retired = true
			// A parked worker may have been left parked because this one
			// counted as up: hand the place over if work is queued.
			if ex.q.len() > 0 {
				ex.wake()
			}
			return true
		}
	}
}

// exit is a stopping worker's last bookkeeping: close its values, fold its
// counters into the executor's, free its id (unless it is replaced), and
// tell Shutdown when the last one is gone.
func (w *worker) exit(replaced bool) {
	ex := w.ex
	w.keepOrCloseLocals()
	if w.searching {
		w.searching = false
		ex.ws.Add(oneLess)
	}
	ex.wmu.Lock()
	delete(ex.workers, w)
	ex.retired.add(w.stats.load())
	if !replaced {
		ex.freeIDs = append(ex.freeIDs, w.id)
	}
	ex.wmu.Unlock()
	if !w.retired {
		ex.spawned.Add(-1)
	}
	if ex.spawned.Load() == 0 && ex.q.isClosed() && ex.q.len() == 0 {
		ex.stop()
	}
}

// stop closes the spare Local values and tells Shutdown that the last
// worker is gone.
func (ex *executor) stop() {
	ex.stopOnce.Do(func() {
		ex.wmu.Lock()
		spare := ex.spare
		ex.spare, ex.done = nil, true
		ex.wmu.Unlock()
		for _, vals := range spare {
			closeLocals(vals)
		}
		close(ex.stopped)
	})
}

// keepOrCloseLocals leaves an exiting worker's values to the next worker,
// unless shutdown began (or they are incomplete: a failed initialization).
func (w *worker) keepOrCloseLocals() {
	ex := w.ex
	vals := w.locals
	w.locals = nil
	if len(vals) == 0 {
		return
	}
	if len(vals) == len(ex.locals) && !ex.q.isClosed() {
		ex.wmu.Lock()
		if !ex.done {
			ex.spare = append(ex.spare, vals)
			ex.wmu.Unlock()
			return
		}
		ex.wmu.Unlock()
	}
	closeLocals(vals)
}

// start checks, for a task w has taken and marked running, that it should
// still start: not if its submitter's context ended meanwhile (running it
// would waste the worker), nor after ShutdownNow began. It returns nil to
// start, or the error to cancel the task with (the task is then discarded).
func (w *worker) start(c *core) error {
	if err := c.src.ctx.Err(); err != nil {
		w.ex.discarded.Add(1)
		if cause := context.Cause(c.src.ctx); cause != err {
			return &canceledError{cause: cause, also: err}
		}
		return err
	}
	if w.ex.killed.Load() {
		w.ex.discarded.Add(1)
		return ErrCanceled
	}
	return nil
}

func (w *worker) initLocals() error {
	if len(w.ex.locals) == 0 {
		return nil
	}
	ctx := initCtx{context.Background(), w}
	for _, l := range w.ex.locals {
		v, err := l.init(ctx)
		if err != nil {
			return err
		}
		w.locals = append(w.locals, localVal{key: l, val: v})
	}
	return nil
}

func closeLocals(vals []localVal) {
	for i := len(vals) - 1; i >= 0; i-- {
		vals[i].key.close(vals[i].val)
	}
}

// breakWith marks the executor broken by a failed worker initialization and
// fails every queued task.
func (ex *executor) breakWith(err error) {
	if ex.broken.CompareAndSwap(nil, &brokenError{cause: err}) {
		ex.closeQueue(brokenBit)
		// Said once, out of band, as Python logs "Exception in
		// initializer": the futures carry it too, but nobody may read them.
		slog.Error("fanout: a worker's initialization failed; the executor is broken", "err", err)
	}
	b := ex.broken.Load()
	for {
		t, ok := ex.q.pop()
		if !ok {
			if ex.q.len() == 0 {
				return
			}
			runtime.Gosched()
			continue
		}
		ex.discarded.Add(1)
		t.drop(b)
	}
}
