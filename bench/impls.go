// Package bench compares fanout with its peers on the same workloads. It is a
// module of its own, so that the peers never enter fanout's go.mod.
//
// Every implementation below runs n tasks with the same worker bound and
// hands the results back to the caller. Each one creates its pool, runs all
// n tasks and tears the pool down, so pool set-up and shutdown are part of
// the measured time, amortised over n tasks (negligible at benchmark sizes,
// and the same rule for everybody).
//
// Idioms, chosen as the natural way to use each library:
//
//   - fanout:   Submit every task, keep the futures in a slice, then Result
//     each one in order (Sum); fanout.Map over an iter.Seq (Ordered).
//   - pond:     pond.NewResultPool[int](w); Submit every task, keep the
//     ResultTasks in a slice, then Wait each one in order (Sum: the same
//     collection as fanout, the other library with per-task futures);
//     a task group's Submit + Wait, which returns results in submission
//     order (Ordered).
//   - conc:     pool.NewWithResults[int]().WithErrors().WithMaxGoroutines(w)
//     (the result pool with (T, error) tasks, like fanout's), Go + Wait
//     (Sum; its results come back in no particular order, which a sum does
//     not mind); conc/stream with w goroutines, whose callbacks run in
//     submission order (Ordered: conc's ResultPool docs point to stream or
//     iter.Map for ordered results, and stream is the streaming one, like
//     fanout.Map).
//   - errgroup: errgroup.Group with SetLimit(w); each task writes out[i] of a
//     preallocated slice, then the caller reads the slice (Sum and Ordered).
//   - ants:     ants.NewPool(w) (blocking Submit); each task writes out[i]
//     and marks a sync.WaitGroup (Sum and Ordered).
//   - raw:      one goroutine per task, a buffered channel of w tokens as the
//     semaphore, out[i] and a sync.WaitGroup (Sum and Ordered).
//   - bare:     the floor: no futures at all. A feeder sends indices on an
//     input channel (buffer w) to w worker goroutines, which send results on
//     an output channel (buffer w) that the caller drains (Sum), or write
//     out[i] that the caller reads after the workers exit (Ordered).
package bench

import (
	"context"
	"iter"
	"sync"

	"github.com/alitto/pond/v2"
	"github.com/fanout-dev/fanout"
	"github.com/panjf2000/ants/v2"
	"github.com/sourcegraph/conc/pool"
	"github.com/sourcegraph/conc/stream"
	"golang.org/x/sync/errgroup"
)

// Impl is one contender.
type Impl struct {
	Name string
	// Sum runs task(0)..task(n-1) with at most workers at once and returns
	// the sum of the results, collected in any order.
	Sum func(n, workers int, task func(int) int) int
	// Ordered runs task(0)..task(n-1) with at most workers at once and
	// consumes the results in input order, folding them into OrderHash.
	Ordered func(n, workers int, task func(int) int) uint64
}

// Impls lists every contender, fanout first, the floor last.
var Impls = []Impl{
	{"fanout", fanoutSum, fanoutOrdered},
	{"pond", pondSum, pondOrdered},
	{"conc", concSum, concOrdered},
	{"errgroup", errgroupSum, errgroupOrdered},
	{"ants", antsSum, antsOrdered},
	{"raw", rawSum, rawOrdered},
	{"bare", bareSum, bareOrdered},
}

// OrderHash folds v into h; the result depends on the order of the values,
// so comparing it with a sequential fold checks that results came in order.
func OrderHash(h uint64, v int) uint64 { return h*1099511628211 + uint64(v) }

// Ints is the input sequence 0..n-1 as an iterator, as a lazy producer
// would hand it to fanout.Map.
func Ints(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// ---- fanout ----

func fanoutSum(n, workers int, task func(int) int) int {
	ex := fanout.New(fanout.WithWorkers(workers))
	defer ex.Shutdown()
	ctx := context.Background()
	futs := make([]*fanout.Future[int], n)
	for i := range n {
		futs[i] = fanout.Submit(ctx, ex, func(context.Context) (int, error) { return task(i), nil })
	}
	sum := 0
	for _, f := range futs {
		v, err := f.Result(ctx)
		must(err)
		sum += v
	}
	return sum
}

func fanoutOrdered(n, workers int, task func(int) int) uint64 {
	ex := fanout.New(fanout.WithWorkers(workers))
	defer ex.Shutdown()
	var h uint64
	fn := func(_ context.Context, i int) (int, error) { return task(i), nil }
	for v, err := range fanout.Map(context.Background(), ex, Ints(n), fn) {
		must(err)
		h = OrderHash(h, v)
	}
	return h
}

// ---- pond ----

func pondSum(n, workers int, task func(int) int) int {
	p := pond.NewResultPool[int](workers)
	defer p.StopAndWait()
	tasks := make([]pond.ResultTask[int], n)
	for i := range n {
		tasks[i] = p.Submit(func() int { return task(i) })
	}
	sum := 0
	for _, t := range tasks {
		v, err := t.Wait()
		must(err)
		sum += v
	}
	return sum
}

func pondOrdered(n, workers int, task func(int) int) uint64 {
	p := pond.NewResultPool[int](workers)
	defer p.StopAndWait()
	g := p.NewGroup()
	for i := range n {
		g.Submit(func() int { return task(i) })
	}
	out, err := g.Wait()
	must(err)
	var h uint64
	for _, v := range out {
		h = OrderHash(h, v)
	}
	return h
}

// ---- conc ----

func concSum(n, workers int, task func(int) int) int {
	p := pool.NewWithResults[int]().WithErrors().WithMaxGoroutines(workers)
	for i := range n {
		p.Go(func() (int, error) { return task(i), nil })
	}
	out, err := p.Wait()
	must(err)
	sum := 0
	for _, v := range out {
		sum += v
	}
	return sum
}

func concOrdered(n, workers int, task func(int) int) uint64 {
	s := stream.New().WithMaxGoroutines(workers)
	var h uint64
	for i := range n {
		s.Go(func() stream.Callback {
			v := task(i)
			return func() { h = OrderHash(h, v) }
		})
	}
	s.Wait()
	return h
}

// ---- errgroup ----

func errgroupRun(n, workers int, task func(int) int) []int {
	var g errgroup.Group
	g.SetLimit(workers)
	out := make([]int, n)
	for i := range n {
		g.Go(func() error { out[i] = task(i); return nil })
	}
	must(g.Wait())
	return out
}

func errgroupSum(n, workers int, task func(int) int) int {
	return sum(errgroupRun(n, workers, task))
}

func errgroupOrdered(n, workers int, task func(int) int) uint64 {
	return hash(errgroupRun(n, workers, task))
}

// ---- ants ----

func antsRun(n, workers int, task func(int) int) []int {
	p, err := ants.NewPool(workers)
	must(err)
	defer p.Release()
	out := make([]int, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		must(p.Submit(func() { out[i] = task(i); wg.Done() }))
	}
	wg.Wait()
	return out
}

func antsSum(n, workers int, task func(int) int) int {
	return sum(antsRun(n, workers, task))
}

func antsOrdered(n, workers int, task func(int) int) uint64 {
	return hash(antsRun(n, workers, task))
}

// ---- raw goroutines + semaphore channel ----

func rawRun(n, workers int, task func(int) int) []int {
	sem := make(chan struct{}, workers)
	out := make([]int, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		sem <- struct{}{}
		go func() {
			out[i] = task(i)
			<-sem
			wg.Done()
		}()
	}
	wg.Wait()
	return out
}

func rawSum(n, workers int, task func(int) int) int {
	return sum(rawRun(n, workers, task))
}

func rawOrdered(n, workers int, task func(int) int) uint64 {
	return hash(rawRun(n, workers, task))
}

// ---- bare channel worker pool: the floor ----

// BareStream runs fn on every input with workers goroutines fed by a
// channel and returns the sum of the results, drained from an output
// channel as they come: the lowest-overhead streaming pool, with no futures.
func BareStream(inputs iter.Seq[int], workers int, fn func(int) int) int {
	in := make(chan int, workers)
	out := make(chan int, workers)
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for i := range in {
				out <- fn(i)
			}
		}()
	}
	go func() {
		for i := range inputs {
			in <- i
		}
		close(in)
	}()
	go func() {
		wg.Wait()
		close(out)
	}()
	s := 0
	for v := range out {
		s += v
	}
	return s
}

func bareSum(n, workers int, task func(int) int) int {
	return BareStream(Ints(n), workers, task)
}

func bareOrdered(n, workers int, task func(int) int) uint64 {
	in := make(chan int, workers)
	out := make([]int, n)
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for i := range in {
				out[i] = task(i)
			}
		}()
	}
	for i := range n {
		in <- i
	}
	close(in)
	wg.Wait()
	return hash(out)
}

// ---- helpers ----

func sum(out []int) int {
	s := 0
	for _, v := range out {
		s += v
	}
	return s
}

func hash(out []int) uint64 {
	var h uint64
	for _, v := range out {
		h = OrderHash(h, v)
	}
	return h
}

// ---- the library harness (issue 13): the tutorials' pattern ----
//
// Every task is submitted first and its handle kept; then each handle is
// read in submission order, as the Python tutorials do with
// `futures = [executor.submit(...)]` and `f.result()`. fanout and pond keep
// a future per task; conc (pool.NewWithResults[int]().WithMaxGoroutines(w),
// its result pool without the error wrapper) collects the results itself;
// the bare channel pool is the floor, with no handle at all.

// KeptImpl is one contender of the tutorials' pattern.
type KeptImpl struct {
	Name string
	// Run runs task(0)..task(n-1) with at most workers at once and returns
	// the sum of the results.
	Run func(n, workers int, task func(int) int) int
}

// KeptImpls: fanout first, the floor last.
var KeptImpls = []KeptImpl{
	{"fanout", fanoutSum},
	{"conc", concKept},
	{"pond", pondSum},
	{"bare", bareSum},
}

func concKept(n, workers int, task func(int) int) int {
	p := pool.NewWithResults[int]().WithMaxGoroutines(workers)
	for i := range n {
		p.Go(func() int { return task(i) })
	}
	return sum(p.Wait())
}

// SteadyImpls run the same tasks without keeping every handle: a window of
// the last steadyWindow handles, the oldest read when the window is full.
// The queue bounds how far submission runs ahead of completion far below
// the window, so reading the oldest never waits: what is measured is the
// executor's own steady-state cost per task, without the heap of a million
// live futures.
var SteadyImpls = []KeptImpl{
	{"fanout", fanoutSteady},
	{"pond", pondSteady},
	{"bare", bareSum},
}

const steadyWindow = 1024

func fanoutSteady(n, workers int, task func(int) int) int {
	ex := fanout.New(fanout.WithWorkers(workers))
	defer ex.Shutdown()
	ctx := context.Background()
	var win [steadyWindow]*fanout.Future[int]
	sum := 0
	for i := range n + steadyWindow {
		slot := &win[i%steadyWindow]
		if f := *slot; f != nil {
			v, err := f.Result(ctx)
			must(err)
			sum += v
			*slot = nil
		}
		if i < n {
			*slot = fanout.Submit(ctx, ex, func(context.Context) (int, error) { return task(i), nil })
		}
	}
	return sum
}

func pondSteady(n, workers int, task func(int) int) int {
	p := pond.NewResultPool[int](workers)
	defer p.StopAndWait()
	var win [steadyWindow]pond.ResultTask[int]
	sum := 0
	for i := range n + steadyWindow {
		slot := &win[i%steadyWindow]
		if t := *slot; t != nil {
			v, err := t.Wait()
			must(err)
			sum += v
			*slot = nil
		}
		if i < n {
			*slot = p.Submit(func() int { return task(i) })
		}
	}
	return sum
}

// OrderedImpls: results in input order. fanout streams them (fanout.Map
// over an iter.Seq, lazily, in bounded memory); the bare pool writes out[i]
// into a slice of every result, read after its workers exit.
var OrderedImpls = []Impl{
	{Name: "fanout", Ordered: fanoutOrdered},
	{Name: "bare", Ordered: bareOrdered},
}
