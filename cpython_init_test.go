package fanout_test

// Ports of CPython's Lib/test/test_concurrent_futures/test_init.py; see
// cpython_test.go for the conventions and the skipped cases.

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fanout-dev/fanout"
)

// test_init.py: Python's initializer is fanout's Local (its constructor runs
// once per worker, before the worker's first task).

// Mirrors test_init.py InitializerMixin.test_initializer: every task sees
// its worker's value already built.
func TestInit_Initializer(t *testing.T) {
	status := fanout.NewLocal(func(context.Context) (string, error) { return "initialized", nil }, nil)
	ex := fanout.New(fanout.WithWorkers(5), fanout.WithLocal(status))
	defer ex.Shutdown()
	var fs []*fanout.Future[string]
	for range 5 {
		fs = append(fs, fanout.Submit(context.Background(), ex, func(ctx context.Context) (string, error) { return status.Get(ctx), nil }))
	}
	for _, f := range fs {
		if v, err := f.Result(context.Background()); v != "initialized" || err != nil {
			t.Errorf("get_init_status() = %q, %v", v, err)
		}
	}
}

// Mirrors test_init.py FailingInitializerMixin.test_initializer: a failing
// initializer is logged ("Exception in initializer" in Python, an error
// record through log/slog here), the pending future fails with ErrBroken
// (BrokenThreadPool), and from then on every submit fails with it.
func TestInit_FailingInitializer(t *testing.T) {
	logs := captureSlog(t)
	errInit := errors.New("ValueError: error in initializer")
	fail := fanout.NewLocal(func(context.Context) (int, error) { return 0, errInit }, nil)
	ex := fanout.New(fanout.WithWorkers(2), fanout.WithLocal(fail))
	defer ex.Shutdown()
	f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return 1, nil })
	if err := f.Wait(context.Background()); !errors.Is(err, fanout.ErrBroken) || !errors.Is(err, errInit) {
		t.Errorf("future of a broken executor: %v, want ErrBroken wrapping the initializer's error", err)
	}
	if err := fanout.Submit(context.Background(), ex, value(1, nil)).Wait(expired()); !errors.Is(err, fanout.ErrBroken) {
		t.Errorf("submit to a broken executor: %v, want ErrBroken", err)
	}
	ex.Shutdown()
	out := logs.String()
	if !strings.Contains(out, "error in initializer") || !strings.Contains(out, "level=ERROR") {
		t.Errorf("the initializer's failure was not logged as an error; log: %q", out)
	}
	if n := strings.Count(out, "error in initializer"); n != 1 {
		t.Errorf("the failure was logged %d times, want once per executor", n)
	}
}
