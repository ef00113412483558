package fanout

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// taskCtx is the context a task receives. It lives inside the task's future,
// so handing it to the task costs no allocation. Most I/O tasks call Done
// (net/http does); only then is a real cancellable context built under it,
// so tasks that never look at their context pay nothing for it.
type taskCtx struct {
	parent context.Context
	w      *worker // set by the worker before the task runs

	mu   sync.Mutex              // guards making live; also the future's done, ext
	live atomic.Pointer[liveCtx] // built on first Done, AfterFunc or cancel; then fixed
}

// liveCtx is the real context behind a task context that was asked for one.
type liveCtx struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
}

var _ context.Context = (*taskCtx)(nil)

func (t *taskCtx) Deadline() (time.Time, bool) { return t.parent.Deadline() }

func (t *taskCtx) Done() <-chan struct{} { return t.materialize().Done() }

func (t *taskCtx) Err() error {
	if live := t.live.Load(); live != nil {
		return live.ctx.Err()
	}
	return t.parent.Err()
}

func (t *taskCtx) Value(key any) any {
	if key == (workerKey{}) {
		return t.w
	}
	c := t.parent
	if live := t.live.Load(); live != nil {
		c = live.ctx
	}
	// Once the live context exists it answers, so that context.WithCancel(taskCtx)
	// finds its cancelCtx and links to it directly, with no goroutine.
	return c.Value(key)
}

// AfterFunc lets context.AfterFunc and the context package link to a task
// context without starting a goroutine.
func (t *taskCtx) AfterFunc(f func()) (stop func() bool) {
	return context.AfterFunc(t.materialize(), f)
}

func (t *taskCtx) materialize() context.Context {
	if live := t.live.Load(); live != nil {
		return live.ctx
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.live.Load() == nil {
		ctx, cancel := context.WithCancelCause(t.parent)
		t.live.Store(&liveCtx{ctx, cancel})
	}
	return t.live.Load().ctx
}

// cancelWith cancels the task's context with cause. Cancelling is rare, so
// it simply builds the real context, which then answers Err and Cause.
func (t *taskCtx) cancelWith(cause error) {
	t.materialize()
	t.live.Load().cancel(cause)
}

// String makes %v of a task context readable in logs.
func (t *taskCtx) String() string { return "fanout.taskContext" }

type workerKey struct{}

// workerOf returns the worker running the task whose context is ctx (or a
// context derived from it), or nil.
func workerOf(ctx context.Context) *worker {
	if ctx == nil {
		return nil
	}
	w, _ := ctx.Value(workerKey{}).(*worker)
	return w
}

// WorkerID returns the id, from 1 to the executor's worker bound, of the
// worker running the task whose context is ctx, and 0 when ctx does not
// belong to a task. It is the counterpart of threading.get_ident() in the
// Python tutorials: handy in logs to see which worker did what.
func WorkerID(ctx context.Context) int {
	if w := workerOf(ctx); w != nil {
		return w.id
	}
	return 0
}

// Local is a per-worker value of type V, Python's initializer together with
// the tutorials' thread-local requests.Session: each worker builds its own V
// once, when it starts, and closes it when it stops at shutdown. A task
// reaches its worker's value with Get.
//
// If New fails, the executor is broken: the failure is logged once with
// log/slog (Python logs "Exception in initializer"), and the pending tasks
// and every task submitted afterwards fail with an error matching ErrBroken
// that wraps New's error.
type Local[V any] struct {
	newFn   func(ctx context.Context) (V, error)
	closeFn func(V)
}

// NewLocal returns a per-worker value built by newFn. ctx passed to newFn
// carries the worker (WorkerID works on it). closeFn, which may be nil, is
// called with the value when the worker stops. Register it on an executor
// with WithLocal.
func NewLocal[V any](newFn func(ctx context.Context) (V, error), closeFn func(V)) *Local[V] {
	return &Local[V]{newFn: newFn, closeFn: closeFn}
}

// Get returns the value of the worker running the task whose context is
// ctx. It panics when ctx does not belong to a task, or when l was not
// registered on the task's executor with WithLocal: both are programming
// errors, not conditions to handle.
func (l *Local[V]) Get(ctx context.Context) V {
	w := workerOf(ctx)
	if w == nil {
		panic("fanout: Local.Get called outside a task")
	}
	for i := range w.locals {
		if w.locals[i].key == l {
			return w.locals[i].val.(V)
		}
	}
	panic("fanout: Local.Get: this Local is not registered on the executor (use WithLocal)")
}

func (l *Local[V]) init(ctx context.Context) (any, error) { return l.newFn(ctx) }

func (l *Local[V]) close(v any) {
	if l.closeFn != nil {
		l.closeFn(v.(V))
	}
}

// localSpec is the type-erased face of a *Local[V] the executor holds.
type localSpec interface {
	init(ctx context.Context) (any, error)
	close(v any)
}

type localVal struct {
	key localSpec
	val any
}
