package command

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync/atomic"
	"time"

	"github.com/fanout-dev/fanout"
	"github.com/fanout-dev/fanout/internal/cli"
)

// job is what a command does per input line, for runJob.
type job[R any] struct {
	do     func(ctx context.Context, l cli.Line) R // the record for one line; never fails
	passed func(R) bool                            // whether the record counts as a success
	broken func(error) R                           // the record for an error do never returned (a bug)
	// halt stops the run at the first record that did not pass: no input
	// is started after it, and jobs still running are cancelled and
	// their records dropped (GNU parallel's --halt now,fail=1).
	halt bool
}

var errHalted = errors.New("not started: halted")

// runJob runs j on every line on an executor of the given size and hands
// each record to emit, in input order or as they finish. It returns the
// exit status: ExitOK when every record passed, ExitSome when any did not,
// ExitInterrupted when ctx ended first.
func runJob[R any](ctx context.Context, workers int, ordered bool, lines iter.Seq[cli.Line], j job[R], emit func(R)) int {
	ex := fanout.New(fanout.WithWorkers(workers))
	// On an interrupt, cancel what is in flight; ShutdownNow still waits
	// for the tasks to return, so a download removes its temporary file.
	defer ex.ShutdownNow()
	// With halt, a worker that picks up an input after another's failure
	// must not start it: the consumer may not have seen the failure yet.
	var halted atomic.Bool
	do := func(ctx context.Context, l cli.Line) (R, error) {
		if j.halt && halted.Load() {
			var zero R
			return zero, errHalted
		}
		rec := j.do(ctx, l)
		if j.halt && !j.passed(rec) {
			halted.Store(true)
		}
		return rec, nil
	}
	results := fanout.MapUnordered(ctx, ex, lines, do)
	if ordered {
		results = fanout.Map(ctx, ex, lines, do)
	}
	code := ExitOK
	for rec, err := range results {
		if errors.Is(err, errHalted) {
			continue // not started: an earlier input failed
		}
		if err != nil { // only the run's context ending, or a panic in do
			if ctx.Err() != nil {
				return ExitInterrupted
			}
			rec = j.broken(err)
		}
		emit(rec)
		if !j.passed(rec) {
			code = ExitSome
			if j.halt {
				break // leaving the range cancels what is in flight
			}
		}
	}
	if ctx.Err() != nil {
		return ExitInterrupted
	}
	return code
}

// compareFirst implements --compare, the tutorials' "with and without
// threads": when asked, it keeps the inputs (this is for measuring, not for
// millions of lines), runs them once through runOne with one worker and no
// output, and returns the same inputs for the real run and a report to call
// after it, which prints both times and the speedup. Otherwise it returns
// lines as they are and a report that does nothing.
func (f *ioFlags) compareFirst(ctx context.Context, e *env, workers int, lines iter.Seq[cli.Line], runOne func(iter.Seq[cli.Line]) int) (iter.Seq[cli.Line], func(), error) {
	if !f.compare {
		return lines, func() {}, nil
	}
	kept := slices.Collect(lines)
	lines = slices.Values(kept)
	start := time.Now()
	if runOne(lines) == ExitInterrupted {
		return nil, nil, exitError{ExitInterrupted}
	}
	seq := time.Since(start)
	start = time.Now()
	return lines, func() {
		par := time.Since(start)
		fmt.Fprintf(e.stderr, "1 worker: %.2fs; %d workers: %.2fs; %.1fx faster\n",
			seq.Seconds(), workers, par.Seconds(), seq.Seconds()/max(par.Seconds(), 1e-9))
	}, nil
}
