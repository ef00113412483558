// Package timeline records what the workers of a run did (when each task
// started and ended, on which worker, with what outcome) and draws it: one
// lane per worker, one bar per task, coloured by outcome, on a time axis,
// as a standalone SVG or a self-contained HTML page. Each bar is an SVG
// <rect> whose <title> (the browser's tooltip) names the task's input, its
// outcome and its duration.
//
// Recording is bounded: a Recorder keeps every task up to a limit (5,000),
// enough for a picture in which each bar can still be seen and hovered.
// Beyond it, it keeps only how busy each lane was over time, per outcome
// (density strips), and the slowest tasks, which keep their tooltips. A nil
// *Recorder records nothing, so a command without --timeline pays nothing.
package timeline

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fanout-dev/fanout"
)

const (
	// spanLimit is how many tasks a run keeps one by one. At about 200
	// bytes a bar (a URL-long label in its tooltip), 5,000 bars make a
	// file under about a megabyte that a browser draws at once; more
	// rectangles make it slow (hillview#288, d3-flame-graph#108) and
	// are too thin to see or hover anyway.
	spanLimit = 5000
	// slowKept is how many of the slowest tasks keep a bar and a tooltip
	// once a run is over spanLimit: the ones worth hovering.
	slowKept = 300
	// maxOutcomes is how many outcome words a run tells apart (the
	// palette's size); further words are counted as "other".
	maxOutcomes = 8
	// maxLabelBytes bounds what a kept label holds on to: a 1 MB input
	// line is cut (and copied, so the whole line can be freed) when
	// recorded. Drawing cuts it further, to maxLabelRunes.
	maxLabelBytes = 1024
	// otherOutcome is the word for outcomes past the first maxOutcomes-1.
	otherOutcome = "other"
)

// Recorder collects the tasks of one run. It is safe for concurrent use by
// the run's workers. A nil *Recorder is valid and records nothing.
type Recorder struct {
	workers int
	start   time.Time
	limit   int // spanLimit; smaller in tests

	mu       sync.Mutex
	total    int
	maxLane  int
	last     time.Duration // the latest end seen
	outcomes []string      // distinct words, in order of first appearance
	counts   []int         // tasks per outcome
	spans    []span        // every task, while total <= limit
	dense    *density      // once total > limit: busy time per lane group, bucket and outcome
	slow     []span        // once total > limit: the slowest tasks, a min-heap on duration
	limits   []limitLine   // see Limit
}

// span is one task, in offsets from the run's start.
type span struct {
	start, end time.Duration
	label      string
	lane       int32
	outcome    uint8 // index in the run's outcomes
}

func (s span) dur() time.Duration { return s.end - s.start }

// New returns a Recorder for a run on workers workers (the executor's
// bound: the lanes are 1..workers), whose clock starts now.
func New(workers int) *Recorder {
	return &Recorder{workers: max(workers, 1), start: time.Now(), limit: spanLimit}
}

// Task is one task being timed, from Start to End. The zero Task (what a
// nil Recorder starts) does nothing.
type Task struct {
	r     *Recorder
	lane  int
	start time.Time
}

// Start notes that the task whose context is ctx starts now, on the worker
// fanout.WorkerID(ctx) names. On a nil Recorder it reads no clock.
func (r *Recorder) Start(ctx context.Context) Task {
	if r == nil {
		return Task{} // small enough to inline: the nil path costs no call
	}
	return r.begin(ctx)
}

func (r *Recorder) begin(ctx context.Context) Task {
	return Task{r: r, lane: fanout.WorkerID(ctx), start: time.Now()}
}

// CutShort is the outcome word of a task that an interrupt stopped
// before it could finish: its record says "error" (a cancelled request,
// a killed job), but the task did not fail on its own.
const CutShort = "cut short"

// End records the task as ending now, with its input as label and the
// word for its outcome ("exists", "does not exist", "error", "exit 1").
func (t Task) End(label, outcome string) {
	if t.r != nil {
		t.end(label, outcome)
	}
}

func (t *Task) end(label, outcome string) {
	t.r.Record(t.lane, t.start, time.Now(), label, outcome)
}

// Record records one task: on worker lane (1..workers; fanout.WorkerID),
// from start to end, with its input as label and its outcome word. Times
// before the Recorder was made count as its start.
func (r *Recorder) Record(lane int, start, end time.Time, label, outcome string) {
	if r == nil {
		return
	}
	s, e := max(start.Sub(r.start), 0), end.Sub(r.start)
	if e < s {
		e = s
	}
	if len(label) > maxLabelBytes {
		label = clipLabel(label)
	}
	lane = max(lane, 1) // WorkerID is 0 outside a task: put it on the first lane
	r.mu.Lock()
	defer r.mu.Unlock()
	sp := span{start: s, end: e, label: label, lane: int32(lane), outcome: r.outcomeIndex(outcome)}
	r.counts[sp.outcome]++
	r.total++
	r.maxLane = max(r.maxLane, lane)
	r.last = max(r.last, e)
	if r.dense == nil {
		if r.total <= r.limit {
			r.spans = append(r.spans, sp)
			return
		}
		r.overLimit()
	}
	r.dense.add(sp)
	r.keepIfSlow(sp)
}

// outcomeIndex returns the index of word, adding it if new. Called with
// r.mu held.
func (r *Recorder) outcomeIndex(word string) uint8 {
	if i, ok := r.find(word); ok {
		return i
	}
	if len(r.outcomes) >= maxOutcomes-1 {
		if i, ok := r.find(otherOutcome); ok {
			return i
		}
		word = otherOutcome
	}
	if len(word) > maxLabelBytes {
		word = clipLabel(word)
	}
	r.outcomes = append(r.outcomes, strings.Clone(word))
	r.counts = append(r.counts, 0)
	return uint8(len(r.outcomes) - 1)
}

func (r *Recorder) find(word string) (uint8, bool) {
	for i, o := range r.outcomes {
		if o == word {
			return uint8(i), true
		}
	}
	return 0, false
}

// overLimit turns the kept spans into density and the slowest few: from
// now on memory no longer grows with the number of tasks. Called with r.mu
// held.
func (r *Recorder) overLimit() {
	r.dense = newDensity(max(r.workers, r.maxLane), r.last)
	r.slow = make([]span, 0, slowKept)
	for _, sp := range r.spans {
		r.dense.add(sp)
		r.keepIfSlow(sp)
	}
	r.spans = nil
}

// keepIfSlow keeps sp among the slowKept slowest tasks. r.slow is a
// min-heap on duration, so the fastest of the kept is at the root and is
// the one replaced. (container/heap would box each span in an interface.)
func (r *Recorder) keepIfSlow(sp span) {
	h := r.slow
	if len(h) < slowKept {
		h = append(h, sp)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if h[p].dur() <= h[i].dur() {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		r.slow = h
		return
	}
	if sp.dur() <= h[0].dur() {
		return
	}
	h[0] = sp
	for i := 0; ; {
		c := 2*i + 1
		if c >= len(h) {
			break
		}
		if c+1 < len(h) && h[c+1].dur() < h[c].dur() {
			c++
		}
		if h[i].dur() <= h[c].dur() {
			break
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// clipLabel cuts a long label to about maxLabelBytes, keeping its start
// and its end (drawing cuts in the middle: the end of a URL or a path
// names the page or the file), on rune boundaries, into a copy so that the
// original can be freed.
func clipLabel(s string) string {
	head, tail := maxLabelBytes/2, len(s)-maxLabelBytes/2
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	for tail < len(s) && !utf8.RuneStart(s[tail]) {
		tail++
	}
	return s[:head] + "…" + s[tail:] // a new string
}

// Run is a finished run, ready to draw.
type Run struct {
	Title   string // the panel's heading, e.g. "64 workers"
	Summary string // the run's summary line, drawn as the panel's caption

	workers  int
	duration time.Duration
	total    int
	outcomes []string
	counts   []int
	spans    []span   // every task; or, when dense is set, the slowest
	dense    *density // nil unless the run had more than its limit of tasks
	limits   []limitLine
}

// Finish ends the run now and returns it with the given title and summary,
// for WriteFile. Tasks recorded after Finish are not in it.
func (r *Recorder) Finish(title, summary string) Run {
	if r == nil {
		return Run{Title: title, Summary: summary}
	}
	elapsed := time.Since(r.start)
	r.mu.Lock()
	defer r.mu.Unlock()
	run := Run{
		Title: title, Summary: summary,
		workers:  max(r.workers, r.maxLane),
		duration: max(elapsed, r.last),
		total:    r.total,
		outcomes: append([]string(nil), r.outcomes...),
		counts:   append([]int(nil), r.counts...),
		limits:   cloneLimits(r.limits),
	}
	if r.dense != nil {
		run.dense = r.dense.clone()
		run.spans = append([]span(nil), r.slow...)
	} else {
		run.spans = append([]span(nil), r.spans...)
	}
	return run
}
