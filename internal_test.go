package fanout

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"unsafe"
)

// Waiting again and again on a long-lived future, as Python code does with
// `while not_done: wait(not_done, FIRST_COMPLETED)`, must not pile up
// registrations on it.
func TestWaitLeavesNoWaiterBehind(t *testing.T) {
	ex := New(WithWorkers(2))
	defer ex.Shutdown()
	release := make(chan struct{})
	slow := Submit(context.Background(), ex, func(context.Context) (int, error) { <-release; return 0, nil })
	for range 100 {
		quick := Submit(context.Background(), ex, func(context.Context) (int, error) { return 1, nil })
		if _, _, err := Wait(context.Background(), []*Future[int]{slow, quick}, FirstCompleted); err != nil {
			t.Fatal(err)
		}
		for range AsCompleted(context.Background(), []*Future[int]{quick, slow}) {
			break
		}
	}
	x := slow.x.Load()
	x.mu.Lock()
	n := len(x.waiters)
	x.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d waiters left on a future after the loops returned", n)
	}
	close(release)
}

// The future stays small: it is the one allocation a task costs (48 bytes
// is Go's size class for it; 112 and 128 before the rare fields moved out).
func TestFutureSize(t *testing.T) {
	const max = 48
	if n := unsafe.Sizeof(Future[int]{}); n > max {
		t.Fatalf("Future[int] is %d bytes, want at most %d", n, max)
	}
}

// Wait over futures that resolve one at a time examines each a constant
// number of times, not once per resolution: 40,000 futures finishing over
// 2 s cost 2.1 s of CPU when every arrival rescanned the list.
func TestWaitIsLinear(t *testing.T) {
	const n = 500
	var scanned int
	testHookWaitScanned = func(k int) { scanned += k }
	defer func() { testHookWaitScanned = nil }()
	for _, mode := range []WaitMode{AllCompleted, FirstError} {
		synctest.Test(t, func(t *testing.T) {
			scanned = 0
			ex := New(WithWorkers(1), WithQueueSize(n))
			defer ex.Shutdown()
			gates := make([]chan struct{}, n)
			var fs []*Future[int]
			for i := range n {
				gates[i] = make(chan struct{})
				fs = append(fs, Submit(context.Background(), ex, func(context.Context) (int, error) { <-gates[i]; return i, nil }))
			}
			waited := make(chan struct{})
			go func() {
				defer close(waited)
				if done, _, err := Wait(context.Background(), fs, mode); len(done) != n || err != nil {
					t.Errorf("Wait: %d done, %v", len(done), err)
				}
			}()
			for _, g := range gates { // one resolution at a time, each seen by Wait
				synctest.Wait()
				close(g)
			}
			<-waited
			if scanned > 3*n {
				t.Errorf("mode %d: Wait examined futures %d times for %d futures; want it linear", mode, scanned, n)
			}
		})
	}
}

// Absurd bounds are lowered to the documented ceilings, never wrapped: the
// bound was an int32, so 1<<32 ran nothing, 1<<32+4 ran 4 at once and 3e9
// made Map panic on a negative window (issues 21.13, 22.6).
func TestAbsurdBoundsAreClamped(t *testing.T) {
	for _, n := range []int{1 << 32, 1<<32 + 4, 3e9, MaxWorkers + 1} {
		ex := New(WithWorkers(n), WithQueueSize(n))
		if ex.max != MaxWorkers || ex.queueSize != min(n, MaxQueueSize) {
			t.Errorf("WithWorkers(%d), WithQueueSize(%d): bound %d, queue %d; want %d and %d", n, n, ex.max, ex.queueSize, MaxWorkers, min(n, MaxQueueSize))
		}
		sum := 0
		for v, err := range Map(context.Background(), ex, func(yield func(int) bool) {
			for i := range 10 {
				if !yield(i) {
					return
				}
			}
		}, func(_ context.Context, i int) (int, error) { return i, nil }) {
			if err != nil {
				t.Fatalf("WithWorkers(%d): Map: %v", n, err)
			}
			sum += v
		}
		if sum != 45 {
			t.Errorf("WithWorkers(%d): Map summed to %d, want 45", n, sum)
		}
		ex.Shutdown()
	}
	if ex := New(WithWorkers(1 << 40)); ex.queueSize != queueFactor*MaxWorkers {
		t.Errorf("WithWorkers(1<<40): default queue %d, want %d", ex.queueSize, queueFactor*MaxWorkers)
	} else {
		ex.Shutdown()
	}
}

// An ordered Map's loop, parked for input k, is woken once, by the worker
// that resolves k: not also by the input goroutine publishing k while its
// task is still queued (that wake found nothing, parked again, and cost a
// goroutine switch for every batch of inputs: issue 22's ordered Map speed).
func TestOrderedMapWakesItsLoopOncePerResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := New(WithWorkers(1))
		defer ex.Shutdown()
		gate := make(chan struct{})
		fn := func(_ context.Context, i int) (int, error) { <-gate; return i, nil }
		m := newMapRun(context.Background(), ex.executor, fn, mapConfig{window: 4}, true)
		m.waitIdx.Store(1) // the loop is parked for input 0
		published, hold := make(chan struct{}), make(chan struct{})
		go m.feedOrdered(func(yield func(int) bool) {
			if yield(0) {
				close(published)
				<-hold
			}
		})
		<-published
		synctest.Wait() // input 0's task runs, blocked in fn
		if n := len(m.wakeC); n != 0 {
			t.Errorf("the loop was woken %d times for an input whose task had not returned", n)
		}
		close(gate)
		synctest.Wait()
		if n := len(m.wakeC); n != 1 {
			t.Fatalf("the loop was woken %d times once input 0 resolved, want 1", n)
		}
		close(hold)
		m.close()
	})
}

// A worker taking a task while a submitter waits for room leaves waking
// another worker to the submitter, which does as it pushes (and as it
// leaves). With tiny tasks the worker drains the queue by itself: another
// woken for the rest of it found the queue empty and parked again, a
// goroutine switch for every queueful (issue 22's steady-state speed).
func TestTinyTasksWakeNoWorkerForNothing(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // the turns are taken on one core
	var idle atomic.Int64
	testHookIdleWake = func() { idle.Add(1) }
	defer func() { testHookIdleWake = nil }()
	ex := New(WithWorkers(6))
	const n = 20_000
	var win [256]*Future[int]
	for i := range n + len(win) {
		slot := &win[i%len(win)]
		if f := *slot; f != nil {
			if _, err := f.Result(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if i < n {
			*slot = Submit(context.Background(), ex, func(context.Context) (int, error) { return i, nil })
		}
	}
	ex.Shutdown()
	// One queueful is 30 tasks (a queue of 24 and 6 idle workers).
	if k := idle.Load(); k > n/300 {
		t.Errorf("%d workers woken for nothing while %d tiny tasks ran (about one per queueful); want at most %d", k, n, n/300)
	}
}
