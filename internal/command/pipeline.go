package command

import (
	"context"
	"io"
	"iter"

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
	code := runJob(ctx, s.workers, f.ordered, lines, j, func(rec R) {
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
