package timeline

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/fanout-dev/fanout"
)

// A command without --timeline has a nil Recorder: timing a task through
// it reads no clock and allocates nothing.
func TestNilRecorderRecordsNothingForFree(t *testing.T) {
	var r *Recorder
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		task := r.Start(ctx)
		task.End("https://example.com/", "exists")
		r.Record(1, time.Now(), time.Now(), "x", "exists")
	})
	if allocs != 0 {
		t.Errorf("nil Recorder: %v allocations per task, want 0", allocs)
	}
	if task := r.Start(ctx); task != (Task{}) {
		t.Errorf("nil Recorder started %+v, want the zero Task (no clock read)", task)
	}
	run := r.Finish("t", "s")
	if run.total != 0 || run.Title != "t" || run.Summary != "s" {
		t.Errorf("nil Recorder finished %+v", run)
	}
}

// checkRun runs n tiny tasks on a real executor of the given size, timed
// by a Recorder as a command would, and returns the run and how long each
// input was asked to sleep.
func checkRun(t *testing.T, workers, n int) (Run, map[string]time.Duration) {
	t.Helper()
	rec := New(workers)
	ex := fanout.New(fanout.WithWorkers(workers))
	defer ex.Shutdown()
	rng := rand.New(rand.NewPCG(1, 2))
	sleeps := map[string]time.Duration{}
	var inputs []string
	for i := range n {
		in := fmt.Sprintf("https://en.wikipedia.org/wiki/Page_%d", i)
		inputs = append(inputs, in)
		sleeps[in] = time.Duration(50+rng.IntN(400)) * time.Microsecond
	}
	outcome := func(in string) string {
		switch n := len(in); {
		case in[n-1] == '7':
			return "does not exist"
		case in[n-1] == '3':
			return "error"
		}
		return "exists"
	}
	for _, err := range fanout.MapUnordered(context.Background(), ex, slices.Values(inputs), func(ctx context.Context, in string) (string, error) {
		task := rec.Start(ctx)
		time.Sleep(sleeps[in])
		task.End(in, outcome(in))
		return in, nil
	}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	return rec.Finish(fmt.Sprintf("%d workers", workers), fmt.Sprintf("%d checked", n)), sleeps
}

// A real run of the library, drawn: one titled bar per task, on the lane
// of the worker that ran it, within the worker bound; a lane's bars never
// overlap in time, in the record or on the page; each title names the
// input, the outcome and a duration at least the task's sleep.
func TestRealRunOneBarPerTaskOnItsWorkersLane(t *testing.T) {
	const workers, n = 8, 300
	run, sleeps := checkRun(t, workers, n)
	if run.total != n || len(run.spans) != n || run.dense != nil {
		t.Fatalf("recorded %d tasks, kept %d (dense %v), want %d kept one by one", run.total, len(run.spans), run.dense != nil, n)
	}
	// The record: a worker runs one task at a time.
	byLane := map[int32][]span{}
	for _, s := range run.spans {
		byLane[s.lane] = append(byLane[s.lane], s)
	}
	for lane, ss := range byLane {
		if lane < 1 || lane > workers {
			t.Errorf("task on lane %d, outside 1..%d", lane, workers)
		}
		slices.SortFunc(ss, func(a, b span) int { return int(a.start - b.start) })
		for i := 1; i < len(ss); i++ {
			if ss[i].start < ss[i-1].end {
				t.Errorf("lane %d: a task starts at %v before the previous ends at %v", lane, ss[i].start, ss[i-1].end)
			}
		}
	}
	svg, html := render(t, run)
	for name, doc := range map[string][]byte{"svg": svg, "html": html} {
		bs := titledBars(t, parse(t, doc))
		if len(bs) != n {
			t.Fatalf("%s: %d titled bars, want one per task: %d", name, len(bs), n)
		}
		seen := map[string]bool{}
		laneY := map[int]float64{}
		for _, b := range bs {
			want, ok := sleeps[b.label]
			if !ok || seen[b.label] {
				t.Errorf("%s: bar for %q: not an input, or a second bar", name, b.label)
			}
			seen[b.label] = true
			if b.lane < 1 || b.lane > workers {
				t.Errorf("%s: bar on worker %d, outside 1..%d", name, b.lane, workers)
			}
			if got := parseDur(t, b.dur); got < want.Seconds()*0.99 {
				t.Errorf("%s: %q lasted %s by its title, less than its %v sleep", name, b.label, b.dur, want)
			}
			if want := map[byte]string{'7': "does not exist", '3': "error"}[b.label[len(b.label)-1]]; want != "" && b.outcome != want || want == "" && b.outcome != "exists" {
				t.Errorf("%s: %q has outcome %q", name, b.label, b.outcome)
			}
			if y, ok := laneY[b.lane]; ok && y != b.y {
				t.Errorf("%s: worker %d's bars at y=%v and y=%v", name, b.lane, y, b.y)
			}
			laneY[b.lane] = b.y
		}
		for l := 2; l <= workers; l++ {
			if y, ok := laneY[l]; ok && y <= laneY[l-1] {
				t.Errorf("%s: worker %d drawn at y=%v, not below worker %d at %v", name, l, y, l-1, laneY[l-1])
			}
		}
		assertNoOverlap(t, name, bs)
	}
}

// assertNoOverlap checks that no two bars of a lane overlap on the page.
// (A lane is drawn once per panel, at its own height.)
func assertNoOverlap(t *testing.T, name string, bs []bar) {
	t.Helper()
	type row struct {
		lane int
		y    float64
	}
	byLane := map[row][]bar{}
	for _, b := range bs {
		byLane[row{b.lane, b.y}] = append(byLane[row{b.lane, b.y}], b)
	}
	for lane, lb := range byLane {
		slices.SortFunc(lb, func(a, b bar) int { return int(math.Copysign(1, a.x-b.x)) })
		for i := 1; i < len(lb); i++ {
			if prev := lb[i-1]; lb[i].x < prev.x+prev.w-1e-9 {
				t.Errorf("%s: worker %d: bar %q at x=%v overlaps %q at x=%v..%v", name, lane.lane, lb[i].label, lb[i].x, prev.label, prev.x, prev.x+prev.w)
			}
		}
	}
}

// parseDur reads fmtDur's output back, in seconds.
func parseDur(t testing.TB, s string) float64 {
	t.Helper()
	num, unit, ok := strings.Cut(s, " ")
	v, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil {
		t.Fatalf("duration %q: %v", s, err)
	}
	return v * map[string]float64{"µs": 1e-6, "ms": 1e-3, "s": 1}[unit]
}

// The tutorials' point, in controlled time: fifty 100 ms tasks take 5 s
// one at a time and 0.1 s at once. Drawn on one axis, the concurrent run
// is a sliver 1/50 of the sequential one, drawn again zoomed; each task
// still has exactly one titled bar, with its exact duration.
func TestDemoLikeRunsShareOneAxis(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var pages []string
		for i := range 50 {
			pages = append(pages, fmt.Sprintf("http://127.0.0.1/wiki/%d", i))
		}
		run := func(workers int) Run {
			rec := New(workers)
			ex := fanout.New(fanout.WithWorkers(workers))
			defer ex.Shutdown()
			for _, err := range fanout.Map(context.Background(), ex, slices.Values(pages), func(ctx context.Context, p string) (string, error) {
				task := rec.Start(ctx)
				time.Sleep(100 * time.Millisecond)
				task.End(p, "exists")
				return p, nil
			}) {
				if err != nil {
					t.Fatal(err)
				}
			}
			return rec.Finish(fmt.Sprintf("%d workers", workers), "")
		}
		one, many := run(1), run(50)
		if one.duration != 5*time.Second || many.duration != 100*time.Millisecond {
			t.Fatalf("durations %v and %v, want 5s and 100ms", one.duration, many.duration)
		}
		svg, _ := render(t, one, many)
		root := parse(t, svg)
		bs := titledBars(t, root)
		if len(bs) != 100 {
			t.Fatalf("%d titled bars, want 100", len(bs))
		}
		var seq, conc []bar
		for _, b := range bs {
			if b.dur != "100 ms" {
				t.Errorf("%q lasted %s by its title, want 100 ms", b.label, b.dur)
			}
			if b.w > plotW/2 {
				conc = append(conc, b) // the zoomed copy: every bar spans the axis
			} else {
				seq = append(seq, b)
			}
		}
		if len(seq) != 50 || len(conc) != 50 {
			t.Fatalf("%d bars one at a time and %d zoomed, want 50 and 50", len(seq), len(conc))
		}
		for _, b := range seq {
			if b.lane != 1 || b.w < plotW/50-1.5 || b.w > plotW/50 {
				t.Errorf("one at a time: %q on worker %d, %.1f px wide; want worker 1, 1/50 of %v px", b.label, b.lane, b.w, plotW)
			}
		}
		assertNoOverlap(t, "svg", bs)
		lanes := map[int]bool{}
		for _, b := range conc {
			lanes[b.lane] = true
		}
		if len(lanes) != 50 {
			t.Errorf("concurrently: the 50 tasks ran on %d workers, want 50", len(lanes))
		}
		// The shared axis shows the concurrent run at its true size: its
		// zoomed bars, reused at 1/50 of their width.
		var uses []string
		for _, n := range root.all() {
			if n.name == "use" {
				uses = append(uses, n.attrs["transform"])
			}
		}
		if len(uses) != 1 || !strings.Contains(uses[0], "scale(0.020000 1)") {
			t.Errorf("shared-axis copies %q, want one scaled to 1/50", uses)
		}
	})
}

// Past the limit, memory stops growing with the number of tasks: the
// spans are folded into fixed-size density and the slowest few.
func TestOverLimitMemoryIsBounded(t *testing.T) {
	r := simulate(64, 20_000, checkLike(7, 10*time.Millisecond))
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spans != nil || r.dense == nil || len(r.slow) != slowKept {
		t.Fatalf("over the limit: %d spans kept, density %v, %d slowest; want none, some, %d", len(r.spans), r.dense != nil, len(r.slow), slowKept)
	}
	for o, cells := range r.dense.busy {
		if cells != nil && len(cells) != r.dense.rows*densityBuckets {
			t.Errorf("outcome %d: %d cells, want %d", o, len(cells), r.dense.rows*densityBuckets)
		}
	}
	if r.dense.used > densityBuckets || r.dense.used <= densityBuckets/2 {
		t.Errorf("%d buckets used of %d: the width should double only when needed", r.dense.used, densityBuckets)
	}
}

// Doubling the bucket width as the run grows merges buckets without
// losing or inventing busy time.
func TestDensityKeepsBusyTimeAcrossDoubling(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d := newDensity(10, 0)
	var want float64
	var at time.Duration
	for range 5000 {
		s := at + time.Duration(rng.IntN(1000))*time.Microsecond
		e := s + time.Duration(rng.IntN(50_000))*time.Microsecond
		at += time.Duration(rng.IntN(400)) * time.Microsecond
		d.add(span{start: s, end: e, lane: int32(1 + rng.IntN(10)), outcome: uint8(rng.IntN(3))})
		want += float64(e - s)
	}
	var got float64
	for _, cells := range d.busy {
		for _, c := range cells {
			got += c
		}
	}
	if math.Abs(got-want) > want*1e-9 {
		t.Errorf("busy time %v after doubling to %v buckets, want %v", time.Duration(got), d.width, time.Duration(want))
	}
	if d.width <= time.Microsecond {
		t.Errorf("bucket width %v: never doubled", d.width)
	}
}

// The slowest tasks are the ones kept, whatever the order they come in.
func TestSlowestAreKept(t *testing.T) {
	r := New(4)
	r.limit = 10
	perm := rand.New(rand.NewPCG(5, 6)).Perm(2000)
	for _, i := range perm {
		r.Record(1+i%4, r.start, r.start.Add(time.Duration(i+1)*time.Millisecond), strconv.Itoa(i), "exists")
	}
	run := r.Finish("", "")
	if len(run.spans) != slowKept {
		t.Fatalf("kept %d, want %d", len(run.spans), slowKept)
	}
	for _, s := range run.spans {
		if i, _ := strconv.Atoi(s.label); i < 2000-slowKept {
			t.Errorf("kept task %d (%v), not among the %d slowest", i, s.dur(), slowKept)
		}
	}
}

// A run tells at most maxOutcomes words apart; the rest are "other", and
// every task is still counted.
func TestOutcomesBeyondThePaletteAreOther(t *testing.T) {
	r := New(2)
	for i := range 40 {
		r.Record(1, r.start, r.start, "x", fmt.Sprintf("exit %d", i%20))
	}
	run := r.Finish("", "")
	if len(run.outcomes) != maxOutcomes || run.outcomes[maxOutcomes-1] != otherOutcome {
		t.Fatalf("outcomes %q: want %d, the last %q", run.outcomes, maxOutcomes, otherOutcome)
	}
	sum := 0
	for _, c := range run.counts {
		sum += c
	}
	if sum != 40 || run.counts[maxOutcomes-1] != 2*(20-(maxOutcomes-1)) {
		t.Errorf("counts %v: want 40 in all, %d other", run.counts, 2*(20-(maxOutcomes-1)))
	}
}

// A 1 MB input line is not kept whole: the label is cut to its start and
// its end, on rune boundaries, into a copy so the line can be freed.
func TestLongLabelIsCutAndCopied(t *testing.T) {
	long := "x" + strings.Repeat("é", 1<<19) + "/the-end" // 1 MiB of two-byte runes, odd offsets
	r := New(1)
	r.Record(1, r.start, r.start, long, "exists")
	got := r.Finish("", "").spans[0].label
	head, tail, ok := strings.Cut(got, "…")
	if !ok || len(got) > maxLabelBytes+len("…") || !strings.HasPrefix(long, head) || !strings.HasSuffix(long, tail) ||
		!strings.HasSuffix(tail, "/the-end") || !utf8.ValidString(got) {
		t.Errorf("kept %d bytes of the label: %q…%q", len(got), head[:min(len(head), 10)], tail[max(0, len(tail)-10):])
	}
	if unsafe.StringData(head) == unsafe.StringData(long) {
		t.Error("kept label shares the 1 MiB line's memory")
	}
}

// Times outside the run and lanes outside the bound do not break the
// drawing: a task before the start starts at 0; lane 0 (WorkerID outside
// a task) is lane 1; a lane past the bound widens it.
func TestOddInputsStayDrawable(t *testing.T) {
	r := New(2)
	r.Record(0, r.start.Add(-time.Second), r.start.Add(time.Millisecond), "early", "exists")
	r.Record(5, r.start.Add(2*time.Millisecond), r.start.Add(time.Millisecond), "backwards", "exists")
	run := r.Finish("", "")
	if run.workers != 5 {
		t.Errorf("workers %d, want 5 (a task ran on lane 5)", run.workers)
	}
	for _, s := range run.spans {
		if s.start < 0 || s.end < s.start || s.lane < 1 {
			t.Errorf("span %+v", s)
		}
	}
	svg, _ := render(t, run)
	if bs := titledBars(t, parse(t, svg)); len(bs) != 2 {
		t.Errorf("%d bars, want 2", len(bs))
	}
}

// Many workers record at once, across the limit, while the run is read:
// every task is counted once (run with -race).
func TestConcurrentRecording(t *testing.T) {
	const goroutines, each = 8, 1000
	r := New(goroutines)
	r.limit = 3000
	done := make(chan struct{})
	for g := range goroutines {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range each {
				s := r.start.Add(time.Duration(i) * time.Millisecond)
				r.Record(g+1, s, s.Add(time.Millisecond), strconv.Itoa(i), []string{"exists", "error"}[i%2])
				if i%250 == 0 {
					r.Finish("", "")
				}
			}
		}()
	}
	for range goroutines {
		<-done
	}
	run := r.Finish("", "")
	sum := 0
	for _, c := range run.counts {
		sum += c
	}
	if run.total != goroutines*each || sum != run.total || run.dense == nil {
		t.Errorf("total %d, counted %d (dense %v), want %d", run.total, sum, run.dense != nil, goroutines*each)
	}
}
