package fanout

import (
	"context"
	"errors"
	"iter"
)

// errMapStopped is the cancellation cause of the tasks of a Map whose loop
// ended before they did.
var errMapStopped = errors.New("fanout: Map loop ended")

// mapTask is one input of a Map: a future that calls fn with its input.
type mapTask[In, Out any] struct {
	Future[Out]
	in In
	fn func(context.Context, In) (Out, error)
}

func (m *mapTask[In, Out]) invoke(ctx context.Context) (Out, error) { return m.fn(ctx, m.in) }
func (m *mapTask[In, Out]) run(w *worker)                           { m.runWith(w, m) }

// submitInput queues fn(in) on ex; Map reads every result it yields, and
// what it abandons after its loop ends it abandons on purpose, so its
// errors are never reported as unread.
func submitInput[In, Out any](ctx context.Context, ex *Executor, in In, fn func(context.Context, In) (Out, error)) (*Future[Out], error) {
	m := &mapTask[In, Out]{in: in, fn: fn}
	m.flags.Store(flagUnwatched)
	return &m.Future, queue(ctx, ex, &m.core, m)
}

// MapOption configures Map and MapUnordered.
type MapOption func(*mapConfig)

type mapConfig struct{ window int }

// WithWindow sets how many inputs a Map may have taken from its input and
// not yet handed to its loop, at any moment (n >= 1; Python 3.14's
// buffersize). The default is 16 times the executor's worker bound: enough to
// keep every worker busy while slow inputs hold up an ordered Map's head, and
// to let the input goroutine and the consumer run in long stretches instead
// of waking each other for every input (a window of 2x the bound costs about
// twice as much per input).
func WithWindow(n int) MapOption {
	return func(c *mapConfig) {
		if n < 1 {
			panic("fanout: WithWindow needs n >= 1")
		}
		c.window = n
	}
}

func newMapConfig[In, Out any](ex *Executor, inputs iter.Seq[In], fn func(context.Context, In) (Out, error), opts []MapOption) mapConfig {
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

// Map returns an iterator that runs fn on each input on ex when ranged over
// (an unranged Map runs nothing), and yields the results in input order,
// like Python's executor.map, but lazily: it takes a new input only when
// fewer than WithWindow are taken and not yet yielded, so an endless input
// runs in constant memory (Python's map reads all of its input first:
// bpo-29842). Each result comes with its error; a value fn returned along
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
// yields (zero, ErrShutdown) once and stops.
//
// Map is safe inside a task of ex: see Future.Result.
//
// Cost: about 240 ns and one allocation per input beyond fn's own work, on
// 2 cores; memory is bounded by the window (about 4 MiB at the default
// window, whatever the number of inputs). See docs/benchmarks.md.
func Map[In, Out any](ctx context.Context, ex *Executor, inputs iter.Seq[In], fn func(context.Context, In) (Out, error), opts ...MapOption) iter.Seq2[Out, error] {
	cfg := newMapConfig(ex, inputs, fn, opts)
	return func(yield func(Out, error) bool) {
		mctx, stop := context.WithCancelCause(ctx)
		// Holding a slot means: taken from the input, not yet handed to the
		// loop. The input goroutine takes a slot before it takes an input,
		// so at most window inputs are ever out (CPython gh-131466).
		slots := make(chan struct{}, cfg.window)
		acquire := func() bool {
			select {
			case slots <- struct{}{}:
				return true
			case <-mctx.Done():
				return false
			}
		}
		futs := make(chan *Future[Out], cfg.window)
		fed := make(chan struct{})
		cut := false // the input goroutine stopped because mctx ended
		go func() {
			defer close(fed)
			defer close(futs)
			if !acquire() {
				return
			}
			for in := range inputs {
				f, err := submitInput(mctx, ex, in, fn)
				if mctx.Err() != nil {
					f.Cancel()
					cut = true
					return
				}
				futs <- f // has room: one slot per future
				if err != nil {
					return // the failed future carries ErrShutdown or ErrBroken
				}
				if !acquire() { // for the next input, before taking it
					return
				}
			}
		}()
		defer func() {
			stop(errMapStopped)
			for f := range futs { // also waits for the input goroutine
				f.Cancel()
			}
			<-fed
		}()
		var zero Out
		for {
			var f *Future[Out]
			select {
			case g, ok := <-futs:
				if !ok {
					if cut && ctx.Err() != nil {
						yield(zero, contextDone(ctx))
					}
					return
				}
				f = g
			case <-ctx.Done(): // even while the input blocks
				yield(zero, contextDone(ctx))
				return
			}
			v, err := f.Result(ctx)
			if err != nil && ctx.Err() != nil {
				yield(zero, contextDone(ctx))
				return
			}
			if err != nil && State(f.state.Load()) == Finished {
				v = f.val // keep the value fn returned with its error
			}
			<-slots // handed to the loop: out of the window
			if !yield(v, err) {
				return
			}
		}
	}
}

// MapUnordered is Map yielding results in the order they complete (an
// unranged MapUnordered runs nothing), the counterpart of submitting every
// input and looping over AsCompleted, in bounded memory: at most WithWindow
// inputs are taken and not yet yielded.
func MapUnordered[In, Out any](ctx context.Context, ex *Executor, inputs iter.Seq[In], fn func(context.Context, In) (Out, error), opts ...MapOption) iter.Seq2[Out, error] {
	cfg := newMapConfig(ex, inputs, fn, opts)
	return func(yield func(Out, error) bool) {
		mctx, stop := context.WithCancelCause(ctx)
		// Holding a slot means: taken from the input, not yet yielded. The
		// results channel has room for every slot, so callbacks never block.
		slots := make(chan struct{}, cfg.window)
		results := make(chan *Future[Out], cfg.window)
		fed := make(chan struct{})
		var taken int
		acquire := func() bool {
			select {
			case slots <- struct{}{}:
				return true
			case <-mctx.Done():
				return false
			}
		}
		go func() {
			defer close(fed)
			// A slot before each input is taken, not after (CPython gh-131466).
			if !acquire() {
				return
			}
			for in := range inputs {
				f, err := submitInput(mctx, ex, in, fn)
				taken++
				f.onDone(func() { results <- f })
				if err != nil || !acquire() {
					return
				}
			}
		}()
		defer func() {
			stop(errMapStopped)
			<-fed
		}()
		yielded := 0
		feeding := fed
		for {
			select {
			case f := <-results:
				<-slots
				yielded++
				v, err := f.Result(ctx)
				if err != nil && ctx.Err() != nil {
					break // the context ended: say so once, below
				}
				if err != nil && State(f.state.Load()) == Finished {
					v = f.val
				}
				if !yield(v, err) {
					return
				}
			case <-feeding:
				feeding = nil
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				var zero Out
				yield(zero, contextDone(ctx))
				return
			}
			if feeding == nil && yielded == taken {
				return
			}
		}
	}
}
