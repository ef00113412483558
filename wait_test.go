package fanout_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fanout-dev/fanout"
)

// sleepy submits tasks that sleep the given durations (in the synctest
// bubble's fake time) and return them; a negative one fails.
func sleepy(ex *fanout.Executor, ds ...time.Duration) []*fanout.Future[time.Duration] {
	var fs []*fanout.Future[time.Duration]
	for _, d := range ds {
		fs = append(fs, fanout.Submit(context.Background(), ex, func(ctx context.Context) (time.Duration, error) {
			if d < 0 {
				time.Sleep(-d)
				return d, errors.New("failed")
			}
			select {
			case <-time.After(d):
				return d, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}))
	}
	return fs
}

func TestAsCompletedYieldsInCompletionOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New()
		defer ex.Shutdown()
		fs := sleepy(ex, 3*time.Second, time.Second, 2*time.Second)
		var order []time.Duration
		for f, err := range fanout.AsCompleted(context.Background(), fs) {
			if err != nil {
				t.Fatal(err)
			}
			v, _ := f.Result(context.Background())
			order = append(order, v)
		}
		if len(order) != 3 || order[0] != time.Second || order[1] != 2*time.Second || order[2] != 3*time.Second {
			t.Fatalf("order %v", order)
		}
	})
}

// The timeout of Python's as_completed(timeout=...) is observable: the loop
// yields (nil, DeadlineExceeded) once and stops.
func TestAsCompletedDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New()
		defer ex.ShutdownNow()
		fs := sleepy(ex, time.Second, time.Hour)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var got []string
		for f, err := range fanout.AsCompleted(ctx, fs) {
			switch {
			case err != nil:
				got = append(got, err.Error())
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v", err)
				}
			case f == fs[0]:
				got = append(got, "1s")
			default:
				t.Fatalf("the hour-long task came back")
			}
		}
		if len(got) != 2 || got[0] != "1s" {
			t.Fatalf("got %v; want the 1s future, then the deadline", got)
		}
	})
}

// ShutdownNow wakes an AsCompleted loop waiting on its futures: the queued
// ones are cancelled, the running one is asked to stop and yielded when it
// returns. Python hangs here (gh-109934, gh-87893).
func TestAsCompletedWokenByShutdownNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(1))
		fs := sleepy(ex, time.Hour, time.Hour, time.Hour) // one runs, two queue
		go func() {
			time.Sleep(time.Second)
			ex.ShutdownNow()
		}()
		n := 0
		for f, err := range fanout.AsCompleted(context.Background(), fs) {
			if err != nil {
				t.Fatal(err)
			}
			want := fanout.Canceled
			if f == fs[0] {
				want = fanout.Finished // the running task, which honoured its context
			}
			if f.State() != want || !errors.Is(f.Wait(context.Background()), context.Canceled) {
				t.Fatalf("future %v: %v", f.State(), f.Wait(context.Background()))
			}
			n++
		}
		if n != 3 {
			t.Fatalf("%d futures yielded", n)
		}
		ex.Shutdown()
	})
}

func TestWaitModes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Some failures here are waited on, not read: no need to report them.
		ex := fanout.New(fanout.WithUnobservedErrorHandler(nil))
		defer ex.Shutdown()
		ctx := context.Background()

		fs := sleepy(ex, time.Second, 3*time.Second, 2*time.Second)
		done, notDone, err := fanout.Wait(ctx, fs, fanout.FirstCompleted)
		if err != nil || len(done) != 1 || done[0] != fs[0] || len(notDone) != 2 {
			t.Fatalf("FirstCompleted: done=%d notDone=%d err=%v", len(done), len(notDone), err)
		}
		done, notDone, err = fanout.Wait(ctx, fs, fanout.AllCompleted)
		if err != nil || len(done) != 3 || len(notDone) != 0 {
			t.Fatalf("AllCompleted: done=%d notDone=%d err=%v", len(done), len(notDone), err)
		}

		start := time.Now()
		fs = sleepy(ex, time.Second, -2*time.Second, 5*time.Second)
		done, notDone, err = fanout.Wait(ctx, fs, fanout.FirstError)
		if err != nil || len(done) != 2 || len(notDone) != 1 || time.Since(start) != 2*time.Second {
			t.Fatalf("FirstError: done=%d notDone=%d err=%v after %v", len(done), len(notDone), err, time.Since(start))
		}
		// With no failure, FirstError waits for all.
		fs = sleepy(ex, time.Second, 2*time.Second)
		done, _, _ = fanout.Wait(ctx, fs, fanout.FirstError)
		if len(done) != 2 {
			t.Fatalf("FirstError without a failure returned %d done", len(done))
		}

		tctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		fs = sleepy(ex, 500*time.Millisecond, time.Hour)
		done, notDone, err = fanout.Wait(tctx, fs, fanout.AllCompleted)
		if !errors.Is(err, context.DeadlineExceeded) || len(done) != 1 || len(notDone) != 1 {
			t.Fatalf("timeout: done=%d notDone=%d err=%v", len(done), len(notDone), err)
		}
		notDone[0].Cancel()
	})
}

// A cancelled future does not count as an error for FirstError, as in Python.
// The future is cancelled while queued (one worker, busy for 1 s): a
// running task cannot be cancelled, its future resolves with what the task
// returns, and with both tasks running at once the test raced on which
// one the worker started first.
func TestWaitFirstErrorIgnoresCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(1))
		defer ex.Shutdown()
		start := time.Now()
		fs := sleepy(ex, time.Second, time.Hour, 2*time.Second)
		if !fs[1].Cancel() {
			t.Fatal("Cancel of a queued future returned false")
		}
		done, notDone, err := fanout.Wait(context.Background(), fs, fanout.FirstError)
		if err != nil || len(done) != 3 || len(notDone) != 0 || time.Since(start) != 3*time.Second {
			t.Fatalf("done=%d notDone=%d err=%v after %v", len(done), len(notDone), err, time.Since(start))
		}
	})
}

// Mirrors as_completed's and wait's handling of duplicates: each future once.
func TestDuplicatesYieldedOnce(t *testing.T) {
	ex := fanout.New()
	defer ex.Shutdown()
	f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return 1, nil })
	g := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return 2, nil })
	n := 0
	for range fanout.AsCompleted(context.Background(), []*fanout.Future[int]{f, g, f, f}) {
		n++
	}
	if n != 2 {
		t.Fatalf("AsCompleted yielded %d futures for 2 distinct", n)
	}
	done, _, _ := fanout.Wait(context.Background(), []*fanout.Future[int]{f, f, g}, fanout.AllCompleted)
	if len(done) != 2 {
		t.Fatalf("Wait returned %d done for 2 distinct", len(done))
	}
}

// Futures of different result types are waited on together through
// AnyFuture: Go's Future[struct{}] beside a Future[string].
func TestWaitAndAsCompletedOnMixedTypes(t *testing.T) {
	ex := fanout.New()
	defer ex.Shutdown()
	ctx := context.Background()
	saved := ex.Go(ctx, func(context.Context) error { return nil })
	title := fanout.Submit(ctx, ex, func(context.Context) (string, error) { return "Ocean", nil })
	all := []fanout.AnyFuture{saved, title}
	done, notDone, err := fanout.Wait(ctx, all, fanout.AllCompleted)
	if err != nil || len(done) != 2 || len(notDone) != 0 {
		t.Fatalf("Wait: %d done, %d not, %v", len(done), len(notDone), err)
	}
	n := 0
	for f, err := range fanout.AsCompleted(ctx, all) {
		if err != nil || f.Wait(ctx) != nil || f.State() != fanout.Finished {
			t.Fatalf("AsCompleted: %v, %v", f, err)
		}
		n++
	}
	if v, _ := title.Result(ctx); n != 2 || v != "Ocean" {
		t.Fatalf("%d yielded, title %q", n, v)
	}
}
