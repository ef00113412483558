// Package fanout runs I/O-bound tasks concurrently on a bounded executor
// with futures: what Python's concurrent.futures.ThreadPoolExecutor gives
// Python programmers, in Go, and better where Python is weak.
//
//	ex := fanout.New()  // at most 64 tasks at once
//	defer ex.Shutdown() // Python's `with` block
//	f := fanout.Submit(ctx, ex, func(ctx context.Context) (int, error) { return check(ctx, url) })
//	status, err := f.Result(ctx)
//
// # What it offers
//
//   - Submit returns a *Future: Result, Wait, Done, Cancel, State and OnDone
//     (add_done_callback). One executor serves tasks of any result type;
//     Executor.Go is Submit for a task with no result. Both take the
//     context first; inside a task, pass the task's own.
//   - Map yields results in input order and MapUnordered in completion
//     order, both lazily: at most a window of inputs is taken ahead of the
//     consumer, so an endless input runs in constant memory (Python's map
//     reads its whole input first). A Map that is not ranged over runs
//     nothing.
//   - AsCompleted and Wait work over any set of futures, of one result type
//     or of many (AnyFuture), with a context for the timeout.
//   - Shutdown waits for everything; ShutdownNow cancels what is queued and
//     the contexts of what is running.
//   - A panic in a task becomes a *PanicError; an error nobody reads is
//     reported, not lost (WithUnobservedErrorHandler).
//   - A Limiter bounds the tasks running at once per key (a host), each
//     key's bound found by the tasks' latency and the errors that wrap
//     ErrOverloaded, between a floor and a ceiling: for tasks that talk to
//     many hosts whose limits nobody knows.
//   - Local gives each worker its own value, built once and closed at
//     shutdown (Python's initializer and thread-local session); WorkerID
//     names the worker.
//
// # Where it differs from Python
//
// A future is done only once its task has returned, as in Python: Cancel
// stops a pending task for good, and asks a running one to stop by
// cancelling its context (Python cannot), but the future of a running task
// still resolves with what the task returns. Canceled futures wake every
// waiter and every AsCompleted loop (Python can hang: gh-109934, gh-87893).
// A task that submits to its own executor and waits, passing its own
// context, never deadlocks it, even with every worker busy: while it waits,
// one more worker runs (Python, pond, conc and ants deadlock). The queue is bounded, so a fast producer waits
// rather than buffering without limit. When the context given to a wait
// (Result, Map, AsCompleted, Wait) ends, the error matches ErrContextDone,
// which a task's own error never does.
//
// # Cost
//
// Workers are persistent goroutines started on demand, fed by a lock-free
// queue and woken only when no other worker is looking for work, so a task
// costs no goroutine start: Submit plus Result cost about 150 ns and one
// allocation (the 48-byte future) beyond the task's own closure on a 2-core
// machine, and an ordered Map about 130 ns and no allocation per input. The
// context a submitted task receives is built lazily: a task that never
// looks at it pays nothing for it; one that asks for its Done channel
// (net/http does) pays for one context.WithCancelCause. Map's tasks share
// Map's context and pay nothing either way. See docs/benchmarks.md.
package fanout
