package timeline

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Geometry of the drawing, in px of its viewBox.
const (
	width      = 1200.0
	marginL    = 16.0
	plotX0     = 92.0 // left of the lanes; the gutter before it names them
	plotX1     = width - 28.0
	plotW      = plotX1 - plotX0
	maxRowH    = 24.0  // a lane's height when there are few
	maxAreaH   = 256.0 // the lanes' height when there are many
	maxBarRows = 128   // lanes drawn one to a row; more are grouped
	// zoomBelow: a run shorter than this share of the longest is drawn
	// again, zoomed, under the shared axis.
	zoomBelow = 0.25
	// densityBudget bounds the bytes of a run's density strips: buckets
	// are merged in pairs until they fit.
	densityBudget = 400_000
	// maxColumns bounds the strips' columns: about 7 px or more each,
	// wide enough to read, not noise.
	maxColumns = 160
)

// WriteSVG writes the runs as a standalone SVG picture: one panel per run,
// stacked on one time axis.
func WriteSVG(w io.Writer, runs ...Run) error {
	body, height := draw(runs)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img">`+"\n", width, height, width, height)
	bw.WriteString("<title>")
	escape(bw, docTitle(runs))
	bw.WriteString("</title>\n")
	bw.Write(body)
	bw.WriteString("</svg>\n")
	return bw.Flush()
}

// WriteHTML writes the runs as a self-contained HTML page: the SVG inline,
// its style inline, no script, nothing fetched from anywhere.
func WriteHTML(w io.Writer, runs ...Run) error {
	body, height := draw(runs)
	bw := bufio.NewWriter(w)
	// Well-formed XML as well as HTML, so that it can be checked as such.
	bw.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n" +
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>")
	escape(bw, docTitle(runs))
	bw.WriteString("</title>\n<style>\nbody{margin:0;padding:12px;background:#fff}\n" +
		"svg{display:block;width:100%;max-width:1200px;height:auto;margin:0 auto}\n</style>\n</head>\n<body>\n")
	fmt.Fprintf(bw, `<svg viewBox="0 0 %.0f %.0f" role="img">`+"\n", width, height)
	bw.Write(body)
	bw.WriteString("</svg>\n</body>\n</html>\n")
	return bw.Flush()
}

func docTitle(runs []Run) string {
	var titles []string
	for _, r := range runs {
		if r.Title != "" {
			titles = append(titles, clean(r.Title, maxTitleRunes, false))
		}
	}
	if len(titles) == 0 {
		return "fanout timeline"
	}
	return "fanout timeline: " + strings.Join(titles, ", ")
}

// escape writes untrusted text as XML character data (valid in an HTML
// page too): <, >, &, quotes and line breaks as references, any character
// XML cannot hold as U+FFFD (hotspot#381, FlameGraph#2, devel-nytprof#39).
// Only numeric references are used: an HTML-only entity such as &nbsp;
// breaks a standalone SVG (deno#32708).
func escape(w io.Writer, s string) {
	xml.EscapeText(w, []byte(s)) // writes to a bufio.Writer, whose error Flush reports
}

var style = `<style>
text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Helvetica,Arial,sans-serif;fill:#333}
.h{font-size:15px;font-weight:600;fill:#111}
.cap{fill:#555}
.note{font-size:11px;fill:#666}
.ax{font-size:11px;fill:#666}
.lane{font-size:11px;fill:#777}
.end{font-size:11px;fill:#333}
.bg{fill:#f4f5f7}
.alt{fill:#eceef1}
.grid{stroke:#d3d7dd;stroke-width:1}
.axis{stroke:#9aa1aa;stroke-width:1}
.mark{stroke:#333;stroke-width:1;stroke-dasharray:3 2}
.bars rect:hover{stroke:#000;stroke-width:1.5}
.grouped rect{fill-opacity:0}
.slow{stroke:#000;stroke-opacity:.55;stroke-width:.6}
path.limit{fill:none;stroke-width:2;stroke-linejoin:round}
text.limit{font-size:11px;stroke:none;paint-order:stroke}
.l0{stroke:#111;fill:#111}
.l1{stroke:#0072B2;fill:#0072B2}
.l2{stroke:#D55E00;fill:#D55E00}
.l3{stroke:#CC79A7;fill:#CC79A7}
` + paletteCSS + `</style>
`

// panel is where one run is drawn.
type panel struct {
	run     *Run
	workers int // lanes 1..workers
	rows    int
	rowH    float64
	top     float64 // of the lanes
	areaH   float64
	total   time.Duration // the axis' length
	zoom    float64       // >1 for the zoomed copy of a short run
	id      string        // of the group of bars, when another panel reuses it
	// dense is what the strips show: the run's own density, or, for a
	// run with too many lanes to draw one to a row, one made from its
	// spans, whose bars are then drawn over it as hover targets only.
	dense   *density
	grouped bool
}

func (p *panel) x(t time.Duration) float64 {
	return plotX0 + float64(t)/float64(p.total)*plotW
}

// row returns the row of a lane.
func (p *panel) row(lane int) int {
	return min((max(lane, 1)-1)*p.rows/p.workers, p.rows-1)
}

// draw lays out the runs and returns the SVG's content and height.
func draw(runs []Run) ([]byte, float64) {
	pal := newPalette(runs)
	var longest time.Duration
	for _, r := range runs {
		longest = max(longest, r.duration)
	}
	longest = max(longest, time.Millisecond)
	var body bytes.Buffer
	body.WriteString(style)
	y := 8.0
	// The shared block: every run on one axis, so a short run is seen
	// next to a long one at its true size.
	var zoomed []int
	shared := make([]*panel, len(runs))
	for i := range runs {
		p := newPanel(&runs[i], longest, 1)
		if len(runs) > 1 && float64(runs[i].duration) < zoomBelow*float64(longest) && runs[i].total > 0 {
			zoomed = append(zoomed, i)
			p.id = "run" + strconv.Itoa(i+1)
		}
		shared[i] = p
		y = header(&body, p, pal, y, true)
		p.top = y
		y += p.areaH + 10
	}
	axisY := y - 10
	y = axis(&body, longest, axisY) + 14
	// Zoomed copies of the short runs, each on its own axis: the bars
	// are drawn there, and the shared panel reuses them scaled down.
	zooms := map[int]*panel{}
	for _, i := range zoomed {
		d := max(runs[i].duration, time.Microsecond)
		p := newPanel(&runs[i], d, float64(longest)/float64(d))
		p.id = shared[i].id
		y = header(&body, p, pal, y, false)
		p.top = y
		y += p.areaH
		zooms[i] = p
		y = axis(&body, p.total, y) + 14
	}
	for i, p := range shared {
		if z, ok := zooms[i]; ok {
			lanesBackground(&body, p, longest)
			fmt.Fprintf(&body, `<use href="#%s" transform="translate(%.1f %.1f) scale(%.6f 1) translate(%.1f 0)"/>`+"\n",
				p.id, plotX0, p.top-z.top, 1/z.zoom, -plotX0)
			end := p.x(p.run.duration)
			fmt.Fprintf(&body, `<line class="mark" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", end, p.top, end, p.top+p.areaH)
			fmt.Fprintf(&body, `<text class="end" x="%.1f" y="%.1f">done at %s: zoomed in below</text>`+"\n",
				end+6, p.top+min(p.areaH/2+4, 16), fmtDur(p.run.duration))
			continue
		}
		lanes(&body, p, pal, longest)
	}
	for _, i := range zoomed {
		lanes(&body, zooms[i], pal, zooms[i].total)
	}
	y += 4
	fmt.Fprintf(&body, `<text class="note" x="%.0f" y="%.0f">`, marginL, y)
	body.WriteString("Each bar is one task, from its start to its end, on the worker that ran it. Hover a bar for its input, outcome and duration.</text>\n")
	if slices.ContainsFunc(runs, func(r Run) bool { return len(r.limits) > 0 }) {
		y += 15
		fmt.Fprintf(&body, `<text class="note" x="%.0f" y="%.0f">`, marginL, y)
		body.WriteString("Each line is a host&#39;s limit with -w auto: how many of its requests could be in flight, from 0 at the bottom to the highest at the top.</text>\n")
	}
	y += 10
	return body.Bytes(), math.Ceil(y)
}

func newPanel(r *Run, total time.Duration, zoom float64) *panel {
	p := &panel{run: r, workers: max(r.workers, 1), total: total, zoom: zoom}
	p.dense = r.dense
	if p.dense == nil && p.workers > maxBarRows {
		p.dense, p.grouped = newDensity(p.workers, r.duration), true
		for _, sp := range r.spans {
			p.dense.add(sp)
		}
	}
	if p.dense != nil {
		p.rows = p.dense.rows
	} else {
		p.rows = p.workers
	}
	p.areaH = min(float64(p.rows)*maxRowH, maxAreaH)
	p.rowH = p.areaH / float64(p.rows)
	return p
}

// header writes a panel's title, caption (the run's summary), legend and
// notes from y, and returns where its lanes start.
func header(w *bytes.Buffer, p *panel, pal *palette, y float64, full bool) float64 {
	r := p.run
	title := clean(r.Title, maxTitleRunes, false)
	if !full {
		title = fmt.Sprintf("%s, zoomed in ×%.0f: the same run on its own time axis", title, p.zoom)
		if r.Title == "" {
			title = fmt.Sprintf("Zoomed in ×%.0f: the same run on its own time axis", p.zoom)
		}
	}
	if title != "" {
		y += 18
		fmt.Fprintf(w, `<text class="h" x="%.0f" y="%.0f">`, marginL, y)
		escape(w, title)
		w.WriteString("</text>\n")
	}
	if !full {
		return y + 10
	}
	if r.Summary != "" {
		y += 18
		limit := int(math.Floor((plotX1 - marginL) / (12 * 0.6)))
		fmt.Fprintf(w, `<text class="cap" x="%.0f" y="%.0f">`, marginL, y)
		escape(w, clean(r.Summary, limit, false))
		w.WriteString("</text>\n")
	}
	y += 20
	x := marginL
	if r.total == 0 {
		fmt.Fprintf(w, `<text class="note" x="%.0f" y="%.0f">no tasks</text>`+"\n", x, y)
	}
	// Legend: the run's outcomes in the palette's order (success first),
	// each with its count.
	idx := make([]int, len(r.outcomes))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(pal.class(r.outcomes[a]), pal.class(r.outcomes[b]))
	})
	for _, i := range idx {
		label := clean(r.outcomes[i], maxOutcomeRunes, false) + "  " + fmtCount(r.counts[i])
		wd := 16 + textWidth(label, 12) + 22
		if x+wd > plotX1 && x > marginL {
			x = marginL
			y += 18
		}
		fmt.Fprintf(w, `<rect class="%s" x="%.0f" y="%.0f" width="11" height="11" rx="2"/>`, pal.class(r.outcomes[i]), x, y-10)
		fmt.Fprintf(w, `<text x="%.0f" y="%.0f">`, x+16, y)
		escape(w, label)
		w.WriteString("</text>\n")
		x += wd
	}
	if note := modeNote(p); note != "" {
		y += 17
		fmt.Fprintf(w, `<text class="note" x="%.0f" y="%.0f">`, marginL, y)
		escape(w, note)
		w.WriteString("</text>\n")
	}
	return y + 10
}

// modeNote says how the lanes are drawn when it is not one bar per task
// on one lane per worker.
func modeNote(p *panel) string {
	r := p.run
	if r.dense != nil {
		d := r.dense
		group := ""
		if d.rows < d.lanes {
			group = fmt.Sprintf(", %s workers to a strip", fmtCount((d.lanes+d.rows-1)/d.rows))
		}
		return fmt.Sprintf("%s tasks, more than one bar each can show: each strip's height is the share of time its workers were busy%s; outlined bars are the %s slowest tasks, with tooltips.",
			fmtCount(r.total), group, fmtCount(len(r.spans)))
	}
	if p.grouped {
		return fmt.Sprintf("%s workers, %s to a strip: each strip's height is the share of time its workers were busy; hover it for the tasks.",
			fmtCount(p.workers), fmtCount((p.workers+p.rows-1)/p.rows))
	}
	return ""
}

// axis writes the time axis of total at y and returns the y under it.
func axis(w *bytes.Buffer, total time.Duration, y float64) float64 {
	sec := total.Seconds()
	step, dec := ticks(sec)
	fmt.Fprintf(w, `<line class="axis" x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f"/>`+"\n", plotX0, y, plotX1, y)
	for i := 0; ; i++ {
		t := float64(i) * step
		if t > sec*(1+1e-9) {
			break
		}
		x := plotX0 + t/sec*plotW
		fmt.Fprintf(w, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x, y, x, y+4)
		anchor := "middle"
		if x > plotX1-20 {
			anchor = "end"
		}
		label := strconv.FormatFloat(t, 'f', dec, 64)
		if i == 0 {
			label = "0"
		}
		fmt.Fprintf(w, `<text class="ax" x="%.1f" y="%.1f" text-anchor="%s">%s s</text>`+"\n", x, y+16, anchor, label)
	}
	return y + 20
}

// lanesBackground writes a panel's lanes, lane names and grid.
func lanesBackground(w *bytes.Buffer, p *panel, total time.Duration) {
	fmt.Fprintf(w, `<rect class="bg" x="%.0f" y="%.1f" width="%.0f" height="%.1f"/>`+"\n", plotX0, p.top, plotW, p.areaH)
	if p.rowH >= 4 {
		for r := 1; r < p.rows; r += 2 {
			fmt.Fprintf(w, `<rect class="alt" x="%.0f" y="%.1f" width="%.0f" height="%.1f"/>`, plotX0, p.top+float64(r)*p.rowH, plotW, p.rowH)
		}
		w.WriteString("\n")
	}
	step, _ := ticks(total.Seconds())
	for i := 1; ; i++ {
		t := float64(i) * step
		if t >= total.Seconds() {
			break
		}
		x := plotX0 + t/total.Seconds()*plotW
		fmt.Fprintf(w, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x, p.top, x, p.top+p.areaH)
	}
	w.WriteString("\n")
	// Lane names: each lane when they fit, else a few.
	workers := p.workers
	if p.rows == workers && p.rowH >= 12 {
		for l := 1; l <= workers; l++ {
			laneName(w, p, fmt.Sprintf("worker %d", l), p.top+(float64(l)-0.5)*p.rowH+4)
		}
		return
	}
	step, _ = ticks(float64(workers) * 8 / 6) // about six names
	n := max(int(step), 1)
	names := []int{1}
	for l := n; l <= workers; l += n {
		if l > 1 {
			names = append(names, l)
		}
	}
	if last := names[len(names)-1]; workers-last > n/2 {
		names = append(names, workers)
	}
	for i, l := range names {
		name := strconv.Itoa(l)
		if i == 0 {
			name = "worker 1"
		}
		laneName(w, p, name, p.top+(float64(p.row(l))+0.5)*p.rowH+4)
	}
}

func laneName(w *bytes.Buffer, p *panel, name string, y float64) {
	fmt.Fprintf(w, `<text class="lane" x="%.0f" y="%.1f" text-anchor="end">%s</text>`, plotX0-8, y, name)
	w.WriteString("\n")
}

// lanes writes a panel's lanes and what ran on them.
func lanes(w *bytes.Buffer, p *panel, pal *palette, total time.Duration) {
	lanesBackground(w, p, total)
	class := "bars"
	if p.grouped {
		class = "bars grouped"
	}
	if p.id != "" {
		fmt.Fprintf(w, `<g id="%s" class="%s">`+"\n", p.id, class)
	} else {
		fmt.Fprintf(w, `<g class="%s">`+"\n", class)
	}
	if p.dense != nil {
		strips(w, p, pal)
	}
	bars(w, p, pal)
	w.WriteString("</g>\n")
	limitLines(w, p)
}

// bars writes one <rect> with a <title> per kept task. Within a lane,
// bars keep their order and never overlap: a bar too thin to see is
// widened only into the gap before the lane's next task.
func bars(w *bytes.Buffer, p *panel, pal *palette) {
	spans := slices.Clone(p.run.spans)
	slices.SortFunc(spans, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.lane, b.lane), cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end))
	})
	pad := 0.0 // between rows, when they are tall enough to spare it
	if p.rowH >= 2.5 {
		pad = math.Max(p.rowH*0.12, 0.5)
	}
	slow := ""
	if p.run.dense != nil {
		slow = " slow"
	}
	q := func(x float64) float64 { return math.Round(x*10) / 10 }
	for i, s := range spans {
		x1, x2 := q(p.x(s.start)), q(p.x(s.end))
		wd := x2 - x1
		if wd >= 1.5 {
			wd -= math.Min(1, wd/4) // a gap between back-to-back bars
		}
		if wd < 0.3 {
			wd = 0.3
			if i+1 < len(spans) && spans[i+1].lane == s.lane {
				wd = math.Min(wd, q(p.x(spans[i+1].start))-x1)
			}
		}
		word := p.run.outcomes[s.outcome]
		y := p.top + float64(p.row(int(s.lane)))*p.rowH + pad
		fmt.Fprintf(w, `<rect class="%s%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>`, pal.class(word), slow, x1, y, wd, p.rowH-2*pad)
		escape(w, clean(s.label, maxLabelRunes, true))
		w.WriteString("\n")
		escape(w, clean(word, maxOutcomeRunes, false))
		fmt.Fprintf(w, " · %s · worker %d</title></rect>\n", fmtDur(s.dur()), s.lane)
	}
}

// strips writes a run's density: per strip and time bucket, a column whose
// height is the share of time the strip's workers were busy, stacked by
// outcome; one <path> per outcome. Buckets are merged in pairs until the
// strips fit densityBudget.
func strips(w *bytes.Buffer, p *panel, pal *palette) {
	d := p.dense
	order := make([]int, 0, len(p.run.outcomes))
	for o := range p.run.outcomes {
		if d.busy[o] != nil {
			order = append(order, o)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(pal.class(p.run.outcomes[a]), pal.class(p.run.outcomes[b]))
	})
	merge := 1
	for (d.used+merge-1)/merge > maxColumns {
		merge *= 2
	}
	for ; ; merge *= 2 {
		paths := stripPaths(p, d, order, merge)
		n := 0
		for _, s := range paths {
			n += len(s)
		}
		if n <= densityBudget || merge >= densityBuckets {
			for i, o := range order {
				if paths[i] != "" {
					fmt.Fprintf(w, `<path class="%s" d="%s"/>`+"\n", pal.class(p.run.outcomes[o]), paths[i])
				}
			}
			return
		}
	}
}

// stripPaths returns the path data of each outcome in order, with merge
// buckets to a column.
func stripPaths(p *panel, d *density, order []int, merge int) []string {
	paths := make([]strings.Builder, len(order))
	cols := (d.used + merge - 1) / merge
	colW := d.width * time.Duration(merge)
	q := func(v float64) float64 { return math.Round(v*10) / 10 }
	type run struct {
		x0, x1, y, h float64
		open         bool
	}
	full := p.rowH // a column's height when its workers were all busy
	if p.rowH >= 3 {
		full -= 0.6 // a gap between strips
	}
	for r := range d.rows {
		capacity := float64(d.lanesIn(r))
		bottom := p.top + float64(r+1)*p.rowH
		open := make([]run, len(order))
		flush := func(i int) {
			if o := open[i]; o.open && o.h > 0 {
				fmt.Fprintf(&paths[i], "M%.1f %.1fh%.1fv%.1fh%.1fz", o.x0, o.y, o.x1-o.x0, o.h, o.x0-o.x1)
			}
			open[i].open = false
		}
		for c := range cols {
			t0 := colW * time.Duration(c)
			t1 := min(t0+colW, p.run.duration)
			if t1 <= t0 {
				break
			}
			x0, x1 := q(p.x(t0)), q(p.x(t1))
			// The column's height is the share of time its workers were
			// busy (at least a hairline when any was: one task among many
			// workers still shows), split between the outcomes in
			// proportion to their busy time.
			busy := make([]float64, len(order))
			var all float64
			for i, o := range order {
				for b := c * merge; b < min((c+1)*merge, densityBuckets); b++ {
					busy[i] += d.busy[o][r*densityBuckets+b]
				}
				all += busy[i]
			}
			height := min(all/(float64(t1-t0)*capacity), 1) * full
			if all > 0 {
				height = max(height, 0.8)
			}
			below := 0.0 // the cumulated height, unrounded, so the column adds up
			for i := range order {
				var h, y float64
				if all > 0 {
					h = q(height*(below+busy[i])/all) - q(height*below/all)
					y = q(bottom - height*(below+busy[i])/all)
				}
				below += busy[i]
				if open[i].open && open[i].y == y && open[i].h == h && open[i].x1 == x0 {
					open[i].x1 = x1
					continue
				}
				flush(i)
				open[i] = run{x0: x0, x1: x1, y: y, h: h, open: true}
			}
		}
		for i := range order {
			flush(i)
		}
	}
	out := make([]string, len(order))
	for i := range paths {
		out[i] = paths[i].String()
	}
	return out
}
