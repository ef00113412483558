package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fanout-dev/fanout"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/timeline"
)

// spec is what one command contributes to a run; runSpec does the rest
// (inputs, --resume, --shard, --compare, output format, progress bar,
// summary, interrupts, exit status), so every command handles those the
// same way.
type spec[R runio.Record] struct {
	// newJob returns the job at the given parallelism and what to close
	// after it: called once for the run, and once with 1 for --compare.
	newJob func(workers int) (job[R], func())
	// lines, if set, are the inputs (replace's walk); otherwise they come
	// from the arguments, -i FILE or stdin.
	lines iter.Seq[runio.Line]
	// total, if set, says how many inputs lines will yield, for the
	// progress bar (exec's ::: lists, ping's CIDR blocks); -1: unknown.
	total func() int64
	// outcome is the record's word in the summary, counted per word.
	outcome  func(R) string
	outcomes []string // the order the summary lists them in
	what     string   // the progress bar's label: "checking"
	verb     string   // the summary's verb: "checked"
	// count, if set, adds what else the summary needs to the tally
	// (bytes saved, replacements made), beside the outcome.
	count func(t *runio.Tally, rec R)
	// summary, if set, prints the summary line instead of the tally's.
	summary func(w io.Writer, t *runio.Tally)
	// exit, if set, is the exit status of a run that was not interrupted;
	// by default ExitOK when every record passed, else ExitSome.
	exit func(t *runio.Tally) int
	// show, if set, says whether a record is printed (it is counted
	// and journalled either way).
	show func(R) bool
	// write, if set, writes a record instead of the --json/--csv/text
	// writer (exec's text mode prints each job's own output); stderr
	// writes above the progress bar. An error stops the run.
	write func(out *runio.Writer, stderr io.Writer, rec R) error
	// journal, if set, is what --resume records for a record (it must
	// have an "input" field); by default the record itself. exec keeps
	// its jobs' output out of the journal; nil keeps the record out
	// (links' documents, which a rerun must read again).
	journal func(R) any
	// dropped, if set, is told of each line --resume skips (links hands
	// out again the links that waited for it).
	dropped func(runio.Line)
	// interrupted, if set, is called once when the run is interrupted,
	// with a stderr that writes above the progress bar (exec says what
	// its kill grace waits for).
	interrupted func(stderr io.Writer)
	// limiter, if set, is -w auto's, whose per-host limits --timeline draws.
	limiter *fanout.Limiter
	// host, with limiter, is the host an input's requests go to: the
	// inputs of a host at its limit wait in an admission, not the executor.
	host func(runio.Line) string
}

// skip applies --shard and --resume to lines: it returns the lines to
// run, the open journal (nil without --resume) and where the count of
// lines skipped as already done will be.
func (f *runFlags) skip(e *env, lines iter.Seq[runio.Line], dropped func(runio.Line)) (iter.Seq[runio.Line], *runio.Journal, *atomic.Int64, error) {
	skipped := new(atomic.Int64)
	var shard runio.Shard
	if f.shard != "" {
		var err error
		if shard, err = runio.ParseShard(f.shard); err != nil {
			return nil, nil, nil, usageError{err}
		}
	}
	var journal *runio.Journal
	if f.retryFailed && f.resume == "" {
		return nil, nil, nil, usagef("--retry-failed needs --resume FILE")
	}
	if f.resume != "" {
		j, loaded, err := runio.OpenJournal(f.resume, f.job(), f.retryFailed)
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
	return func(yield func(runio.Line) bool) {
		for l := range lines {
			if !shard.Has(l.Text) {
				continue
			}
			if journal != nil && journal.Done(l.Text) {
				skipped.Add(1)
				if dropped != nil {
					dropped(l)
				}
				continue
			}
			if !yield(l) {
				return
			}
		}
	}, journal, skipped, nil
}

// lines returns the inputs: arguments, else -i FILE, else stdin, read as a
// stream. The returned func closes what it opened.
func (f *runFlags) lines(ctx context.Context, e *env, args []string) (iter.Seq[runio.Line], func(), error) {
	return f.linesAs(ctx, e, args, runio.Mode{})
}

// linesAs is lines in mode m (exec's: raw, longer).
func (f *runFlags) linesAs(ctx context.Context, e *env, args []string, m runio.Mode) (iter.Seq[runio.Line], func(), error) {
	switch {
	case len(args) > 0 && f.input != "":
		return nil, nil, usagef("give inputs as arguments or with -i, not both")
	case len(args) > 0:
		return runio.ArgsAs(args, m), func() {}, nil
	case f.input != "" && f.input != "-":
		file, err := openInput(f.input)
		if err != nil {
			return nil, nil, err
		}
		return runio.Read(ctx, file, m), func() { file.Close() }, nil
	}
	return runio.Read(ctx, e.stdin, m), func() {}, nil
}

// total is how many inputs the run will take, when that can be known
// ahead: for the progress bar and the count of inputs an interrupt left.
func (f *runFlags) total(args []string, m runio.Mode) int64 {
	switch {
	case f.resume != "" || f.shard != "":
		return -1 // some inputs will be skipped; the count is not known ahead
	case len(args) > 0:
		return int64(len(args))
	case f.input != "" && f.input != "-":
		return runio.CountLines(f.input, m)
	}
	return -1
}

// runSpec runs s over the inputs the flags and args name and returns the
// error that carries the exit status.
func runSpec[R runio.Record](ctx context.Context, e *env, f *runFlags, args []string, s spec[R]) error {
	st := &runState[R]{e: e, f: f, s: s, workers: f.workers}
	defer st.close()
	if err := st.open(ctx, args); err != nil {
		return err
	}
	r, tally, tl, err := st.loop(ctx)
	if err != nil {
		return err
	}
	return st.end(r, tally, tl)
}

// runState is one run of runSpec: what open set up (inputs, --resume's
// journal, --compare's first run) for loop, then end.
type runState[R runio.Record] struct {
	e        *env
	f        *runFlags
	s        spec[R]
	workers  int
	format   runio.Format
	lines    iter.Seq[runio.Line]
	total    int64          // how many inputs lines yields; -1: unknown
	journal  *runio.Journal // --resume's; nil without
	skipped  *atomic.Int64  // the inputs --resume skipped as done
	runs     []timeline.Run // --timeline's runs so far (--compare's)
	deferred []func()       // what close does, in reverse
	// stopLimits ends the drawing of -w auto's limits on the timeline.
	stopLimits func()
}

// close undoes what open and loop set up, the last first.
func (st *runState[R]) close() {
	for _, f := range slices.Backward(st.deferred) {
		f()
	}
}

// open checks the output flags and sets up the inputs, with --shard and
// --resume applied, and runs --compare's first run.
func (st *runState[R]) open(ctx context.Context, args []string) error {
	e, f, s := st.e, st.f, st.s
	format, err := f.format()
	if err != nil {
		return err
	}
	st.format = format
	if s.limiter == nil { // -w auto's tasks hold no file while they wait: its ceiling is capped instead
		st.workers = capWorkers(st.workers, e.stderr)
	}
	if f.timeline != "" {
		if err := timeline.CheckPath(f.timeline); err != nil {
			return usagef("--timeline: %v", err)
		}
	}
	lines, total := s.lines, int64(-1)
	if lines == nil {
		var done func()
		if lines, done, err = f.lines(ctx, e, args); err != nil {
			return err
		}
		st.deferred = append(st.deferred, done)
		total = f.total(args, runio.Mode{})
	} else if s.total != nil && f.resume == "" && f.shard == "" {
		total = s.total()
	}
	st.total = total
	if st.lines, st.journal, st.skipped, err = f.skip(e, lines, s.dropped); err != nil {
		return err
	}
	if st.journal != nil {
		// On the early returns; loop checks the last Close.
		st.deferred = append(st.deferred, func() { _ = st.journal.Close() })
	}
	if !f.compare {
		return nil
	}
	kept, r, err := compareFirst(ctx, st.lines, s, f.timeline != "")
	if err != nil {
		return err
	}
	st.lines = kept
	st.deferred = append(st.deferred, func() { r.report(e.stderr, st.workers) })
	if r.timeline != nil {
		st.runs = append(st.runs, *r.timeline)
	}
	return nil
}

// loop runs the job over the inputs, writing, journalling and counting
// each record, and returns the error that stopped it, if any (a journal
// or an output that cannot be written).
func (st *runState[R]) loop(ctx context.Context) (ran, *runio.Tally, *timeline.Recorder, error) {
	e, f, s := st.e, st.f, st.s
	j, closeJob := s.newJob(st.workers)
	st.deferred = append(st.deferred, closeJob)
	var tl *timeline.Recorder
	if f.timeline != "" {
		lanes := st.workers
		if s.limiter != nil {
			lanes = 1 // as many as its tasks took: most of -w auto's 4,096 are never started
		}
		tl = timeline.New(lanes)
		if s.limiter != nil {
			st.stopLimits = drawLimits(tl, s.limiter)
			st.deferred = append(st.deferred, st.stopLimits) // on the early returns; end stops it first
		}
	}
	var bar *runio.Progress
	if !f.quiet && runio.ShowProgress(e.stderr, f.progress, f.noProgress) {
		bar = runio.NewProgress(e.stderr, st.total, s.what)
	}
	// Records go above the bar when both share the terminal.
	var above *runio.Progress
	if runio.IsTerminal(e.stdout) {
		above = bar
	}
	out := runio.NewWriter(stdoutWriter{e.stdout}, st.format, above)
	stderr := aboveWriter{bar, e.stderr}
	if s.interrupted != nil {
		stopNotice := context.AfterFunc(ctx, func() { s.interrupted(stderr) })
		defer stopNotice()
	}
	tally := runio.NewTally(s.outcomes...)
	// A journal or an output that cannot be written stops the run:
	// going on would do work whose record is lost, or that a rerun would
	// have to do again. (A closed pipe, `| head -1`, never gets here in
	// the binary: Go's runtime ends the process with SIGPIPE, quietly.)
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	job := timed(j, tl, s.outcome)
	do := job.do
	// The bar counts inputs as they finish, also those an ordered run
	// holds back behind a slower one.
	job.do = func(ctx context.Context, l runio.Line) R {
		bar.Start()
		defer bar.Add(1)
		return do(ctx, l)
	}
	show := st.shows(j)
	var adm *admission
	if s.limiter != nil && s.host != nil && !f.ordered {
		// An ordered run keeps the executor's order: its inputs wait there.
		adm = newAdmission(s.limiter, s.host)
	}
	r := runJob(ctx, st.workers, f.ordered, adm, st.lines, job, func(rec R, cut bool) {
		if err := st.record(j, rec, cut); err != nil {
			stop(err)
		}
		if show(rec) {
			if err := st.write(out, stderr, rec); err != nil {
				stop(err)
			}
		}
		tally.Add(s.outcome(rec))
		if s.count != nil {
			s.count(tally, rec)
		}
	})
	if err := out.Close(); err != nil {
		stop(err)
	}
	bar.Finish()
	if st.journal != nil {
		if err := st.journal.Close(); err != nil {
			stop(fmt.Errorf("--resume %s: %w", f.resume, err))
		}
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return r, nil, nil, err
	}
	return r, tally, tl, nil
}

// shows is whether a record is printed: spec.show's say, and with
// --failures only if it did not pass.
func (st *runState[R]) shows(j job[R]) func(R) bool {
	show := st.s.show
	if show == nil {
		show = func(R) bool { return true }
	}
	if st.f.failures {
		shown := show
		show = func(rec R) bool { return !j.passed(rec) && shown(rec) }
	}
	return show
}

// record appends a finished record to the --resume journal (not one cut
// short: a rerun does it again).
func (st *runState[R]) record(j job[R], rec R, cut bool) error {
	if st.journal == nil || cut {
		return nil
	}
	var jrec any = rec
	if st.s.journal != nil {
		jrec = st.s.journal(rec)
	}
	if jrec == nil {
		return nil
	}
	if err := st.journal.Append(jrec, j.passed(rec)); err != nil {
		return fmt.Errorf("--resume %s: %w", st.f.resume, err)
	}
	return nil
}

// write prints a record, with the command's writer if it has one.
func (st *runState[R]) write(out *runio.Writer, stderr io.Writer, rec R) error {
	if st.s.write != nil {
		return st.s.write(out, stderr, rec)
	}
	return out.Write(rec)
}

// end says what the run did (skipped inputs, the summary, the timeline,
// an interrupt) and returns the error that carries the exit status.
func (st *runState[R]) end(r ran, tally *runio.Tally, tl *timeline.Recorder) error {
	e, f, s := st.e, st.f, st.s
	if !f.quiet && st.skipped.Load() > 0 {
		fmt.Fprintf(e.stderr, "%d skipped: already in %s\n", st.skipped.Load(), f.resume)
	}
	summary := s.summaryLine(tally)
	if !f.quiet {
		fmt.Fprintln(e.stderr, summary)
	}
	if tl != nil {
		caption := summary
		if r.interrupted {
			caption += "; " + interruptedLine(r, st.total)
		}
		if st.stopLimits != nil {
			st.stopLimits()
		}
		title := workersTitle(st.workers)
		if s.limiter != nil {
			// The executor's size is not a count of requests: its tasks
			// may wait for their host's place.
			title = "-w auto (each line: a host's limit)"
		}
		runs := append(st.runs, tl.Finish(title, caption))
		if err := timeline.WriteFile(f.timeline, runs...); err != nil {
			return err
		}
		if !f.quiet {
			fmt.Fprintf(e.stderr, "timeline: %s\n", f.timeline)
		}
	}
	if r.interrupted {
		// Even with -q: the user must know the run is not complete.
		fmt.Fprintln(e.stderr, interruptedLine(r, st.total))
		return exitError{ExitInterrupted}
	}
	code := r.code
	if s.exit != nil {
		code = s.exit(tally)
	}
	if code != ExitOK {
		return exitError{code}
	}
	return nil
}

// interruptedLine says what an interrupt left undone: "interrupted: 472
// done, 3 cut short, 25 not started". total, when known, counts the inputs
// never read too; otherwise an unread rest of the input is mentioned.
func interruptedLine(r ran, total int64) string {
	notStarted := r.notStarted()
	rest := ""
	switch {
	case total >= 0:
		notStarted = max(notStarted, int(total)-r.done-r.cut)
	case !r.inputEnded:
		rest = " (and the rest of the input, unread)"
	}
	s := fmt.Sprintf("interrupted: %d done", r.done)
	if r.cut > 0 {
		s += fmt.Sprintf(", %d cut short", r.cut)
	}
	return s + fmt.Sprintf(", %d not started%s", notStarted, rest)
}

// stdoutWriter names the output in its write errors: "write stdout: no
// space left on device", not "write /dev/stdout: ...".
type stdoutWriter struct{ w io.Writer }

func (s stdoutWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		err = fmt.Errorf("write stdout: %w", err)
	}
	return n, err
}

// aboveWriter writes to w above the progress bar.
type aboveWriter struct {
	bar *runio.Progress
	w   io.Writer
}

func (a aboveWriter) Write(p []byte) (n int, err error) {
	a.bar.Suspend(func() { n, err = a.w.Write(p) })
	return n, err
}

// compared is --compare's first run, the tutorials' "with and without
// threads".
type compared struct {
	seq      time.Duration
	start    time.Time
	timeline *timeline.Run // the one-worker run, with --timeline
}

func (c compared) report(w io.Writer, workers int) {
	par := time.Since(c.start)
	fmt.Fprintf(w, "1 worker: %.2fs; %d workers: %.2fs; %.1fx faster\n",
		c.seq.Seconds(), workers, par.Seconds(), c.seq.Seconds()/max(par.Seconds(), 1e-9))
}

// compareFirst keeps the inputs (this is for measuring, not for millions
// of lines), runs them once with one worker and no output, and returns the
// same inputs for the real run.
func compareFirst[R runio.Record](ctx context.Context, lines iter.Seq[runio.Line], s spec[R], draw bool) (iter.Seq[runio.Line], compared, error) {
	kept := slices.Values(slices.Collect(lines))
	j, closeJob := s.newJob(1)
	defer closeJob()
	var tl *timeline.Recorder
	if draw {
		tl = timeline.New(1)
	}
	tally := runio.NewTally(s.outcomes...)
	start := time.Now()
	if r := runJob(ctx, 1, false, nil, kept, timed(j, tl, s.outcome), func(rec R, _ bool) { tally.Add(s.outcome(rec)) }); r.interrupted {
		return nil, compared{}, exitError{ExitInterrupted}
	}
	c := compared{seq: time.Since(start)}
	if tl != nil {
		run := tl.Finish(workersTitle(1), s.summaryLine(tally))
		c.timeline = &run
	}
	c.start = time.Now()
	return kept, c, nil
}

// summaryLine is the run's summary, without its newline.
func (s spec[R]) summaryLine(t *runio.Tally) string {
	if s.summary == nil {
		return t.Summary(s.verb)
	}
	var b strings.Builder
	s.summary(&b, t)
	return strings.TrimSpace(b.String())
}

// workersTitle is a timeline panel's title: "1 worker", "64 workers".
func workersTitle(n int) string {
	if n == 1 {
		return "1 worker"
	}
	return strconv.Itoa(n) + " workers"
}
