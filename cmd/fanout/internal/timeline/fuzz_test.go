package timeline

import (
	"testing"
	"time"
	"unicode/utf8"
)

// Whatever the labels, outcome words, titles and times, the drawing is
// well-formed XML with one titled bar per task and labels made safe.
func FuzzDraw(f *testing.F) {
	for _, l := range hostile[:10] {
		f.Add(l, "exists", "1 worker", "3 checked", uint16(1), uint32(0), uint32(100_000))
	}
	f.Add("x", "\xff</title>", "\x00", "]]>", uint16(9999), uint32(1<<31), uint32(0))
	f.Fuzz(func(t *testing.T, label, outcome, title, summary string, lane uint16, startUs, durUs uint32) {
		r := New(4)
		start := r.start.Add(time.Duration(startUs) * time.Microsecond)
		end := start.Add(time.Duration(durUs) * time.Microsecond)
		r.Record(int(lane), start, end, label, outcome)
		r.Record(1, r.start, start, outcome, label)
		r.Record(2, end, end, label+label, "exists")
		run := r.Finish(title, summary)
		short := New(2)
		short.Record(1, short.start, short.start.Add(time.Microsecond), label, outcome)
		svg, html := render(t, run, short.Finish(summary, title))
		for _, doc := range [][]byte{svg, html} {
			bs := titledBars(t, parse(t, doc))
			if len(bs) != 4 {
				t.Fatalf("%d titled bars, want 4", len(bs))
			}
			for _, b := range bs {
				if !utf8.ValidString(b.label) || utf8.RuneCountInString(b.label) > maxLabelRunes {
					t.Errorf("label %q", b.label)
				}
			}
		}
	})
}
