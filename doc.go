// Package fanout runs many I/O-bound tasks at once under a bound, each with
// a future: submit tasks as they come, read each result when you need it,
// wait for any or all of them, cancel them, and shut down cleanly.
//
// Use it where errgroup and conc's pool are not enough: when each task's
// result and error are read on their own (not just the first error, not a
// slice at the end); when results should stream in input order from an
// endless input in constant memory; when tasks submit subtasks to the same
// pool and wait for them; when each worker needs its own client. For a
// fixed batch whose first error stops the rest, errgroup with SetLimit is
// simpler.
//
// # One example per job
//
// Submit a task and read its result (the context ends the wait, not the
// task):
//
//	ex := fanout.New(fanout.WithWorkers(16)) // at most 16 tasks at once
//	defer ex.Shutdown()                      // waits for every task
//	f := fanout.Submit(ctx, ex, func(ctx context.Context) (int, error) { return status(ctx, url) })
//	code, err := f.Result(ctx)
//
// Map an input, in input order, lazily (at most a window of inputs taken
// ahead of the loop; breaking out cancels the rest):
//
//	for code, err := range fanout.Map(ctx, ex, urls, status) { ... }
//
// Results as they complete: MapUnordered over an input, or AsCompleted
// over futures already submitted:
//
//	for f, err := range fanout.AsCompleted(ctx, futures) { ... }
//
// A batch with a deadline, futures of different types together:
//
//	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
//	done, notDone, err := fanout.Wait(ctx, []fanout.AnyFuture{page, save}, fanout.AllCompleted)
//
// One client per worker, built when the worker starts and closed at
// shutdown:
//
//	clients := fanout.NewLocal(newClient, func(c *Client) { c.Close() })
//	ex := fanout.New(fanout.WithLocal(clients))
//	... inside a task: clients.Get(ctx)
//
// Nested work: a task submits to its own executor with its own context and
// waits; the executor runs one more worker while it waits, so this never
// deadlocks, even with every worker busy.
//
// Many hosts whose limits nobody knows: a Limiter holds each task until its
// key (a host) has room, and finds each key's bound from the tasks' latency
// and the errors that wrap ErrOverloaded, between a floor and a ceiling:
//
//	lim := fanout.NewLimiter(1, 64, 256) // per host 1..64, 256 in all
//	p, err := lim.Acquire(ctx, host)    // inside a task
//	... p.Release(err)                  // the outcome feeds the host's bound
//
// A task waiting in Acquire holds a worker. With many inputs for one busy
// host, the code that feeds the executor can keep that host's inputs back
// while it runs Limit(host) of them, so that other hosts' inputs pass
// (the fanout command does, under -w auto).
//
// # Guarantees
//
//   - At most the bound of tasks run at once (not counting tasks waiting on
//     their own executor). Submit waits when the bound plus the queue are
//     taken, and returns as soon as a slot frees.
//   - A future is done only once its task has returned: Cancel and
//     ShutdownNow cancel a running task's context, and its future resolves
//     with what the task returns. A future whose State is Canceled never
//     ran; its error matches ErrCanceled and what stopped it.
//   - A wait that ends with its context returns an error matching
//     ErrContextDone, which a task's own error never does.
//   - A panic in a task becomes a *PanicError with its stack. An error
//     nobody reads, and an Executor dropped without Shutdown, are reported
//     (WithUnobservedErrorHandler), not lost.
//
// # Cost
//
// Workers are persistent goroutines started on demand, fed by a lock-free
// queue and woken only when no other worker is looking for work, so a task
// costs no goroutine start: Submit plus Result cost about 200 to 300 ns and
// two allocations (the future and the task's closure) on a shared 2-core
// machine, and an ordered Map about 200 ns and no allocation per
// input. A task that never looks at its context pays nothing for it. See docs/benchmarks.md.
//
// Coming from Python's concurrent.futures: docs/library.md maps each of its
// names to this package's.
package fanout
