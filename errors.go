package fanout

import (
	"context"
	"errors"
	"fmt"
)

var (
	// ErrShutdown is matched by the error of a task submitted after
	// Shutdown or ShutdownNow began (its future is Canceled).
	ErrShutdown = errors.New("fanout: executor is shut down")

	// ErrCanceled is matched by the error of every future whose task never
	// ran (State Canceled): canceled by
	// Future.Cancel, ShutdownNow or a Map whose loop ended early, stopped by
	// its context ending before it started, or refused by the executor. The
	// error matches the cause as well (ctx's error and cause, ErrShutdown,
	// ErrBroken). It wraps context.Canceled, so errors.Is(err,
	// context.Canceled) holds too.
	ErrCanceled = fmt.Errorf("fanout: future canceled: %w", context.Canceled)

	// ErrContextDone is matched by the error of a wait that ended because
	// the context given to it ended first: Result, Submit waiting for room,
	// Map, MapUnordered, AsCompleted and Wait. It
	// tells such an end from a task that failed with its own deadline: a
	// task's error never matches it. The error also wraps the context's
	// error and cause, so errors.Is(err, context.DeadlineExceeded) holds for
	// a timeout.
	ErrContextDone = errors.New("fanout: context done")

	// ErrBroken is matched by the error of every task of an executor whose
	// per-worker initialization failed; those
	// tasks never run, so their futures are Canceled. The initialization
	// error is wrapped as well.
	ErrBroken = errors.New("fanout: executor is broken")

	// ErrNotShutDown is matched by the error the unobserved-error handler
	// gets for an Executor garbage collected before Shutdown (see
	// Executor).
	ErrNotShutDown = errors.New("fanout: executor garbage collected without Shutdown")

	// ErrGoexit is the error of a task that called runtime.Goexit (for
	// example t.FailNow in a test) instead of returning.
	ErrGoexit = errors.New("fanout: task called runtime.Goexit")
)

// PanicError is the error of a task that panicked. The panic is recovered on
// the worker, so it never crashes the process; it is returned from Result like
// any other error and is matchable with errors.As.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack is the goroutine stack at the panic, as runtime/debug.Stack gives it.
	Stack []byte
}

func (p *PanicError) Error() string {
	return fmt.Sprintf("fanout: task panicked: %v", p.Value)
}

// Unwrap returns the panic value when it is an error, so that
// errors.Is(err, io.EOF) holds for a task that did panic(io.EOF).
func (p *PanicError) Unwrap() error {
	if err, ok := p.Value.(error); ok {
		return err
	}
	return nil
}

// contextDone returns the error of a wait that ctx ended.
func contextDone(ctx context.Context) error {
	return &ctxDoneError{err: ctx.Err(), cause: context.Cause(ctx)}
}

type ctxDoneError struct{ err, cause error }

func (e *ctxDoneError) Error() string { return "fanout: context done: " + e.cause.Error() }
func (e *ctxDoneError) Unwrap() []error {
	if e.cause == e.err {
		return []error{ErrContextDone, e.err}
	}
	return []error{ErrContextDone, e.err, e.cause}
}

// canceledError is the error of a future whose task never ran for a reason
// other than Cancel (its context ended, the executor refused it): it
// matches ErrCanceled, the cause and also (a context's error beside its
// cause), if set.
type canceledError struct{ cause, also error }

func (e *canceledError) Error() string { return "fanout: future canceled: " + e.cause.Error() }
func (e *canceledError) Unwrap() []error {
	if e.also != nil {
		return []error{ErrCanceled, e.cause, e.also}
	}
	return []error{ErrCanceled, e.cause}
}

// notShutDownError is the report of an Executor collected without Shutdown.
type notShutDownError struct{ workers int }

func (e *notShutDownError) Error() string {
	return fmt.Sprintf("%v (workers alive: %d); shut down now", ErrNotShutDown, e.workers)
}
func (e *notShutDownError) Unwrap() error { return ErrNotShutDown }

// brokenError carries the initialization failure that broke an executor.
type brokenError struct{ cause error }

func (b *brokenError) Error() string {
	return "fanout: executor is broken: worker initialization failed: " + b.cause.Error()
}
func (b *brokenError) Unwrap() []error { return []error{ErrBroken, b.cause} }
