package fanout_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fanout-dev/fanout"
)

// State() == Canceled means the task never ran, whatever stopped it, and the
// error says what did: it matches ErrCanceled and the cause (issue 22.3: a
// task that never ran was Canceled, or Finished with ErrContextDone, or
// Finished with ErrShutdown or ErrBroken; sorting outcomes took four checks).
// Python's futures are CANCELLED only by cancel(); its other refusals raise
// from submit, which Go's Submit, returning a future always, cannot.
func TestCanceledMeansNeverRan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ran atomic.Int32
		task := func(context.Context) (int, error) { ran.Add(1); return 1, nil }
		type outcome struct {
			name  string
			f     *fanout.Future[int]
			cause []error
		}
		var cases []outcome

		// Its context ended before Submit.
		ctx, cancel := context.WithCancelCause(context.Background())
		gone := errors.New("user gave up")
		cancel(gone)
		idle := fanout.New()
		defer idle.Shutdown()
		cases = append(cases, outcome{"submit on a done context", fanout.Submit(ctx, idle, task), []error{fanout.ErrContextDone, context.Canceled, gone}})

		// Its context ended while Submit waited for room.
		ex := fanout.New(fanout.WithWorkers(1), fanout.WithQueueSize(1))
		release := make(chan struct{})
		ex.Go(context.Background(), func(context.Context) error { <-release; return nil })
		ex.Go(context.Background(), func(context.Context) error { return nil })
		dl, cancelDL := context.WithTimeout(context.Background(), time.Second)
		defer cancelDL()
		cases = append(cases, outcome{"deadline while Submit waited", fanout.Submit(dl, ex, task), []error{fanout.ErrContextDone, context.DeadlineExceeded}})

		close(release)
		ex.Shutdown()

		// Its context ended while it was queued.
		queued := fanout.New(fanout.WithWorkers(1))
		hold := make(chan struct{})
		queued.Go(context.Background(), func(context.Context) error { <-hold; return nil })
		qctx, qcancel := context.WithTimeoutCause(context.Background(), time.Second, gone)
		defer qcancel()
		cases = append(cases, outcome{"deadline while queued", fanout.Submit(qctx, queued, task), []error{context.DeadlineExceeded, gone}})
		time.Sleep(2 * time.Second)
		close(hold)
		queued.Shutdown()

		// Submitted after Shutdown.
		cases = append(cases, outcome{"after Shutdown", fanout.Submit(context.Background(), ex, task), []error{fanout.ErrShutdown}})

		// The executor broke.
		boom := errors.New("no session for you")
		broken := fanout.New(fanout.WithLocal(fanout.NewLocal(func(context.Context) (int, error) { return 0, boom }, nil)))
		cases = append(cases, outcome{"broken executor", fanout.Submit(context.Background(), broken, task), []error{fanout.ErrBroken, boom}})

		// Future.Cancel and ShutdownNow.
		now := fanout.New(fanout.WithWorkers(1))
		now.Go(context.Background(), func(ctx context.Context) error { <-ctx.Done(); return nil })
		c := fanout.Submit(context.Background(), now, task)
		c.Cancel()
		cases = append(cases, outcome{"Cancel", c, nil})
		cases = append(cases, outcome{"ShutdownNow", fanout.Submit(context.Background(), now, task), nil})
		now.ShutdownNow()

		synctest.Wait()
		for _, c := range cases {
			err := c.f.Wait(context.Background())
			if c.f.State() != fanout.Canceled || !errors.Is(err, fanout.ErrCanceled) {
				t.Errorf("%s: state %v, error %v; want canceled, matching ErrCanceled", c.name, c.f.State(), err)
			}
			for _, cause := range c.cause {
				if !errors.Is(err, cause) {
					t.Errorf("%s: error %v does not match %v", c.name, err, cause)
				}
			}
		}
		if n := ran.Load(); n != 0 {
			t.Errorf("%d of the tasks ran", n)
		}
		broken.Shutdown()
	})
}
