package timeline

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// -w auto's limits are drawn as one step line per host over the lanes: a
// step where the limit moved, at its time on the axis, higher for a
// higher limit, with a tooltip and the last limit at its end; only the
// first few hosts, and a host's name is escaped like any label.
func TestLimitLines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := New(4)
		hosts := []string{"127.0.0.1:8080", "</title><script>x</script>", "c", "d", "e", "f"}
		for _, h := range hosts {
			r.Limit(h, 6)
		}
		start := time.Now()
		time.Sleep(100 * time.Millisecond)
		r.Limit(hosts[0], 15)
		r.Limit(hosts[0], 15) // no change: no step
		time.Sleep(100 * time.Millisecond)
		r.Limit(hosts[0], 37)
		r.Limit(hosts[1], 3)
		time.Sleep(200 * time.Millisecond)
		r.Record(1, start, time.Now(), "http://127.0.0.1:8080/", "exists")
		run := r.Finish("auto", "1 checked")
		svg, _ := render(t, run)
		var paths []*node
		texts := map[string]bool{}
		for _, n := range parse(t, svg).all() {
			switch {
			case n.name == "path" && strings.HasPrefix(n.attrs["class"], "limit "):
				paths = append(paths, n)
			case n.name == "text" && strings.HasPrefix(n.attrs["class"], "limit "):
				texts[n.text] = true
			}
		}
		if len(paths) != maxLimitKeys {
			t.Fatalf("%d limit lines; want the first %d hosts'", len(paths), maxLimitKeys)
		}
		// M x y, then H x V y per step, then H to the run's end.
		d := paths[0].attrs["d"]
		m := regexp.MustCompile(`^M([\d.]+) ([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)$`).FindStringSubmatch(d)
		if m == nil {
			t.Fatalf("the first host's line is %q; want 3 steps (6, 15, 37)", d)
		}
		f := make([]float64, len(m)-1)
		for i := range f {
			f[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		x0, y6, x1, y15, x2, y37, end := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
		// The run lasts 400 ms: the steps at 100 and 200 ms are a quarter
		// and a half of the way along the plot.
		if x0 != plotX0 || !near(x1-plotX0, plotW/4) || !near(x2-plotX0, plotW/2) || !near(end, plotX1) {
			t.Errorf("steps at x %v, %v, %v, ending at %v; want %v, +%v, +%v, %v", x0, x1, x2, end, plotX0, plotW/4, plotW/2, plotX1)
		}
		if !(y6 > y15 && y15 > y37) || !near((y6-y37)/(y15-y37), (37-6)/(37-15.0)) {
			t.Errorf("limits 6, 15, 37 drawn at y %v, %v, %v: not in proportion", y6, y15, y37)
		}
		title := paths[0].kids[0].text
		if want := "127.0.0.1:8080: requests in flight allowed (-w auto), 6 at the start, 37 at the end, at most 37"; title != want {
			t.Errorf("tooltip %q, want %q", title, want)
		}
		if !texts["127.0.0.1:8080 37"] || !texts["</title><script>x</script> 3"] {
			t.Errorf("the lines' ends say %v", texts)
		}
		if strings.Contains(string(svg), "<script>") {
			t.Error("a host's name was not escaped")
		}
	})
}

// A long run keeps a bounded number of steps, its first and its last.
func TestLimitStepsBounded(t *testing.T) {
	r := New(1)
	for i := range 10 * maxLimitPoints {
		r.Limit("a", i+1)
	}
	pts := r.Finish("", "").limits[0].pts
	if len(pts) > maxLimitPoints || pts[0].n != 1 || pts[len(pts)-1].n != 10*maxLimitPoints {
		t.Errorf("%d steps, from %d to %d; want at most %d, from 1 to %d", len(pts), pts[0].n, pts[len(pts)-1].n, maxLimitPoints, 10*maxLimitPoints)
	}
}

func near(a, b float64) bool { return a-b < 0.2 && b-a < 0.2 }
