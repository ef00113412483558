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
