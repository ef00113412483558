package fanout_test

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout-dev/fanout"
)

// reported runs garbage collections until report has something, or fails.
func reported(t *testing.T, report <-chan error) error {
	t.Helper()
	for range 500 {
		runtime.GC()
		select {
		case err := <-report:
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("nothing was reported")
	return nil
}

// An Executor dropped without Shutdown is reported, and shut down: its
// workers stop (goleak) and its Local values are closed (issue 22.5: they
// leaked silently). Python's ThreadPoolExecutor joins its threads at
// interpreter exit (threading._register_atexit); Go has no such hook, so the
// garbage collector's cleanup is where we learn of it.
func TestExecutorCollectedWithoutShutdownIsReported(t *testing.T) {
	report := make(chan error, 4)
	var closed atomic.Int32
	l := fanout.NewLocal(func(context.Context) (int, error) { return 1, nil }, func(int) { closed.Add(1) })
	func() {
		ex := fanout.New(fanout.WithWorkers(2), fanout.WithLocal(l), fanout.WithUnobservedErrorHandler(func(err error) { report <- err }))
		if err := ex.Go(context.Background(), func(ctx context.Context) error { l.Get(ctx); return nil }).Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}()
	if err := reported(t, report); !errors.Is(err, fanout.ErrNotShutDown) || !strings.Contains(err.Error(), "workers alive: 1") {
		t.Fatalf("reported %v; want ErrNotShutDown naming its 1 worker", err)
	}
	for deadline := time.Now().Add(10 * time.Second); closed.Load() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the Local value was never closed")
		}
	}
	// One shut down properly and then dropped says nothing.
	func() {
		ex := fanout.New(fanout.WithUnobservedErrorHandler(func(err error) { report <- err }))
		ex.Go(context.Background(), func(context.Context) error { return nil }).Wait(context.Background())
		ex.Shutdown()
	}()
	for range 5 {
		runtime.GC()
	}
	select {
	case err := <-report:
		t.Fatalf("a shut down executor was reported: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
}

// ex.Go after Shutdown, its future dropped, is reported like any unread
// error (issue 22.5: it was lost silently); refused by the caller's own
// context, it is not.
func TestGoAfterShutdownIsReported(t *testing.T) {
	report := make(chan error, 4)
	ex := fanout.New(fanout.WithUnobservedErrorHandler(func(err error) { report <- err }))
	ex.Shutdown()
	func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ex.Go(ctx, func(context.Context) error { return nil })
		ex.Go(context.Background(), func(context.Context) error { return nil })
	}()
	if err := reported(t, report); !errors.Is(err, fanout.ErrShutdown) || errors.Is(err, fanout.ErrContextDone) {
		t.Fatalf("reported %v; want the ErrShutdown refusal", err)
	}
	for range 5 {
		runtime.GC()
	}
	select {
	case err := <-report:
		t.Fatalf("also reported %v", err)
	case <-time.After(50 * time.Millisecond):
	}
}

// The default report of a panic nobody read carries its stack (issue 22.5).
func TestUnobservedPanicIsLoggedWithItsStack(t *testing.T) {
	logged := make(chan string, 4)
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(lineWriter(logged), nil)))
	ex := fanout.New()
	func() {
		<-ex.Go(context.Background(), func(context.Context) error { panic("the bug") }).Done()
	}()
	ex.Shutdown() // reported by now, or by the garbage collector's cleanup soon
	var out string
	for range 500 {
		select {
		case out = <-logged:
			if !strings.Contains(out, "the bug") {
				continue // another test's leftover
			}
		case <-time.After(10 * time.Millisecond):
			runtime.GC()
			continue
		}
		break
	}
	if !strings.Contains(out, "the bug") || !strings.Contains(out, "stack=") || !strings.Contains(out, "TestUnobservedPanicIsLoggedWithItsStack") {
		t.Fatalf("log %q: want the panic with its stack", out)
	}
}

// lineWriter sends each write (one log record) on the channel, if it has room.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	select {
	case w <- string(p):
	default: // never block the logger (the cleanup goroutine, say)
	}
	return len(p), nil
}
