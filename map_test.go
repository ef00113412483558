package fanout_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fanout-dev/fanout"
)

// count yields 0, 1, 2, ... n-1 (n < 0: forever) and counts what was pulled.
func count(n int, pulled *atomic.Int64) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; n < 0 || i < n; i++ {
			if pulled != nil {
				pulled.Add(1)
			}
			if !yield(i) {
				return
			}
		}
	}
}

func TestMapInInputOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(8))
		defer ex.Shutdown()
		var got []int
		// Later inputs finish first, so order must come from Map, not luck.
		for v, err := range fanout.Map(context.Background(), ex, count(100, nil), func(_ context.Context, i int) (int, error) {
			time.Sleep(time.Duration(100-i) * time.Millisecond)
			return i * 10, nil
		}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		if len(got) != 100 {
			t.Fatalf("%d results", len(got))
		}
		for i, v := range got {
			if v != i*10 {
				t.Fatalf("result %d = %d: out of order", i, v)
			}
		}
	})
}

// Map pulls inputs only as results are yielded: an endless input runs in
// bounded memory (Python's map reads it all first: bpo-29842).
func TestMapIsLazyOnEndlessInput(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(4))
	defer ex.Shutdown()
	const window = 16
	var pulled atomic.Int64
	yielded := 0
	for v, err := range fanout.Map(context.Background(), ex, count(-1, &pulled), func(_ context.Context, i int) (int, error) { return i, nil }, fanout.WithWindow(window)) {
		if err != nil || v != yielded {
			t.Fatalf("result %d = %d, %v", yielded, v, err)
		}
		yielded++
		// Taken but not yet yielded: at most the window.
		if ahead := pulled.Load() - int64(yielded); ahead > window {
			t.Fatalf("Map pulled %d inputs ahead of the consumer; window is %d", ahead, window)
		}
		if yielded == 20000 {
			break
		}
	}
}

// Breaking out of a Map cancels what is outstanding and leaves nothing
// running; goleak (TestMain) checks no goroutine is left.
func TestMapBreakCancelsOutstanding(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(4))
	defer ex.Shutdown()
	var cancelled, running atomic.Int32
	running1 := make(chan struct{})
	for v := range fanout.Map(context.Background(), ex, count(-1, nil), func(ctx context.Context, i int) (int, error) {
		if i == 0 {
			return 0, nil
		}
		if running.Add(1) == 1 {
			close(running1)
		}
		<-ctx.Done() // every task but the first waits for cancellation
		cancelled.Add(1)
		return i, ctx.Err()
	}) {
		if v != 0 {
			t.Fatalf("got %d", v)
		}
		// Break with a task running, not merely queued: nothing says one
		// has started by the time the first result is yielded.
		<-running1
		break
	}
	ex.Shutdown() // returns only once the cancelled tasks have returned
	if cancelled.Load() == 0 {
		t.Fatal("no running task saw its context cancelled")
	}
}

func TestMapContextCancelEndsTheLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(2))
		defer ex.Shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		var results, errs int
		var last error
		for _, err := range fanout.Map(ctx, ex, count(-1, nil), func(ctx context.Context, i int) (int, error) {
			select {
			case <-time.After(100 * time.Millisecond):
				return i, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}) {
			if err != nil {
				errs++
				last = err
				continue
			}
			results++
		}
		// With 2 workers, 2 results land at 100 ms; the rest hit the deadline.
		if results != 2 || errs != 1 || !errors.Is(last, context.DeadlineExceeded) {
			t.Fatalf("results=%d errs=%d last=%v; want 2 results then one DeadlineExceeded", results, errs, last)
		}
	})
}

func TestMapKeepsValueReturnedWithError(t *testing.T) {
	ex := fanout.New()
	defer ex.Shutdown()
	in := slices.Values([]string{"a", "bad", "c"})
	var got []string
	for v, err := range fanout.Map(context.Background(), ex, in, func(_ context.Context, s string) (string, error) {
		if s == "bad" {
			return s, errors.New("rejected")
		}
		return s, nil
	}) {
		got = append(got, fmt.Sprintf("%s:%v", v, err))
	}
	want := []string{"a:<nil>", "bad:rejected", "c:<nil>"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestMapAfterShutdownYieldsTheError(t *testing.T) {
	ex := fanout.New()
	ex.Shutdown()
	n := 0
	for _, err := range fanout.Map(context.Background(), ex, count(10, nil), func(_ context.Context, i int) (int, error) { return i, nil }) {
		if !errors.Is(err, fanout.ErrShutdown) {
			t.Fatalf("err = %v", err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d results from a shut-down executor; want one error", n)
	}
}

func TestMapUnorderedYieldsEveryResultAsItCompletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(10))
		defer ex.Shutdown()
		var got []int
		for v, err := range fanout.MapUnordered(context.Background(), ex, count(10, nil), func(_ context.Context, i int) (int, error) {
			time.Sleep(time.Duration(10-i) * time.Second)
			return i, nil
		}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		want := []int{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}
		if !slices.Equal(got, want) {
			t.Fatalf("got %v, want completion order %v", got, want)
		}
	})
}

func TestMapUnorderedBoundedAndBreakable(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(4))
	defer ex.Shutdown()
	const window = 8
	var pulled atomic.Int64
	seen := map[int]bool{}
	for v, err := range fanout.MapUnordered(context.Background(), ex, count(-1, &pulled), func(_ context.Context, i int) (int, error) { return i, nil }, fanout.WithWindow(window)) {
		if err != nil || seen[v] {
			t.Fatalf("%d: %v (duplicate=%v)", v, err, seen[v])
		}
		seen[v] = true
		if ahead := pulled.Load() - int64(len(seen)); ahead > window {
			t.Fatalf("pulled %d ahead with window %d", ahead, window)
		}
		if len(seen) == 5000 {
			break
		}
	}
}

func TestMapUnorderedExactCount(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(3))
	defer ex.Shutdown()
	sum, n := 0, 0
	for v, err := range fanout.MapUnordered(context.Background(), ex, count(1000, nil), func(_ context.Context, i int) (int, error) { return i, nil }, fanout.WithWindow(5)) {
		if err != nil {
			t.Fatal(err)
		}
		sum += v
		n++
	}
	if n != 1000 || sum != 999*1000/2 {
		t.Fatalf("n=%d sum=%d", n, sum)
	}
}

// A Map inside a task of the same executor, with every worker busy, still
// finishes: the worker helps while it waits.
func TestMapInsideATaskOfTheSameExecutor(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(2), fanout.WithQueueSize(1))
	defer ex.Shutdown()
	var outer []*fanout.Future[int]
	for range 2 { // both workers run an outer task
		outer = append(outer, fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) {
			sum := 0
			for v, err := range fanout.Map(ctx, ex, count(50, nil), func(_ context.Context, i int) (int, error) { return i, nil }) {
				if err != nil {
					return 0, err
				}
				sum += v
			}
			return sum, nil
		}))
	}
	for _, f := range outer {
		if v, err := f.Result(context.Background()); err != nil || v != 49*50/2 {
			t.Fatalf("got %d, %v", v, err)
		}
	}
}

// A nil input sequence is a programming error: Map and MapUnordered panic in
// the caller with a clear message, instead of crashing the process from
// Map's own input goroutine, where nobody can recover.
func TestMapNilInputPanicsInTheCaller(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(2))
	defer ex.Shutdown()
	fn := func(_ context.Context, i int) (int, error) { return i, nil }
	for name, m := range map[string]func() iter.Seq2[int, error]{
		"Map":          func() iter.Seq2[int, error] { return fanout.Map(context.Background(), ex, nil, fn) },
		"MapUnordered": func() iter.Seq2[int, error] { return fanout.MapUnordered(context.Background(), ex, nil, fn) },
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, "nil input") {
					t.Errorf("%s(nil inputs) panicked with %q, want a message about the nil input", name, msg)
				}
			}()
			for range m() {
			}
		}()
	}
}

// When Map's context ends, the error Map yields matches ErrContextDone; a
// task that failed with its own deadline does not, though both match
// context.DeadlineExceeded.
func TestMapContextEndIsDistinguishable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(2))
		defer ex.Shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var errs []error
		for _, err := range fanout.Map(ctx, ex, count(-1, nil), func(ctx context.Context, i int) (int, error) {
			if i == 0 { // a task with a deadline of its own, which passes
				tctx, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				<-tctx.Done()
				return 0, tctx.Err()
			}
			<-ctx.Done()
			return 0, ctx.Err()
		}) {
			errs = append(errs, err)
		}
		if len(errs) != 2 {
			t.Fatalf("errors %v, want the task's, then Map's", errs)
		}
		own, end := errs[0], errs[1]
		if !errors.Is(own, context.DeadlineExceeded) || errors.Is(own, fanout.ErrContextDone) {
			t.Errorf("the task's own deadline: %v; want DeadlineExceeded, not ErrContextDone", own)
		}
		if !errors.Is(end, context.DeadlineExceeded) || !errors.Is(end, fanout.ErrContextDone) {
			t.Errorf("Map's context ending: %v; want DeadlineExceeded and ErrContextDone", end)
		}
	})
}

// ShutdownNow reaches the tasks of a running Map (they run on Map's own
// context, through the hook Map registers): the running ones see their
// context canceled, the queued ones never run, and the Map yields the
// outcome of what ran, then stops with an error.
func TestShutdownNowReachesMapTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(2))
		started := make(chan struct{}, 2)
		var ran atomic.Int32
		go func() {
			<-started
			<-started
			ex.ShutdownNow()
		}()
		var errs []error
		for _, err := range fanout.Map(context.Background(), ex, count(-1, nil), func(ctx context.Context, i int) (int, error) {
			ran.Add(1)
			started <- struct{}{}
			<-ctx.Done()
			return i, context.Cause(ctx)
		}, fanout.WithWindow(8)) {
			errs = append(errs, err)
		}
		if ran.Load() != 2 {
			t.Errorf("%d tasks ran; want the 2 running when ShutdownNow came, and no queued one", ran.Load())
		}
		if len(errs) < 2 || !errors.Is(errs[0], fanout.ErrCanceled) || !errors.Is(errs[1], fanout.ErrCanceled) {
			t.Fatalf("errors %v; want the two tasks' own (their context's cause, ErrCanceled) first", errs)
		}
		last := errs[len(errs)-1]
		if !errors.Is(last, fanout.ErrCanceled) && !errors.Is(last, fanout.ErrShutdown) {
			t.Errorf("Map ended with %v; want ErrCanceled or ErrShutdown", last)
		}
		ex.Shutdown()
	})
}

// Map's tasks run on Map's own context: asking for its Done channel (as
// net/http does) builds no cancelable context per input.
func TestMapTaskContextCostsNothingPerInput(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(4))
	defer ex.Shutdown()
	const n = 2000
	run := func() {
		for range fanout.Map(context.Background(), ex, count(n, nil), func(ctx context.Context, i int) (int, error) {
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			default:
				return i, nil
			}
		}, fanout.WithWindow(64)) {
		}
	}
	run() // the window's tasks are made once per Map; warm the executor too
	if per := testing.AllocsPerRun(5, run) / n; per > 0.1 {
		t.Errorf("%.2f allocations per input with a task calling ctx.Done(); want none", per)
	}
}

// ShutdownNow while a Map runs: the tasks that were running return with
// their own outcome (done means the task has returned) and are yielded,
// in both orders, and the cancellation of the queued ones comes once,
// last. (MapUnordered used to stop at the first canceled task, before the
// running ones had returned, and their results were lost.)
func TestMapShutdownNowYieldsRunningTasks(t *testing.T) {
	for _, ordered := range []bool{true, false} {
		ex := fanout.New(fanout.WithWorkers(2))
		started := make(chan int, 4)
		errStopped := errors.New("stopped by its context")
		fn := func(ctx context.Context, i int) (int, error) {
			started <- i
			<-ctx.Done()
			return i, errStopped
		}
		go func() {
			<-started
			<-started // both workers busy
			// and inputs 3 and 4 queued: Map's input goroutine may not
			// have got to them yet (then Map yields ErrShutdown for
			// them, not ErrCanceled: 3 runs in 300 failed so).
			for ex.Stats().Submitted < 4 {
				runtime.Gosched()
			}
			ex.ShutdownNow()
		}()
		seq := fanout.MapUnordered(context.Background(), ex, slices.Values([]int{1, 2, 3, 4}), fn)
		if ordered {
			seq = fanout.Map(context.Background(), ex, slices.Values([]int{1, 2, 3, 4}), fn)
		}
		var got []int
		var last error
		n := 0
		for v, err := range seq {
			n++
			if errors.Is(err, errStopped) {
				got = append(got, v)
				continue
			}
			last = err
		}
		slices.Sort(got)
		if !slices.Equal(got, []int{1, 2}) || !errors.Is(last, fanout.ErrCanceled) || n != 3 {
			t.Errorf("ordered=%v: running tasks yielded %v, then %v, %d yields; want [1 2] with their own error, then ErrCanceled once", ordered, got, last, n)
		}
	}
}
