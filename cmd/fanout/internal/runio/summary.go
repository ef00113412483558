package runio

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// Tally counts records per outcome for the end-of-run summary.
type Tally struct {
	mu     sync.Mutex
	order  []string
	counts map[string]int
	sums   map[string]int64
	total  int
	start  time.Time
}

// NewTally starts the clock; order lists the outcomes in the order the
// summary prints them (others follow in order of first appearance).
func NewTally(order ...string) *Tally {
	return &Tally{order: order, counts: map[string]int{}, sums: map[string]int64{}, start: time.Now()}
}

// Add counts one record with the given outcome.
func (t *Tally) Add(outcome string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.counts[outcome]; !ok {
		found := false
		for _, o := range t.order {
			found = found || o == outcome
		}
		if !found {
			t.order = append(t.order, outcome)
		}
	}
	t.counts[outcome]++
	t.total++
}

// Sum adds n to the named total (bytes saved, replacements made), for
// summaries that say more than counts.
func (t *Tally) Sum(name string, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sums[name] += n
}

// SumOf returns the named total.
func (t *Tally) SumOf(name string) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sums[name]
}

// Count returns how many records had the outcome.
func (t *Tally) Count(outcome string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts[outcome]
}

// Each calls fn with every outcome counted, in the summary's order.
func (t *Tally) Each(fn func(outcome string, n int)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, o := range t.order {
		if n := t.counts[o]; n > 0 {
			fn(o, n)
		}
	}
}

// Under counts the outcomes named prefix + a reason ("skipped: binary",
// "skipped: mailto"): their total, and "N reason" for each, sorted.
func (t *Tally) Under(prefix string) (total int, parts []string) {
	t.Each(func(outcome string, n int) {
		if why, ok := strings.CutPrefix(outcome, prefix); ok {
			total += n
			parts = append(parts, fmt.Sprintf("%d %s", n, why))
		}
	})
	sort.Strings(parts)
	return total, parts
}

// Total returns how many records were counted.
func (t *Tally) Total() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

// Elapsed returns the time since the tally was made.
func (t *Tally) Elapsed() time.Duration { return time.Since(t.start) }

// Summary is the one line printed at the end: counts per outcome, elapsed
// time and rate, e.g. "50 checked: 48 exists, 2 does not exist in 0.12s (416/s)".
func (t *Tally) Summary(verb string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	el := time.Since(t.start)
	var parts []string
	for _, o := range t.order {
		if n := t.counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	rate := 0.0
	if el > 0 {
		rate = float64(t.total) / el.Seconds()
	}
	s := fmt.Sprintf("%d %s", t.total, verb)
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s + fmt.Sprintf(" in %.2fs (%.0f/s)", el.Seconds(), rate)
}

// PrintSummary writes the summary line to w.
func (t *Tally) PrintSummary(w io.Writer, verb string) { fmt.Fprintln(w, t.Summary(verb)) }
