package fanout_test

// Ports of CPython's Lib/test/test_concurrent_futures/test_thread_pool.py; see
// cpython_test.go for the conventions and the skipped cases.

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/fanout-dev/fanout"
)

// test_thread_pool.py (ThreadPoolExecutorTest)

func rangeSeq(lo, hi int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for i := lo; i < hi; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

func abs(_ context.Context, x int) (int, error) {
	if x < 0 {
		return -x, nil
	}
	return x, nil
}

// Mirrors test_thread_pool.py ThreadPoolExecutorTest.test_map_submits_without_iteration
// (issue 11777). Deliberate difference: fanout's Map is lazy (bpo-29842), so
// nothing is submitted until the loop runs; a Map ranged only after Shutdown
// yields ErrShutdown. Ranged on a live executor, every input runs.
func TestThreadPool_MapSubmitsWithoutIteration(t *testing.T) {
	var mu sync.Mutex
	var finished []int
	record := func(_ context.Context, n int) (int, error) {
		mu.Lock()
		finished = append(finished, n)
		mu.Unlock()
		return n, nil
	}

	ex := fanout.New(fanout.WithWorkers(5))
	seq := fanout.Map(context.Background(), ex, rangeSeq(0, 10), record)
	ex.Shutdown()
	if len(finished) != 0 {
		t.Errorf("Map ran %v before its loop", finished)
	}
	var errs []error
	for _, err := range seq {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], fanout.ErrShutdown) {
		t.Errorf("Map after Shutdown yielded %v, want one ErrShutdown", errs)
	}

	ex2 := fanout.New(fanout.WithWorkers(5))
	defer ex2.Shutdown()
	for _, err := range fanout.Map(context.Background(), ex2, rangeSeq(0, 10), record) {
		if err != nil {
			t.Fatal(err)
		}
	}
	ex2.Shutdown()
	slices.Sort(finished)
	if !slices.Equal(finished, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("finished %v, want 0..9", finished)
	}
}

// Mirrors CPython gh-131466 (Executor.map temporarily exceeds its
// buffersize while collecting the next result) with the semantics of
// Python 3.14's buffersize after its fix: at most window inputs are taken
// from the input and not yet handed to the loop, at every moment, for Map
// and MapUnordered alike. The loop body is slow (a second of fake time), so
// everything else runs as far ahead as Map lets it before each check.
func TestThreadPool_MapBuffersizeGH131466(t *testing.T) {
	maps := map[string]func(context.Context, *fanout.Executor, iter.Seq[int], func(context.Context, int) (int, error), ...fanout.MapOption) iter.Seq2[int, error]{
		"Map": fanout.Map[int, int], "MapUnordered": fanout.MapUnordered[int, int],
	}
	for name, mapFn := range maps {
		for _, window := range []int{1, 2, 5} {
			t.Run(fmt.Sprintf("%s/window=%d", name, window), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					ex := fanout.New(fanout.WithWorkers(8))
					defer ex.Shutdown()
					var pulled, started atomic.Int64
					endless := func(yield func(int) bool) {
						for i := 0; ; i++ {
							pulled.Add(1)
							if !yield(i) {
								return
							}
						}
					}
					yielded := int64(0)
					for _, err := range mapFn(t.Context(), ex, endless, func(_ context.Context, i int) (int, error) {
						started.Add(1)
						return i, nil
					}, fanout.WithWindow(window)) {
						if err != nil {
							t.Fatal(err)
						}
						yielded++ // handed to this loop: no longer in the window
						time.Sleep(time.Second)
						if ahead := pulled.Load() - yielded; ahead > int64(window) {
							t.Fatalf("after %d results: %d inputs taken and not yet yielded (%d tasks started), window %d",
								yielded, ahead, started.Load(), window)
						}
						if yielded == 20 {
							break
						}
					}
				})
			})
		}
	}
}

// Mirrors test_thread_pool.py ThreadPoolExecutorTest.test_default_workers:
// New() runs DefaultWorkers tasks at once, and no more.
func TestThreadPool_DefaultWorkers(t *testing.T) {
	ex := fanout.New()
	defer ex.Shutdown()
	gate := make(chan struct{})
	defer close(gate)
	var started sync.WaitGroup
	started.Add(defaultWorkers)
	for range defaultWorkers {
		ex.Go(context.Background(), func(context.Context) error { started.Done(); <-gate; return nil })
	}
	extra := gated(ex, gate, 0)
	started.Wait()
	if s := ex.Stats(); s.Workers != defaultWorkers || s.Running != defaultWorkers {
		t.Errorf("Workers %d, Running %d; want %d", s.Workers, s.Running, defaultWorkers)
	}
	if s := extra.State(); s != fanout.Pending {
		t.Errorf("task %d is %v, want pending", defaultWorkers+1, s)
	}
}

// Mirrors test_thread_pool.py ThreadPoolExecutorTest.test_saturation. The
// queue is sized for the 60 tasks (Python's is unbounded).
func TestThreadPool_Saturation(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(4), fanout.WithQueueSize(15*4))
	defer ex.Shutdown()
	sem := make(chan struct{})
	var started atomic.Int32
	fourStarted := make(chan struct{})
	for range 15 * 4 {
		ex.Go(context.Background(), func(context.Context) error {
			if started.Add(1) == 4 {
				close(fourStarted)
			}
			<-sem
			return nil
		})
	}
	<-fourStarted
	if s := ex.Stats(); s.Workers != 4 || s.Running != 4 || s.Queued != 56 {
		t.Errorf("saturated: Workers %d, Running %d, Queued %d; want 4, 4, 56", s.Workers, s.Running, s.Queued)
	}
	close(sem)
	ex.Shutdown()
	if s := ex.Stats(); s.Completed != 60 {
		t.Errorf("Completed %d, want 60", s.Completed)
	}
}

// Mirrors test_thread_pool.py ThreadPoolExecutorTest.test_idle_thread_reuse.
// Python needs the GIL to be sure the idle thread is waiting again before the
// next submit (gh-117344); synctest.Wait makes sure here.
func TestThreadPool_IdleThreadReuse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New()
		defer ex.Shutdown()
		for _, c := range [][2]int{{21, 2}, {6, 7}, {3, 14}} {
			if v, err := fanout.Submit(context.Background(), ex, value(c[0]*c[1], nil)).Result(t.Context()); v != 42 || err != nil {
				t.Fatal(v, err)
			}
			synctest.Wait() // the worker is idle again
		}
		if w := ex.Stats().Workers; w != 1 {
			t.Errorf("%d workers for three sequential tasks, want 1", w)
		}
	})
}

// Mirrors test_thread_pool.py ThreadPoolExecutorTest.test_executor_map_current_future_cancel:
// a Map that times out yields the deadline error, and the inputs it had
// taken never run. Deliberate difference: the timeout is yielded as
// (zero, ctx.Err()) instead of raised. Python uses timeout=0; the second
// case uses a deadline that passes while Map waits.
func TestThreadPool_ExecutorMapCurrentFutureCancel(t *testing.T) {
	for _, timeout := range []time.Duration{0, 10 * time.Millisecond} {
		t.Run("timeout="+timeout.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				stop := make(chan struct{})
				var mu sync.Mutex
				var logged []string
				logNWait := func(_ context.Context, ident string) (int, error) {
					mu.Lock()
					logged = append(logged, ident+" started")
					mu.Unlock()
					<-stop
					mu.Lock()
					logged = append(logged, ident+" stopped")
					mu.Unlock()
					return 0, nil
				}
				pool := fanout.New(fanout.WithWorkers(1))
				defer pool.Shutdown()
				fut := fanout.Submit(context.Background(), pool, func(ctx context.Context) (int, error) { return logNWait(ctx, "first") })

				ctx, cancel := context.WithTimeout(t.Context(), timeout)
				defer cancel()
				var errs []error
				for _, err := range fanout.Map(ctx, pool, slices.Values([]string{"second", "third"}), logNWait) {
					errs = append(errs, err)
					break // contextlib.closing(gen) after the first next()
				}
				close(stop)
				if _, err := fut.Result(t.Context()); err != nil {
					t.Fatal(err)
				}
				pool.Shutdown()
				if len(errs) != 1 || !errors.Is(errs[0], context.DeadlineExceeded) {
					t.Errorf("Map yielded errors %v, want DeadlineExceeded first", errs)
				}
				if want := []string{"first started", "first stopped"}; !slices.Equal(logged, want) {
					t.Errorf("log %q, want %q", logged, want)
				}
			})
		})
	}
}

// --- ExecutorTest (executor.py), run by ThreadPoolExecutorTest ---

// Mirrors executor.py ExecutorTest.test_submit.
func TestThreadPool_Submit(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	if v, err := fanout.Submit(context.Background(), ex, value(1<<8, nil)).Result(context.Background()); v != 256 || err != nil {
		t.Errorf("pow(2, 8) = %v, %v", v, err)
	}
}

func intPow(_ context.Context, x int) (int, error) {
	r := 1
	for range x {
		r *= x
	}
	return r, nil
}

// Mirrors executor.py ExecutorTest.test_map. Window stands in for
// chunksize=3, the closest knob fanout has.
func TestThreadPool_Map(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	var want []int
	for i := range 10 {
		v, _ := intPow(context.Background(), i)
		want = append(want, v)
	}
	for _, opts := range [][]fanout.MapOption{nil, {fanout.WithWindow(3)}} {
		var got []int
		for v, err := range fanout.Map(context.Background(), ex, rangeSeq(0, 10), intPow, opts...) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		if !slices.Equal(got, want) {
			t.Errorf("Map(pow) with %d options = %v, want %v", len(opts), got, want)
		}
	}
}

// Mirrors executor.py ExecutorTest.test_map_exception. Deliberate
// difference: Python's iterator stops at the exception; Map yields each
// result with its error and goes on.
func TestThreadPool_MapException(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	divisors := []int{2, 3, 0, 5}
	type res struct {
		q   int
		err error
	}
	var got []res
	for q, err := range fanout.Map(context.Background(), ex, slices.Values(divisors), func(_ context.Context, d int) (int, error) {
		if d == 0 {
			return 0, errDivZero
		}
		return 1 / d, nil
	}) {
		got = append(got, res{q, err})
	}
	want := []res{{0, nil}, {0, nil}, {0, errDivZero}, {0, nil}}
	if !slices.Equal(got, want) {
		t.Errorf("Map(divmod) = %v, want %v", got, want)
	}
}

// Mirrors executor.py ExecutorTest.test_map_timeout: sleeps of 0, 0 and 6 s
// with a 5 s timeout give two results, then the deadline error, then stop.
// The second case has no Python counterpart (Python's map reads its whole
// input first): the deadline passes while Map waits for its input, which
// Map's doc covers too ("If ctx ends, Map yields (zero, ctx's error) once").
func TestThreadPool_MapTimeout(t *testing.T) {
	run := func(t *testing.T, inputs func(func(int) bool), wantResults []int) {
		synctest.Test(t, func(t *testing.T) {
			ex := fanout.New(fanout.WithWorkers(5))
			defer ex.Shutdown()
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			var results []int
			var errs []error
			for v, err := range fanout.Map(ctx, ex, inputs, func(_ context.Context, s int) (int, error) {
				time.Sleep(time.Duration(s) * time.Second)
				return s, nil
			}) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				results = append(results, v)
			}
			if !slices.Equal(results, wantResults) {
				t.Errorf("results %v, want %v", results, wantResults)
			}
			if len(errs) != 1 || !errors.Is(errs[0], context.DeadlineExceeded) {
				t.Errorf("errors %v, want one DeadlineExceeded", errs)
			}
		})
	}
	t.Run("slow task", func(t *testing.T) {
		run(t, slices.Values([]int{0, 0, 6}), []int{0, 0})
	})
	t.Run("slow input", func(t *testing.T) {
		run(t, func(yield func(int) bool) {
			for range 2 {
				if !yield(0) {
					return
				}
			}
			time.Sleep(10 * time.Second) // past the deadline
			yield(0)
		}, []int{0, 0})
	})
}

// Mirrors executor.py ExecutorTest.test_shutdown_race_issue12456: Shutdown
// right after a Map over more inputs than workers (here one whose loop ended
// early) does not hang.
func TestThreadPool_ShutdownRaceIssue12456(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(5))
		defer ex.Shutdown()
		var first string
		for s, err := range fanout.Map(t.Context(), ex, slices.Values(slices.Repeat([]int{2}, 5+1)),
			func(_ context.Context, n int) (string, error) { return strconv.Itoa(n), nil }) {
			if err != nil {
				t.Fatal(err)
			}
			first = s
			break
		}
		ex.Shutdown()
		if first != "2" {
			t.Errorf("first result %q, want \"2\"", first)
		}
		if s := ex.Stats(); s.Workers != 0 || s.Running != 0 {
			t.Errorf("after Shutdown: %+v", s)
		}
	})
}

type myObject struct{ payload [64]byte }

func (o *myObject) myMethod() { o.payload[0]++ }

// Mirrors executor.py ExecutorTest.test_no_stale_references (issue 16284):
// once a discarded future's task has run, the executor keeps nothing of it.
func TestThreadPool_NoStaleReferences(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	wp := func() weak.Pointer[myObject] {
		obj := &myObject{}
		fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { obj.myMethod(); return 0, nil }) // future discarded
		return weak.Make(obj)
	}()
	// The only worker runs this after it is completely done with the first.
	if _, err := fanout.Submit(context.Background(), ex, value(0, nil)).Result(context.Background()); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	if wp.Value() != nil {
		t.Error("the executor still references a finished task's closure")
	}
}

// Mirrors executor.py ExecutorTest.test_no_stale_references (bpo-16284)
// for a future the caller keeps, which Python's test does not need (a
// Python future never holds its function): once a task has run, or was
// cancelled before it could, its future no longer holds the function, so
// what the closure captured can be collected while the future lives on.
func TestThreadPool_NoStaleReferencesFutureKept(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	gate := make(chan struct{})
	blocker := gated(ex, gate, 0) // holds the worker, so the second task stays pending
	collected := make(chan string, 2)
	var ran, cancelled *fanout.Future[int]
	func() {
		a, b := &myObject{}, &myObject{}
		runtime.AddCleanup(a, func(s string) { collected <- s }, "ran")
		runtime.AddCleanup(b, func(s string) { collected <- s }, "cancelled")
		ran = fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { a.myMethod(); return 1, nil })
		cancelled = fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { b.myMethod(); return 2, nil })
	}()
	if !cancelled.Cancel() {
		t.Fatal("Cancel of a pending future returned false")
	}
	close(gate)
	if _, err := blocker.Result(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v, err := ran.Result(context.Background()); v != 1 || err != nil {
		t.Fatal(v, err)
	}
	seen := map[string]bool{}
	for range 100 {
		runtime.GC()
		select {
		case s := <-collected:
			seen[s] = true
		case <-time.After(10 * time.Millisecond):
		}
		if len(seen) == 2 {
			break
		}
	}
	if !seen["ran"] || !seen["cancelled"] {
		t.Errorf("captures collected: %v; a finished or cancelled future still holds its closure", seen)
	}
	runtime.KeepAlive(ran)
	runtime.KeepAlive(cancelled)
}

// Mirrors executor.py ExecutorTest.test_max_workers_negative.
func TestThreadPool_MaxWorkersNegative(t *testing.T) {
	for _, n := range []int{0, -1} {
		func() {
			defer func() {
				v := recover()
				if s, _ := v.(string); !strings.Contains(s, "WithWorkers needs n >= 1") {
					t.Errorf("New(WithWorkers(%d)) panicked with %v", n, v)
				}
			}()
			ex := fanout.New(fanout.WithWorkers(n))
			ex.Shutdown()
			t.Errorf("New(WithWorkers(%d)) did not panic", n)
		}()
	}
}

// Mirrors executor.py ExecutorTest.test_free_reference (issue 14406): Map
// keeps no reference to a result it has yielded.
func TestThreadPool_FreeReference(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(5))
	defer ex.Shutdown()
	n := 0
	for obj, err := range fanout.Map(context.Background(), ex, rangeSeq(0, 10),
		func(context.Context, int) (*myObject, error) { return &myObject{}, nil }) {
		if err != nil {
			t.Fatal(err)
		}
		wr := weak.Make(obj)
		obj = nil
		runtime.GC()
		if wr.Value() != nil {
			t.Errorf("result %d still referenced after it was yielded", n)
		}
		n++
	}
	if n != 10 {
		t.Errorf("%d results, want 10", n)
	}
}
