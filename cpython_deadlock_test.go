package fanout_test

// Ports of CPython's Lib/test/test_concurrent_futures/test_deadlock.py; see
// cpython_test.go for the conventions and the skipped cases.

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"testing/synctest"

	"github.com/fanout-dev/fanout"
)

// test_deadlock.py: the ExecutorDeadlockTest cases that are not about
// processes or pickling, with a panic for a crash and runtime.Goexit for
// sys.exit. The executor must report the failure and keep working.

// Mirrors test_deadlock.py ExecutorDeadlockTest.test_error_during_func_exec_on_worker.
func TestDeadlock_ErrorDuringFuncExecOnWorker(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(2))
	defer ex.Shutdown()
	errRuntime := errors.New("RuntimeError")
	if err := fanout.Submit(context.Background(), ex, value(0, errRuntime)).Wait(context.Background()); !errors.Is(err, errRuntime) {
		t.Errorf("Err = %v, want %v", err, errRuntime)
	}
	if v, err := fanout.Submit(context.Background(), ex, value(1, nil)).Result(context.Background()); v != 1 || err != nil {
		t.Errorf("next task: %v, %v", v, err)
	}
}

// Mirrors test_deadlock.py ExecutorDeadlockTest.test_exit_during_func_exec_on_worker:
// runtime.Goexit (sys.exit) in a task gives ErrGoexit, the worker is
// replaced, and the counters are exact once the executor is idle.
func TestDeadlock_ExitDuringFuncExecOnWorker(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(1))
	defer ex.Shutdown()
	f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { runtime.Goexit(); return 0, nil })
	if err := f.Wait(context.Background()); !errors.Is(err, fanout.ErrGoexit) {
		t.Errorf("Err = %v, want ErrGoexit", err)
	}
	id, err := fanout.Submit(context.Background(), ex, func(ctx context.Context) (int, error) { return fanout.WorkerID(ctx), nil }).Result(context.Background())
	if err != nil {
		t.Fatalf("next task: %v", err)
	}
	if id != 1 {
		t.Errorf("replacement worker has WorkerID %d; documented range is 1..1", id)
	}
	ex.Shutdown()
	if s := ex.Stats(); s.Running != 0 || s.Failed != 1 || s.Completed != 1 || s.Workers != 0 {
		t.Errorf("Stats of the idle executor = %+v; want Running 0, Failed 1, Completed 1, Workers 0", s)
	}
}

// Mirrors test_deadlock.py ExecutorDeadlockTest.test_crash_during_func_exec_on_worker:
// a panic is the task's *PanicError, not a crash.
func TestDeadlock_CrashDuringFuncExecOnWorker(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(2))
	defer ex.Shutdown()
	crash := errors.New("segfault")
	err := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { panic(crash) }).Wait(context.Background())
	var pe *fanout.PanicError
	if !errors.As(err, &pe) || pe.Value != crash || !errors.Is(err, crash) || len(pe.Stack) == 0 {
		t.Errorf("Err = %v, want a *PanicError of %v with a stack", err, crash)
	}
	if v, err := fanout.Submit(context.Background(), ex, value(1, nil)).Result(context.Background()); v != 1 || err != nil {
		t.Errorf("next task: %v, %v", v, err)
	}
}

// Mirrors test_deadlock.py ExecutorDeadlockTest.test_shutdown_deadlock: a
// task that crashes after Shutdown has begun does not deadlock Shutdown,
// and its future reports the crash.
func TestDeadlock_ShutdownDeadlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := fanout.New(fanout.WithWorkers(2))
		defer ex.Shutdown()
		gate := make(chan struct{})
		f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { <-gate; panic("crash") })
		shut := make(chan struct{})
		go func() { ex.Shutdown(); close(shut) }()
		synctest.Wait() // Shutdown is waiting for the task
		if err := fanout.Submit(context.Background(), ex, value(0, nil)).Wait(t.Context()); !errors.Is(err, fanout.ErrShutdown) {
			t.Errorf("shutdown has not begun: Submit gave %v", err)
		}
		close(gate)
		<-shut
		var pe *fanout.PanicError
		if err := f.Wait(t.Context()); !errors.As(err, &pe) || pe.Value != "crash" {
			t.Errorf("Err = %v, want a *PanicError of \"crash\"", err)
		}
	})
}
