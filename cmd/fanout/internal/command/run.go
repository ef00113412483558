package command

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"runtime/debug"
	"sync/atomic"

	"github.com/fanout-dev/fanout"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/timeline"
)

// job is what a command does per input line, for runJob.
type job[R any] struct {
	// do makes the record for one usable line (l.Err is nil); it never fails.
	do func(ctx context.Context, l runio.Line) R
	// invalid makes the record for a line that cannot be used (l.Err says
	// why: too long, not UTF-8...), and for a bug in do (a panic).
	invalid func(l runio.Line) R
	passed  func(R) bool // whether the record counts as a success
	// halt stops the run at the first record that did not pass: no input
	// is started after it, and jobs still running are cancelled and
	// their records dropped (GNU parallel's --halt now,fail=1).
	halt bool
	// keepCut emits the records of tasks an interrupt cut short, as they
	// stood (ping prints each host's replies so far, as fping does). They
	// are never journalled: a resumed run does them again.
	keepCut bool
}

var (
	errHalted = errors.New("not started: halted")
	errCut    = errors.New("cut short by an interrupt")
)

// ran is what runJob reports besides the records.
type ran struct {
	code        int
	done        int  // records emitted as finished
	cut         int  // tasks the interrupt stopped while they ran
	taken       int  // inputs taken from lines
	inputEnded  bool // lines was read to its end
	interrupted bool
}

// notStarted is how many inputs taken were never run.
func (r ran) notStarted() int { return r.taken - r.done - r.cut }

// runJob runs j on every line on an executor of the given size and hands
// each record to emit, in input order or as they finish. adm, if not nil,
// holds back the inputs of hosts at their limit (-w auto, unordered).
//
// An interrupt (ctx ending) stops taking input and shuts the executor down
// at once: queued inputs never start, running ones have their contexts
// cancelled. The loop below still goes to the end, so every record that
// finished before the interrupt is emitted, in input order with ordered;
// the records of tasks cut short are not (they did not finish: a resumed
// run does them again), unless j.keepCut.
func runJob[R any](ctx context.Context, workers int, ordered bool, adm *admission, lines iter.Seq[runio.Line], j job[R], emit func(rec R, cut bool)) ran {
	ex := fanout.New(fanout.WithWorkers(workers))
	stopOnInterrupt := context.AfterFunc(ctx, ex.ShutdownNow)
	// ShutdownNow also waits for running tasks to return, so that a
	// download removes its temporary file and a job's processes are gone.
	defer func() {
		stopOnInterrupt()
		ex.ShutdownNow()
	}()
	var r ran
	var counted iter.Seq[runio.Line] = func(yield func(runio.Line) bool) {
		for l := range lines {
			r.taken++
			if !yield(l) {
				return
			}
		}
		r.inputEnded = ctx.Err() == nil
	}
	do := guarded(ctx, j)
	if adm != nil {
		counted = adm.order(ctx, counted)
		run := do
		do = func(tctx context.Context, l runio.Line) (R, error) {
			if l.Err == nil {
				defer adm.done(adm.host(l))
			}
			return run(tctx, l)
		}
	}
	// The results are read to the end even after an interrupt: the map's
	// own context is never cancelled, the executor's shutdown is what
	// stops the work.
	mctx := context.WithoutCancel(ctx)
	results := fanout.MapUnordered(mctx, ex, counted, do)
	if ordered {
		results = fanout.Map(mctx, ex, counted, do)
	}
	failed := false
	for rec, err := range results {
		switch {
		case err == nil:
		case errors.Is(err, errHalted):
			continue
		case errors.Is(err, errCut):
			r.cut++
			if j.keepCut {
				emit(rec, true)
			}
			continue
		case ctx.Err() != nil:
			continue // cancelled before it started, or refused after the shutdown
		default:
			// do never fails otherwise; if the executor does, say so in
			// a record rather than lose the input.
			rec = j.invalid(runio.Line{Err: err})
		}
		emit(rec, false)
		r.done++
		if !j.passed(rec) {
			failed = true
			if j.halt {
				break // leaving the range cancels what is in flight
			}
		}
	}
	switch {
	case ctx.Err() != nil:
		r.code, r.interrupted = ExitInterrupted, true
	case failed:
		r.code = ExitSome
	}
	return r
}

// guarded is j.do as runJob's tasks run it: an unusable line gets its
// invalid record, and so does a panic in do (a bug: the run goes on); a
// record that failed while the interrupt (ctx ending) cancelled its task
// is errCut; with j.halt, no input starts after a failure (errHalted).
func guarded[R any](ctx context.Context, j job[R]) func(context.Context, runio.Line) (R, error) {
	// With halt, a worker that picks up an input after another's failure
	// must not start it: the consumer may not have seen the failure yet.
	var halted atomic.Bool
	return func(tctx context.Context, l runio.Line) (rec R, err error) {
		if l.Err != nil {
			return j.invalid(l), nil
		}
		if j.halt && halted.Load() {
			return rec, errHalted
		}
		defer func() {
			if v := recover(); v != nil {
				slog.Error("fanout: internal error", "input", l.Text, "panic", v, "stack", string(debug.Stack()))
				rec, err = j.invalid(runio.Line{N: l.N, Text: l.Text, Err: fmt.Errorf("internal error: %v", v)}), nil
			}
		}()
		rec = j.do(tctx, l)
		// A record that failed while the interrupt cancelled its task is
		// taken as cut short: it may have failed only because of that. A
		// record that passed finished, whenever the interrupt came.
		if tctx.Err() != nil && ctx.Err() != nil && !j.passed(rec) {
			return rec, errCut
		}
		if j.halt && !j.passed(rec) {
			halted.Store(true)
		}
		return rec, nil
	}
}

// timed records each task of j on tl: its worker, start and end, its
// input and its outcome word, for --timeline. Without --timeline the job
// is not wrapped at all.
func timed[R any](j job[R], tl *timeline.Recorder, outcome func(R) string) job[R] {
	if tl == nil {
		return j
	}
	do := j.do
	j.do = func(ctx context.Context, l runio.Line) R {
		task := tl.Start(ctx)
		rec := do(ctx, l)
		word := outcome(rec)
		// As runJob and the summary take it: a task stopped by the run's
		// end that did not pass did not fail on its own.
		if ctx.Err() != nil && !j.passed(rec) {
			word = timeline.CutShort
		}
		task.End(l.Text, word)
		return rec
	}
	return j
}
