package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"sync/atomic"

	"github.com/fanout-dev/fanout/internal/cli"
)

// spec is what one command contributes to a run; runSpec does the rest
// (inputs, --compare, output format, progress bar, summary, exit status),
// so every command handles those the same way.
type spec[R cli.Record] struct {
	workers int
	// newJob returns the job at the given parallelism and what to close
	// after it: called once for the run, and once with 1 for --compare.
	newJob func(workers int) (job[R], func())
	// outcome is the record's word in the summary, counted per word.
	outcome  func(R) string
	outcomes []string // the order the summary lists them in
	what     string   // the progress bar's label: "checking"
	verb     string   // the summary's verb: "checked"
	// summary, if set, prints the summary line instead of the tally's.
	summary func(w io.Writer, t *cli.Tally)
	// write, if set, writes a record instead of the --json/--csv/text
	// writer (exec's text mode prints each job's own output).
	write func(out *cli.Writer, rec R)
	// journal, if set, is what --resume records for a record (it must
	// have an "input" field); by default the record itself. exec keeps
	// its jobs' output out of the journal.
	journal func(R) any
}

// skip applies --shard and --resume to lines: it returns the lines to
// run, the open journal (nil without --resume) and where the count of
// lines skipped as already done will be.
func (f *ioFlags) skip(e *env, lines iter.Seq[cli.Line]) (iter.Seq[cli.Line], *cli.Journal, *atomic.Int64, error) {
	skipped := new(atomic.Int64)
	var shard cli.Shard
	if f.shard != "" {
		var err error
		if shard, err = cli.ParseShard(f.shard); err != nil {
			return nil, nil, nil, usageError{err}
		}
	}
	var journal *cli.Journal
	if f.retryFailed && f.resume == "" {
		return nil, nil, nil, usagef("--retry-failed needs --resume FILE")
	}
	if f.resume != "" {
		j, loaded, err := cli.OpenJournal(f.resume, f.retryFailed)
		if err != nil {
			return nil, nil, nil, usageError{fmt.Errorf("--resume: %w", err)}
		}
		if loaded.DroppedTorn { // even with -q: it is about the data
			fmt.Fprintf(e.stderr, "fanout: %s: dropped a torn last line (the previous run was killed mid-write); its input runs again\n", f.resume)
		}
		journal = j
	}
	if shard.N <= 1 && journal == nil {
		return lines, nil, skipped, nil
	}
	return func(yield func(cli.Line) bool) {
		for l := range lines {
			if !shard.Has(l.Text) {
				continue
			}
			if journal != nil && journal.Done(l.Text) {
				skipped.Add(1)
				continue
			}
			if !yield(l) {
				return
			}
		}
	}, journal, skipped, nil
}

// runSpec runs s over the inputs the flags and args name and returns the
// error that carries the exit status.
func runSpec[R cli.Record](ctx context.Context, e *env, f *ioFlags, args []string, s spec[R]) error {
	format, err := f.format()
	if err != nil {
		return err
	}
	lines, done, err := f.lines(ctx, e, args)
	if err != nil {
		return err
	}
	defer done()
	lines, journal, skipped, err := f.skip(e, lines)
	if err != nil {
		return err
	}
	if journal != nil {
		defer journal.Close() // on the early returns; the last Close is checked below
	}
	lines, report, err := f.compareFirst(ctx, e, s.workers, lines, func(lines iter.Seq[cli.Line]) int {
		j, closeJob := s.newJob(1)
		defer closeJob()
		return runJob(ctx, 1, false, lines, j, func(R) {})
	})
	if err != nil {
		return err
	}
	defer report()
	j, closeJob := s.newJob(s.workers)
	defer closeJob()
	out := cli.NewWriter(e.stdout, format)
	tally := cli.NewTally(s.outcomes...)
	bar := f.progressBar(e, args, s.what)
	// A journal that cannot be written stops the run: going on would
	// do work that a rerun would have to do again.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	code := runJob(ctx, s.workers, f.ordered, lines, j, func(rec R) {
		if journal != nil {
			var jrec any = rec
			if s.journal != nil {
				jrec = s.journal(rec)
			}
			if err := journal.Append(jrec, j.passed(rec)); err != nil {
				stop(fmt.Errorf("--resume %s: %w", f.resume, err))
			}
		}
		if s.write != nil {
			s.write(out, rec)
		} else {
			out.Write(rec)
		}
		tally.Add(s.outcome(rec))
		bar.Add(1)
	})
	out.Flush()
	bar.Finish()
	if journal != nil {
		if err := journal.Close(); err != nil {
			stop(fmt.Errorf("--resume %s: %w", f.resume, err))
		}
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if !f.quiet && skipped.Load() > 0 {
		fmt.Fprintf(e.stderr, "%d skipped: already in %s\n", skipped.Load(), f.resume)
	}
	if !f.quiet {
		if s.summary != nil {
			s.summary(e.stderr, tally)
		} else {
			tally.PrintSummary(e.stderr, s.verb)
		}
	}
	if code != ExitOK {
		return exitError{code}
	}
	return nil
}
