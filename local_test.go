package fanout_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fanout-dev/fanout"
)

// Workers whose per-worker value is slow to build come up together: a worker
// still building its value is not one that will take the next task, so the
// next submit starts another. 8 workers whose constructor takes 300 ms, 8
// tasks of 100 ms: 400 ms, 8 values, as Python's threads start together
// (issue 22.2: 0.93 s with 3 workers ever started). Adapted from CPython's
// test_deadlock.py gh-105829 case (a bounded queue fed faster than workers
// come up must not stall).
func TestSlowLocalsStartTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var built atomic.Int32
		l := fanout.NewLocal(func(context.Context) (int, error) {
			time.Sleep(300 * time.Millisecond)
			return int(built.Add(1)), nil
		}, nil)
		ex := fanout.New(fanout.WithWorkers(8), fanout.WithLocal(l))
		defer ex.Shutdown()
		start := time.Now()
		var futs []*fanout.Future[struct{}]
		for range 8 {
			futs = append(futs, ex.Go(context.Background(), func(ctx context.Context) error {
				l.Get(ctx)
				time.Sleep(100 * time.Millisecond)
				return nil
			}))
		}
		for _, f := range futs {
			if err := f.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if took := time.Since(start); took != 400*time.Millisecond || built.Load() != 8 {
			t.Fatalf("took %v with %d values built; want 400ms and 8", took, built.Load())
		}
	})
}

// Local values are one per worker alive, not one per worker ever started:
// the extra workers that run while tasks wait on their own executor come
// and go, and a new one takes the value a retired one left rather than
// build another. So the values built are at most the most workers alive at
// once (the ids, which are reused, never go above it): the bound, plus one
// per task waiting at the time (issue 22.7: WithWorkers(2) built 10 values
// where 4 workers at most were alive).
func TestLocalValuesOnePerWorkerAlive(t *testing.T) {
	var built, closed atomic.Int32
	l := fanout.NewLocal(func(context.Context) (int, error) { return int(built.Add(1)), nil }, func(int) { closed.Add(1) })
	ex := fanout.New(fanout.WithWorkers(2), fanout.WithLocal(l))
	var maxID atomic.Int32
	var tree func(ctx context.Context, depth int) (int, error)
	tree = func(ctx context.Context, depth int) (int, error) {
		l.Get(ctx)
		if id := int32(fanout.WorkerID(ctx)); id > maxID.Load() {
			for m := maxID.Load(); id > m && !maxID.CompareAndSwap(m, id); m = maxID.Load() {
			}
		}
		if depth == 0 {
			return 1, nil
		}
		var fs []*fanout.Future[int]
		for range 2 {
			fs = append(fs, fanout.Submit(ctx, ex, func(ctx context.Context) (int, error) { return tree(ctx, depth-1) }))
		}
		return sum(ctx, fs)
	}
	for range 20 {
		if n, err := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) { return tree(ctx, 3) }).Result(context.Background()); n != 8 || err != nil {
			t.Fatalf("tree: %d, %v", n, err)
		}
	}
	ex.Shutdown()
	if b, m := built.Load(), maxID.Load(); b > m {
		t.Errorf("%d values built for at most %d workers alive at once", b, m)
	}
	if built.Load() != closed.Load() {
		t.Errorf("%d values built, %d closed", built.Load(), closed.Load())
	}
}
