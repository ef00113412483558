package fanout

import (
	"context"
	"errors"
	"iter"
	"sync/atomic"
)

// errMapStopped is the cancellation cause of the tasks of a Map whose loop
// ended before they did.
var errMapStopped = errors.New("fanout: Map loop ended")

// MapOption configures Map and MapUnordered.
type MapOption func(*mapConfig)

type mapConfig struct{ window int }

// WithWindow sets how many inputs a Map may have taken from its input and
// not yet handed to its loop, at any moment (n >= 1). The default is 16 times the executor's worker bound: enough
// to keep every worker busy while slow inputs hold up an ordered Map's head,
// and to let the input goroutine and the loop run in long stretches instead
// of waking each other for every input.
func WithWindow(n int) MapOption {
	return func(c *mapConfig) {
		if n < 1 {
			panic("fanout: WithWindow needs n >= 1")
		}
		c.window = n
	}
}

// Map returns an iterator that runs fn on each input on ex when ranged over
// (an unranged Map runs nothing), and yields the results in input order,
// lazily: it takes a new input only when fewer than WithWindow are taken and
// not yet yielded, so an endless input runs in constant memory. Each result comes with its error; a value fn returned along
// with an error is yielded too, so fn can say which input failed.
//
// The inputs are read on a goroutine of Map's own, so results are yielded as
// soon as they are ready even while the input blocks. The tasks' contexts
// derive from ctx. If ctx ends, Map yields (zero, err) once, err matching
// ErrContextDone and ctx's error (a task's own error never matches
// ErrContextDone), and stops. Breaking out of the loop, or ctx ending,
// cancels the tasks still outstanding; Map returns once its input goroutine
// has stopped, so it leaves no goroutine behind (provided the input
// sequence returns when asked to stop). If the executor is shut down, Map
// yields (zero, ErrShutdown), or (zero, ErrCanceled) for an input whose
// task ShutdownNow canceled, once and stops; the inputs before it, whose
// tasks were running, are yielded first with their own outcomes.
// MapUnordered yields every task that was running, with its own outcome
// as it returns, and then the cancellation once.
//
// Map is safe inside a task of ex, given the task's context: see
// Future.Result.
//
// Cost: about 200 ns per input beyond fn's own work on 2 shared
// cores, and no allocation per input: Map's tasks live in its window and
// are reused.
// Memory is bounded by the window, whatever the number of inputs. See
// docs/benchmarks.md.
func Map[In, Out any](ctx context.Context, ex *Executor, inputs iter.Seq[In], fn func(context.Context, In) (Out, error), opts ...MapOption) iter.Seq2[Out, error] {
	cfg := newMapConfig(ex.executor, inputs, fn, opts)
	return func(yield func(Out, error) bool) {
		m := newMapRun(ctx, ex.executor, fn, cfg, true)
		defer m.close()
		go m.feedOrdered(inputs)
		m.yieldOrdered(ctx, yield)
	}
}

// MapUnordered is Map yielding results in the order they complete (an
// unranged MapUnordered runs nothing), the counterpart of submitting every
// input and looping over AsCompleted, in bounded memory: at most WithWindow
// inputs are taken and not yet yielded.
func MapUnordered[In, Out any](ctx context.Context, ex *Executor, inputs iter.Seq[In], fn func(context.Context, In) (Out, error), opts ...MapOption) iter.Seq2[Out, error] {
	cfg := newMapConfig(ex.executor, inputs, fn, opts)
	return func(yield func(Out, error) bool) {
		m := newMapRun(ctx, ex.executor, fn, cfg, false)
		defer m.close()
		go m.feedUnordered(inputs)
		m.yieldUnordered(ctx, yield)
	}
}

func newMapConfig[In, Out any](ex *executor, inputs iter.Seq[In], fn func(context.Context, In) (Out, error), opts []MapOption) mapConfig {
	// Checked here, in the caller: on Map's input goroutine a nil function
	// would crash the process where nobody can recover.
	if inputs == nil {
		panic("fanout: Map or MapUnordered called with a nil input sequence")
	}
	if fn == nil {
		panic("fanout: Map or MapUnordered called with a nil function")
	}
	c := mapConfig{window: 16 * int(ex.max)}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// mapRun is one ranging of a Map. Its tasks live in slots, one per input
// taken and not yet yielded, and are reused: input i uses slot i%window in
// an ordered Map, a free slot in an unordered one. Map's tasks run on Map's
// own context (a shared source), so they need no cancelable context each:
// Map cancels them all at once, and ShutdownNow reaches them through the
// hook Map registers.
//
// Ordered: the input goroutine (the producer) publishes input i by storing
// taken = i+1; the loop (the consumer) hands result k over by storing given
// = k+1, after which the producer may reuse its slot. Each side parks only
// when it must: the consumer when the next result is not ready, the
// producer when the window is full, and each wakes the other only if it is
// parked (waitIdx, prodWaiting), the producer only once half the window is
// free again.
type mapRun[In, Out any] struct {
	ex      *executor
	fn      func(context.Context, In) (Out, error)
	src     source
	stop    context.CancelCauseFunc
	hook    func(error)
	window  uint64
	ordered bool
	slots   []*mapTask[In, Out]
	fed     chan struct{} // closed when the producer has stopped
	cut     error         // why the producer stopped early, if it did; read after fed

	_           [64]byte
	taken       atomic.Uint64
	_           [56]byte
	given       atomic.Uint64
	_           [56]byte
	waitIdx     atomic.Uint64 // k+1 while the consumer is parked for result k
	prodWaiting atomic.Bool
	wakeC       chan struct{} // a token for the consumer
	wakeP       chan struct{} // a token for the producer

	// Unordered: free slot numbers, and tasks resolved, in order of
	// completion. Both have room for every slot, so sends never block.
	free chan int
	done chan *mapTask[In, Out]
}

func newMapRun[In, Out any](ctx context.Context, ex *executor, fn func(context.Context, In) (Out, error), cfg mapConfig, ordered bool) *mapRun[In, Out] {
	mctx, stop := context.WithCancelCause(ctx)
	m := &mapRun[In, Out]{
		ex: ex, fn: fn, stop: stop, window: uint64(cfg.window), ordered: ordered,
		slots: make([]*mapTask[In, Out], cfg.window),
		fed:   make(chan struct{}),
		wakeC: make(chan struct{}, 1),
		wakeP: make(chan struct{}, 1),
	}
	m.src = source{ctx: mctx, ex: ex, shared: true}
	if !ordered {
		m.free = make(chan int, cfg.window)
		for i := range cfg.window {
			m.free <- i
		}
		m.done = make(chan *mapTask[In, Out], cfg.window)
	}
	m.hook = func(err error) { stop(err) }
	if !ex.addHook(&m.hook) {
		stop(ErrCanceled) // ShutdownNow began: take nothing
	}
	return m
}

// close ends the run: it cancels Map's context (running tasks see it, and
// queued ones never start), waits for the producer, and unregisters.
func (m *mapRun[In, Out]) close() {
	m.stop(errMapStopped)
	<-m.fed
	m.ex.removeHook(&m.hook)
}

// slot returns the task in slot i, made on first use, reset for input idx.
func (m *mapRun[In, Out]) slot(i uint64, idx uint64, in In) *mapTask[In, Out] {
	t := m.slots[i]
	if t == nil {
		t = &mapTask[In, Out]{m: m, idxSlot: i}
		t.src = &m.src
		m.slots[i] = t
	}
	t.idx, t.in = idx, in
	var zero Out
	t.val, t.err = zero, nil
	t.state.Store(uint32(Pending))
	return t
}

// submit queues t. It returns queued if a worker has it now; refused if the
// executor refused it (ShutdownNow, broken: t is failed, to be yielded in its
// turn); neither if Map's context ended first (t was not taken).
func (m *mapRun[In, Out]) submit(t *mapTask[In, Out]) (queued, refused bool) {
	err := m.ex.enqueue(m.src.ctx, t, false)
	if err == nil {
		return true, false
	}
	if m.src.ctx.Err() != nil {
		m.cut = context.Cause(m.src.ctx)
		return false, false // stopped by the loop, ctx or ShutdownNow
	}
	t.err = err // ErrShutdown or ErrBroken
	t.state.Store(uint32(Finished))
	return false, true
}

func (m *mapRun[In, Out]) feedOrdered(inputs iter.Seq[In]) {
	defer func() {
		close(m.fed)
		m.wakeConsumer()
	}()
	if m.src.ctx.Err() != nil {
		m.cut = context.Cause(m.src.ctx)
		return
	}
	var i uint64
	for in := range inputs {
		t := m.slot(i%m.window, i, in)
		queued, refused := m.submit(t)
		if queued || refused {
			m.taken.Store(i + 1)
			// The loop waiting for this input hears of it from the worker
			// that resolves it (see resolved), unless that worker looked
			// before the input was published here: only then wake it.
			if m.waitIdx.Load() == i+1 && t.resolved() {
				m.wakeConsumer()
			}
		}
		if !queued {
			return
		}
		i++
		// Wait for a free slot before taking the next input, so that at
		// most window inputs are ever taken and not yet yielded (CPython
		// gh-131466).
		for i-m.given.Load() >= m.window {
			m.prodWaiting.Store(true)
			if i-m.given.Load() < m.window {
				m.prodWaiting.Store(false)
				break
			}
			select {
			case <-m.wakeP:
			case <-m.src.ctx.Done():
				m.cut = context.Cause(m.src.ctx)
				return
			}
			m.prodWaiting.Store(false)
		}
	}
}

func (m *mapRun[In, Out]) wakeConsumer() {
	select {
	case m.wakeC <- struct{}{}:
	default:
	}
}

// yieldOrdered is the ordered loop.
func (m *mapRun[In, Out]) yieldOrdered(ctx context.Context, yield func(Out, error) bool) {
	var zero Out
	for k := uint64(0); ; k++ {
		t := m.next(k)
		for t == nil {
			// Not ready: park until it is, the input ends, or ctx does.
			m.waitIdx.Store(k + 1)
			if t = m.next(k); t != nil || m.ended(k) {
				m.waitIdx.Store(0)
				break
			}
			if !m.park(ctx) {
				m.waitIdx.Store(0)
				yield(zero, contextDone(ctx))
				return
			}
			m.waitIdx.Store(0)
			t = m.next(k)
			if t == nil && m.ended(k) {
				break
			}
		}
		if t == nil { // the input ended, or was cut
			m.yieldCut(ctx, yield)
			return
		}
		if State(t.state.Load()) == Canceled {
			yield(zero, t.err)
			return
		}
		if ctx.Err() != nil { // its tasks see it too: say it once, not per task
			yield(zero, contextDone(ctx))
			return
		}
		v, err := t.val, t.err
		var none Out
		t.val = none         // keep no reference to what is yielded (CPython bpo-14406)
		m.given.Store(k + 1) // the slot is the producer's again
		if m.prodWaiting.Load() && m.taken.Load()-(k+1) <= m.window/2 {
			select {
			case m.wakeP <- struct{}{}:
			default:
			}
		}
		if !yield(v, err) {
			return
		}
	}
}

// next returns the task of input k if it is resolved.
func (m *mapRun[In, Out]) next(k uint64) *mapTask[In, Out] {
	if k >= m.taken.Load() {
		return nil
	}
	t := m.slots[k%m.window]
	if s := State(t.state.Load()); s == Finished || s == Canceled {
		return t
	}
	return nil
}

// ended reports whether input k will never come.
func (m *mapRun[In, Out]) ended(k uint64) bool {
	select {
	case <-m.fed:
		return k >= m.taken.Load()
	default:
		return false
	}
}

// park waits for a token, like a worker of ex if ctx is a task's; it
// reports false if ctx ended.
func (m *mapRun[In, Out]) park(ctx context.Context) bool {
	if w := m.ex.blocker(ctx, nil); w != nil {
		w.block()
		defer w.unblock()
	}
	select {
	case <-m.wakeC:
		return true
	case <-ctx.Done():
		return false
	}
}

// yieldCut ends a loop whose input is done: if the producer stopped early,
// say why once.
func (m *mapRun[In, Out]) yieldCut(ctx context.Context, yield func(Out, error) bool) {
	var zero Out
	switch {
	case ctx.Err() != nil:
		yield(zero, contextDone(ctx))
	case m.cut != nil:
		yield(zero, ErrShutdown) // ShutdownNow canceled Map's context
	}
}

func (m *mapRun[In, Out]) feedUnordered(inputs iter.Seq[In]) {
	defer func() {
		close(m.fed)
		m.wakeConsumer()
	}()
	acquire := func() (int, bool) {
		select {
		case i := <-m.free:
			return i, true
		case <-m.src.ctx.Done():
			m.cut = context.Cause(m.src.ctx)
			return 0, false
		}
	}
	// A slot before each input is taken, not after (CPython gh-131466).
	s, ok := acquire()
	if !ok {
		return
	}
	var i uint64
	for in := range inputs {
		t := m.slot(uint64(s), i, in)
		queued, refused := m.submit(t)
		if queued || refused {
			m.taken.Store(i + 1)
		}
		if refused {
			m.done <- t // no worker will report it
		}
		if !queued {
			return
		}
		i++
		if s, ok = acquire(); !ok {
			return
		}
	}
}

// yieldUnordered is the unordered loop.
func (m *mapRun[In, Out]) yieldUnordered(ctx context.Context, yield func(Out, error) bool) {
	var zero Out
	given := uint64(0)
	fed := m.fed
	// After ShutdownNow the queued tasks resolve as canceled at once, and
	// the running ones later, with their own outcome: those are yielded as
	// they come, and the cancellation once, at the end.
	var canceled error
	for {
		if fed == nil && given == m.taken.Load() {
			if canceled != nil {
				yield(zero, canceled)
				return
			}
			m.yieldCut(ctx, yield)
			return
		}
		var t *mapTask[In, Out]
		select {
		case t = <-m.done:
		default:
			var ok bool
			if t, ok = m.waitDone(ctx, fed); !ok {
				yield(zero, contextDone(ctx))
				return
			}
			if t == nil {
				fed = nil // the producer stopped: what was taken is all
				continue
			}
		}
		if State(t.state.Load()) == Canceled {
			if canceled == nil {
				canceled = t.err
			}
			m.free <- int(t.idxSlot)
			given++
			continue
		}
		if ctx.Err() != nil {
			yield(zero, contextDone(ctx))
			return
		}
		v, err := t.val, t.err
		t.val = zero // keep no reference to what is yielded (CPython bpo-14406)
		m.free <- int(t.idxSlot)
		given++
		if !yield(v, err) {
			return
		}
	}
}

// waitDone waits for a resolved task (nil if fed closes first); false if
// ctx ended.
func (m *mapRun[In, Out]) waitDone(ctx context.Context, fed chan struct{}) (*mapTask[In, Out], bool) {
	if w := m.ex.blocker(ctx, nil); w != nil {
		w.block()
		defer w.unblock()
	}
	select {
	case t := <-m.done:
		return t, true
	case <-fed:
		return nil, true
	case <-ctx.Done():
		return nil, false
	}
}

// resolved tells the loop that t is resolved.
func (m *mapRun[In, Out]) resolved(t *mapTask[In, Out], idx uint64) {
	if m.ordered {
		if m.waitIdx.Load() == idx+1 {
			m.wakeConsumer()
		}
		return
	}
	m.done <- t
}

// mapTask is one input of a Map.
type mapTask[In, Out any] struct {
	core
	m       *mapRun[In, Out]
	idx     uint64 // the input's number
	idxSlot uint64 // its slot, in an unordered Map
	in      In
	val     Out
	err     error
}

func (t *mapTask[In, Out]) run(w *worker) {
	t.w = w // published by the CAS below
	if !t.state.CompareAndSwap(uint32(Pending), uint32(Running)) {
		w.ex.discarded.Add(1)
		return // canceled while queued
	}
	// What resolution needs, read before it: once resolved, the slot may
	// be reused for another input.
	m, idx := t.m, t.idx
	if err := w.start(&t.core); err != nil {
		t.err = err
		t.state.Store(uint32(Canceled))
		m.ex.canceled.Add(1)
		m.resolved(t, idx)
		return
	}
	var val Out
	var err error
	returned := false
	defer func() {
		if !returned {
			err = recovered(recover())
		}
		var none In
		t.in = none // what the input holds need not outlive its task
		t.val, t.err = val, err
		if err != nil {
			w.stats.failed.Add(1)
		} else {
			w.stats.succeeded.Add(1)
		}
		t.state.Store(uint32(Finished))
		m.resolved(t, idx)
	}()
	val, err = m.fn((*taskCtx)(&t.core), t.in)
	returned = true
}

func (t *mapTask[In, Out]) drop(err error) {
	m, idx := t.m, t.idx
	if b, ok := err.(*brokenError); ok {
		if !t.state.CompareAndSwap(uint32(Pending), uint32(resolving)) {
			return
		}
		t.err = b
		t.state.Store(uint32(Finished))
	} else {
		if !t.state.CompareAndSwap(uint32(Pending), uint32(resolving)) {
			return
		}
		t.err = err
		t.state.Store(uint32(Canceled))
		m.ex.canceled.Add(1)
	}
	m.resolved(t, idx)
}
