package fanout_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/fanout-dev/fanout"
)

// Submit accepts as many tasks as the bound plus the queue size before it
// waits, whether or not the workers have taken theirs yet, and a waiting
// Submit returns as soon as a task ends: the room is the bound plus the
// queue, never "when the queue is half empty" (issue 22.1: 8 of 2+8 were
// accepted, and a blocked Submit stayed blocked while Stats showed room).
// CPython's bounded queues (queue.Queue.put) wake a waiting producer on every
// get; the hysteresis was ours alone.
func TestSubmitTakesTheFirstFreeSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(2)) // default queue: 4 per worker, 8
		defer ex.Shutdown()
		release := make(chan struct{})
		defer close(release)
		task := func(context.Context) error { <-release; return nil }
		var accepted atomic.Int32
		go func() {
			for range 13 {
				ex.Go(context.Background(), task)
				accepted.Add(1)
			}
		}()
		n := 0
		count := func() {
			synctest.Wait()
			n = int(accepted.Load())
		}
		count()
		if n != 10 {
			t.Fatalf("%d tasks accepted before Submit waited; want 10 (2 running + 8 queued)", n)
		}
		for want := 11; want <= 13; want++ {
			release <- struct{}{} // one task ends: one slot frees
			count()
			if n != want {
				t.Fatalf("after %d tasks ended, %d accepted; want %d (Stats %+v)", want-10, n, want, ex.Stats())
			}
		}
	})
}
