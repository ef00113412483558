package timeline

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Limits: with -w auto each host's limit on requests in flight moves
// during the run; a Recorder keeps it as a step line per host, drawn over
// the lanes on the run's time axis.
const (
	// maxLimitKeys is how many hosts get a line: the first ones
	// recorded. More lines over the lanes could not be told apart.
	maxLimitKeys = 4
	// maxLimitPoints bounds a line's steps: beyond it every other step
	// is dropped, which keeps the line's shape (a pixel is wider than
	// the steps of a long run).
	maxLimitPoints = 1024
)

// limitLine is one key's limit over time: n from at on, for each step.
type limitLine struct {
	key string
	pts []limitStep
}

type limitStep struct {
	at time.Duration
	n  int
}

// Limit records that key's limit (how many of its tasks may run at once)
// is n from now on. Only the first few keys recorded are kept.
func (r *Recorder) Limit(key string, n int) {
	if r == nil {
		return
	}
	at := time.Since(r.start)
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.IndexFunc(r.limits, func(l limitLine) bool { return l.key == key })
	if i < 0 {
		if len(r.limits) == maxLimitKeys {
			return
		}
		r.limits = append(r.limits, limitLine{key: key})
		i = len(r.limits) - 1
	}
	l := &r.limits[i]
	if len(l.pts) > 0 && l.pts[len(l.pts)-1].n == n {
		return
	}
	if len(l.pts) == maxLimitPoints {
		k := 0
		for j := 0; j < len(l.pts); j += 2 {
			l.pts[k] = l.pts[j]
			k++
		}
		l.pts = l.pts[:k]
	}
	l.pts = append(l.pts, limitStep{at, n})
}

func cloneLimits(ls []limitLine) []limitLine {
	out := make([]limitLine, len(ls))
	for i, l := range ls {
		out[i] = limitLine{key: l.key, pts: slices.Clone(l.pts)}
	}
	return out
}

// limitLines draws a panel's limits as step lines over its lanes, from 0
// at the bottom to the highest limit near the top, each ending in its
// host's name and its last limit.
func limitLines(w *bytes.Buffer, p *panel) {
	ls := p.run.limits
	if len(ls) == 0 {
		return
	}
	top := 1
	for _, l := range ls {
		for _, s := range l.pts {
			top = max(top, s.n)
		}
	}
	y := func(n int) float64 { return p.top + p.areaH - float64(n)/float64(top)*(p.areaH-4) }
	end := p.x(p.run.duration)
	w.WriteString(`<g class="limits">` + "\n")
	for i, l := range ls {
		if len(l.pts) == 0 {
			continue
		}
		last := l.pts[len(l.pts)-1].n
		fmt.Fprintf(w, `<path class="limit l%d" d="M%.1f %.1f`, i, p.x(l.pts[0].at), y(l.pts[0].n))
		for _, s := range l.pts[1:] {
			fmt.Fprintf(w, `H%.1fV%.1f`, p.x(s.at), y(s.n))
		}
		fmt.Fprintf(w, `H%.1f"><title>`, end)
		escape(w, clean(l.key, maxLabelRunes, true))
		fmt.Fprintf(w, ": requests in flight allowed (-w auto), %d at the start, %d at the end, at most %d</title></path>\n",
			l.pts[0].n, last, slices.MaxFunc(l.pts, func(a, b limitStep) int { return a.n - b.n }).n)
		fmt.Fprintf(w, `<text class="limit l%d" x="%.1f" y="%.1f" text-anchor="end">`, i, end-4, y(last)-4)
		escape(w, clean(l.key, maxOutcomeRunes, false))
		w.WriteString(" " + strconv.Itoa(last) + "</text>\n")
	}
	w.WriteString("</g>\n")
}
