package fanout

import (
	"context"
	"errors"
	"fmt"
)

var (
	// ErrShutdown is the error of a task submitted after Shutdown or
	// ShutdownNow began. Python raises RuntimeError here.
	ErrShutdown = errors.New("fanout: executor is shut down")

	// ErrCancelled is the error of a future that was cancelled: by
	// Future.Cancel, by ShutdownNow, or by a Map whose loop ended early. It
	// wraps context.Canceled, so errors.Is(err, context.Canceled) holds too.
	ErrCancelled = fmt.Errorf("fanout: future cancelled: %w", context.Canceled)

	// ErrBroken is matched by the error of every task of an executor whose
	// per-worker initialization failed (Python's BrokenThreadPool). The
	// initialization error is wrapped as well.
	ErrBroken = errors.New("fanout: executor is broken")

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

// brokenError carries the initialization failure that broke an executor.
type brokenError struct{ cause error }

func (b *brokenError) Error() string {
	return "fanout: executor is broken: worker initialization failed: " + b.cause.Error()
}
func (b *brokenError) Unwrap() []error { return []error{ErrBroken, b.cause} }
