package fanout

import (
	"context"
	"reflect"
	"time"
)

// source is what the tasks submitted with one context share: that context
// (their parent), their executor, and how their futures behave. Submit
// reuses the last source while callers pass the same context, so a future
// holds one pointer instead of an interface and an executor pointer.
type source struct {
	ctx   context.Context
	ex    *executor
	reuse bool // ctx can be compared safely (see sourceFor)
	// shared: the tasks run on ctx itself, never canceled one by one (Map's
	// tasks, which Map cancels all at once through ctx): their contexts
	// need no cancelable child each.
	shared bool
	watch  bool // report errors nobody reads (not for Map's tasks)
}

// sourceFor returns the source of tasks submitted to ex with ctx.
func (ex *executor) sourceFor(ctx context.Context) *source {
	if s := ex.src.Load(); s != nil && s.reuse && s.ctx == ctx {
		return s
	}
	if ctx == nil {
		panic("fanout: Submit with a nil context")
	}
	// == on two contexts of the same type can panic when that type is not
	// comparable (a struct holding a slice, say): only pointers and the
	// empty Background and TODO are compared.
	reuse := ctx == context.Background() || ctx == context.TODO() || reflect.TypeOf(ctx).Kind() == reflect.Pointer
	s := &source{ctx: ctx, ex: ex, reuse: reuse, watch: true}
	ex.src.Store(s)
	return s
}

// taskCtx is the context a task receives: its future's core under another
// type, so handing it to the task costs nothing. It answers from the task's
// parent until the task asks for its Done channel (net/http does): only then
// is a cancelable child built, so a task that never looks pays nothing, and
// Map's tasks (shared sources) never need one.
type taskCtx core

var _ context.Context = (*taskCtx)(nil)

func (t *taskCtx) Deadline() (time.Time, bool) { return t.src.ctx.Deadline() }

func (t *taskCtx) Done() <-chan struct{} { return t.link().Done() }

func (t *taskCtx) Err() error {
	if l := t.liveCtx(); l != nil {
		return l.Err()
	}
	if !t.src.shared && t.src.ex.killed.Load() && State((*core)(t).state.Load()) == Running {
		return t.live().Err() // ShutdownNow: build it, canceled, so Cause agrees
	}
	return t.src.ctx.Err()
}

func (t *taskCtx) Value(key any) any {
	if key == (workerKey{}) {
		if State((*core)(t).state.Load()) == Running {
			return t.w // written before the state became Running
		}
		return (*worker)(nil)
	}
	// Once the live context exists it answers, so that
	// context.WithCancel(taskCtx) finds its cancelCtx and links to it
	// directly, with no goroutine.
	if l := t.liveCtx(); l != nil {
		return l.Value(key)
	}
	return t.src.ctx.Value(key)
}

// AfterFunc lets context.AfterFunc and the context package link to a task
// context without starting a goroutine.
func (t *taskCtx) AfterFunc(f func()) (stop func() bool) {
	return context.AfterFunc(t.link(), f)
}

// String makes %v of a task context readable in logs.
func (t *taskCtx) String() string { return "fanout.taskContext" }

// link is the context the task's Done and AfterFunc come from.
func (t *taskCtx) link() context.Context {
	if t.src.shared {
		return t.src.ctx
	}
	return t.live()
}

// liveCtx returns the task's own cancelable context if it was built.
func (t *taskCtx) liveCtx() context.Context {
	if x := (*core)(t).x.Load(); x != nil {
		if l := x.live.Load(); l != nil {
			return l.ctx
		}
	}
	return nil
}

// live returns the task's own cancelable context, building it on first use.
// It is registered with the executor, so that ShutdownNow can cancel it.
func (t *taskCtx) live() context.Context {
	c := (*core)(t)
	x := c.ext()
	if l := x.live.Load(); l != nil {
		return l.ctx
	}
	x.mu.Lock()
	l := x.live.Load()
	if l == nil {
		ctx, cancel := context.WithCancelCause(t.src.ctx)
		l = &liveCtx{ctx: ctx, cancel: cancel}
		x.live.Store(l)
	}
	x.mu.Unlock()
	ex := t.src.ex
	ex.lmu.Lock()
	if ex.lives == nil {
		ex.lives = make(map[*liveCtx]struct{})
	}
	ex.lives[l] = struct{}{}
	ex.lmu.Unlock()
	if ex.killed.Load() { // ShutdownNow began: it may not have seen us
		l.cancel(ErrCanceled)
	}
	return l.ctx
}

// liveCtx is a task's own cancelable context, built on demand.
type liveCtx struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// cancelWith cancels a running task's context with cause (Future.Cancel).
func (t *taskCtx) cancelWith(cause error) {
	if t.src.shared {
		return // Map's tasks are canceled through Map's context
	}
	t.live()
	(*core)(t).x.Load().live.Load().cancel(cause)
}

// release frees the context built for a task once it has returned, as
// net/http does when a handler returns, so the parent does not keep it.
func (t *taskCtx) release() {
	x := (*core)(t).x.Load()
	if x == nil {
		return
	}
	l := x.live.Load()
	if l == nil {
		return
	}
	l.cancel(context.Canceled)
	ex := t.src.ex
	ex.lmu.Lock()
	delete(ex.lives, l)
	ex.lmu.Unlock()
}

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

// WorkerID returns the id of the worker running the task whose context is
// ctx, and 0 when ctx does not belong to a running task. Ids go from 1 to the
// executor's worker bound, and above it for the extra workers started while
// tasks wait on their own executor (see Future.Result). It is handy in logs
// to see which worker did what.
func WorkerID(ctx context.Context) int {
	if w := workerOf(ctx); w != nil {
		return w.id
	}
	return 0
}

// Local is a per-worker value of type V (a client, a connection, a buffer):
// each worker builds its own V when it starts, and the values are closed at
// shutdown. A task reaches its worker's value with Get.
//
// There is one value per worker alive, so at most the worker bound of
// them, plus one per task waiting on its own executor at the time (each
// such wait lets one more worker run; see Future.Result). A worker that
// stops before shutdown leaves its value to the next one started, so the
// values built never exceed the most workers alive at once.
//
// If the constructor fails, the executor is broken: the failure is logged
// once with log/slog, and the pending tasks and every task submitted
// afterwards are canceled with an error matching ErrBroken that wraps the
// constructor's error.
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
// ctx. It panics when ctx does not belong to a running task, or when l was
// not registered on the task's executor with WithLocal: both are
// programming errors, not conditions to handle.
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

// initCtx is the context a Local's constructor gets: it carries the worker.
type initCtx struct {
	context.Context
	w *worker
}

func (c initCtx) Value(key any) any {
	if key == (workerKey{}) {
		return c.w
	}
	return c.Context.Value(key)
}
