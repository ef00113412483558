package timeline

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// hostile are labels from untrusted input (URLs, file names, command
// output), each after a bug a peer's users filed.
var hostile = []string{
	`</title><script>alert(1)</script>`,                                  // cpython#153840: breaking out of the page
	`"><rect onmouseover="alert(1)`,                                      // devel-nytprof#39, eflame#18: quotes
	`map<A>(reusing:) & Vec<&str>`,                                       // FlameGraph#2, hotspot#381, FlameGraphs-Instruments#2
	"colour \x1b[31mred\x1b[0m",                                          // inferno#313, flamegraph-rs#166: ESC is no XML character
	"nul\x00 bell\x07 del\x7f c1\u0085 end",                              // other control characters
	"bad utf-8 \xff\xfe\xc3( end",                                        // not UTF-8
	"&nbsp; &amp; &#0; &#x1b; ]]> <!-- -->",                              // deno#32708: entities that are text here
	"tab\there\nnewline\r\nreturn",                                       // line breaks inside a label
	"\u202eevil.exe\u202c\u2066 bidi \u2069",                             // Trojan Source: reordering the tooltip
	"\ufffe\uffff noncharacters",                                         // not XML characters either
	strings.Repeat("A", 1<<20),                                           // a 1 MB line
	"https://example.com/" + strings.Repeat("é", 200) + "/the-page-name", // long, cut in the middle
}

// hostileRun records one task per hostile label, with hostile outcome
// words, title and summary too.
func hostileRun() Run {
	r := New(3)
	for i, l := range hostile {
		r.Record(1+i%3, r.start.Add(time.Duration(i)*time.Millisecond), r.start.Add(time.Duration(i+1)*time.Millisecond), l, hostile[(i+1)%4])
	}
	return r.Finish(`<b>title</b> & "quotes" `+"\x1b", `</text><script>x</script> summary `+"\xff")
}

// allowed are the only elements a drawing has: nothing that runs or
// fetches anything.
var allowed = map[string]bool{"svg": true, "title": true, "style": true, "rect": true, "g": true, "text": true,
	"line": true, "path": true, "use": true, "html": true, "head": true, "meta": true, "body": true}

func TestHostileLabelsAreEscapedAndCut(t *testing.T) {
	run := hostileRun()
	svg, html := render(t, run)
	for name, doc := range map[string][]byte{"svg": svg, "html": html} {
		root := parse(t, doc) // well-formed: nothing broke out of its element
		for _, n := range root.all() {
			if !allowed[n.name] {
				t.Errorf("%s: element <%s>", name, n.name)
			}
			for a := range n.attrs {
				if strings.HasPrefix(strings.ToLower(a), "on") {
					t.Errorf("%s: <%s %s=…>", name, n.name, a)
				}
			}
		}
		bs := titledBars(t, root)
		if len(bs) != len(hostile) {
			t.Fatalf("%s: %d bars, want %d", name, len(bs), len(hostile))
		}
		got := map[string]bool{}
		for _, b := range bs {
			got[b.label] = true
			if n := utf8.RuneCountInString(b.label); n > maxLabelRunes || !utf8.ValidString(b.label) {
				t.Errorf("%s: label of %d runes (valid UTF-8: %v), want at most %d", name, n, utf8.ValidString(b.label), maxLabelRunes)
			}
			for _, r := range b.label {
				if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
					t.Errorf("%s: label %q keeps control %U", name, b.label, r)
				}
			}
		}
		// What the tooltip shows is the label itself, made safe, not a
		// mangled or double-escaped copy.
		for _, want := range []string{
			`</title><script>alert(1)</script>`,
			`"><rect onmouseover="alert(1)`,
			`map<A>(reusing:) & Vec<&str>`,
			"colour \ufffd[31mred\ufffd[0m",
			"bad utf-8 \ufffd\ufffd\ufffd( end",
			"&nbsp; &amp; &#0; &#x1b; ]]> <!-- -->",
			"tab here newline  return",
			"\ufffdevil.exe\ufffd\ufffd bidi \ufffd",
			strings.Repeat("A", 49) + "…" + strings.Repeat("A", 50),
			"https://example.com/" + strings.Repeat("é", 29) + "…" + strings.Repeat("é", 36) + "/the-page-name",
		} {
			if !got[want] {
				t.Errorf("%s: no tooltip reads %q", name, want)
			}
		}
		if len(doc) > 64<<10 {
			t.Errorf("%s: %d bytes for %d tasks: the 1 MB label was not cut", name, len(doc), len(hostile))
		}
	}
}

// The page opens from disk with nothing else: no script, nothing fetched
// (no src, no external href, no CSS url() or @import), even though its
// labels are URLs.
func TestHTMLIsSelfContained(t *testing.T) {
	run, _ := checkRun(t, 4, 40)
	_, html := render(t, run, hostileRun())
	root := parse(t, html)
	if root.kids[0].name != "html" {
		t.Fatalf("root element <%s>, want <html>", root.kids[0].name)
	}
	var titles int
	for _, n := range root.all() {
		if !allowed[n.name] {
			t.Errorf("element <%s>", n.name)
		}
		for a, v := range n.attrs {
			lv := strings.ToLower(v)
			if a == "src" || a == "href" && !strings.HasPrefix(v, "#") || strings.Contains(lv, "http:") || strings.Contains(lv, "https:") || strings.Contains(lv, "url(") {
				t.Errorf("<%s %s=%q>: a reference outside the page", n.name, a, v)
			}
		}
		if n.name == "style" && (strings.Contains(n.text, "url(") || strings.Contains(n.text, "@import") || strings.Contains(n.text, "@font-face")) {
			t.Errorf("style fetches something: %q", n.text)
		}
		if n.name == "title" && strings.Contains(n.text, "https://en.wikipedia.org/") {
			titles++
		}
	}
	if titles != 40 {
		t.Errorf("%d tooltips name their URL, want 40", titles)
	}
	if bytes.Contains(bytes.ToLower(html), []byte("<script")) {
		t.Error("a <script> in the page")
	}
}

// The caption is the run's summary, and the legend names each outcome with
// its count.
func TestCaptionAndLegend(t *testing.T) {
	run, _ := checkRun(t, 4, 40)
	svg, _ := render(t, run)
	var texts []string
	for _, n := range parse(t, svg).all() {
		if n.name == "text" {
			texts = append(texts, n.text)
		}
	}
	counts := map[string]int{}
	for i, o := range run.outcomes {
		counts[o] = run.counts[i]
	}
	for _, want := range []string{"4 workers", "40 checked",
		fmt.Sprintf("exists  %d", counts["exists"]), fmt.Sprintf("does not exist  %d", counts["does not exist"]), fmt.Sprintf("error  %d", counts["error"])} {
		found := false
		for _, s := range texts {
			found = found || s == want
		}
		if !found {
			t.Errorf("no text %q in %q", want, texts)
		}
	}
}

// 100,000 tasks: the lanes become density strips, the file stays under
// 1 MB, and the slowest tasks keep their tooltips.
func TestManyTasksStaySmallAndKeepTheSlowest(t *testing.T) {
	slowest := map[int]bool{}
	for i := 0; i < 100_000; i += 100_000 / 40 {
		slowest[i+17] = true
	}
	for _, workers := range []int{8, 64, 1000} {
		r := simulate(workers, 100_000, func(i int) (time.Duration, string) {
			if slowest[i] {
				return 10 * time.Second, "timeout"
			}
			return checkLike(uint64(i), 50*time.Millisecond)(i)
		})
		run := r.Finish(fmt.Sprintf("%d workers", workers), "100000 checked")
		svg, html := render(t, run)
		for name, doc := range map[string][]byte{"svg": svg, "html": html} {
			if len(doc) > 1_000_000 {
				t.Errorf("%d workers, %s: %d bytes, want under 1 MB", workers, name, len(doc))
			}
			root := parse(t, doc)
			bs := titledBars(t, root)
			if len(bs) != slowKept {
				t.Errorf("%d workers, %s: %d tooltips, want the %d slowest", workers, name, len(bs), slowKept)
			}
			kept := map[string]bool{}
			for _, b := range bs {
				kept[b.label] = true
			}
			for i := range slowest {
				if l := fmt.Sprintf("https://en.wikipedia.org/wiki/Page_%d", i); !kept[l] {
					t.Errorf("%d workers, %s: slow task %q has no tooltip", workers, name, l)
				}
			}
			var strips int
			for _, n := range root.all() {
				if n.name == "path" {
					strips++
				}
				if n.name == "text" && strings.Contains(n.text, "100,000 tasks") {
					strips += 1000 // the caption says how the lanes are drawn
				}
			}
			if strips < 1001 {
				t.Errorf("%d workers, %s: no density strips, or no note saying so", workers, name)
			}
		}
	}
}

// Lanes past maxBarRows are grouped into strips; every task keeps its
// titled bar, as a hover target.
func TestManyLanesAreGroupedAndKeepTheirTooltips(t *testing.T) {
	run := simulate(1000, 3000, checkLike(9, 100*time.Millisecond)).Finish("1000 workers", "")
	svg, _ := render(t, run)
	root := parse(t, svg)
	bs := titledBars(t, root)
	if len(bs) != 3000 {
		t.Fatalf("%d bars, want 3000", len(bs))
	}
	ys := map[float64]bool{}
	for _, b := range bs {
		if b.lane < 1 || b.lane > 1000 {
			t.Errorf("worker %d", b.lane)
		}
		ys[b.y] = true
	}
	if len(ys) > densityRows {
		t.Errorf("bars on %d rows, want at most %d", len(ys), densityRows)
	}
	assertNoOverlap(t, "svg", onLane(bs, 1))
}

func onLane(bs []bar, lane int) []bar {
	var out []bar
	for _, b := range bs {
		if b.lane == lane {
			out = append(out, b)
		}
	}
	return out
}

// A run without tasks, or several with nothing in common, still draw.
func TestEdgeRunsDraw(t *testing.T) {
	empty := New(4).Finish("nothing", "0 checked in 0.00s")
	var nilRec *Recorder
	for _, runs := range [][]Run{{}, {empty}, {empty, empty}, {nilRec.Finish("", "")}, {Run{}}} {
		svg, html := render(t, runs...)
		parse(t, svg)
		parse(t, html)
	}
}

func TestWriteFileByExtension(t *testing.T) {
	dir := t.TempDir()
	run, _ := checkRun(t, 2, 10)
	for _, name := range []string{"run.svg", "run.html", "RUN.HTML", "run.htm"} {
		path := filepath.Join(dir, name)
		if err := CheckPath(path); err != nil {
			t.Errorf("CheckPath(%s): %v", name, err)
		}
		if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(path, run); err != nil {
			t.Fatalf("WriteFile(%s): %v", name, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		html := bytes.HasPrefix(b, []byte("<!DOCTYPE html>"))
		if want := !strings.HasSuffix(strings.ToLower(name), ".svg"); html != want {
			t.Errorf("%s: an HTML page: %v, want %v", name, html, want)
		}
		if len(titledBars(t, parse(t, b))) != 10 {
			t.Errorf("%s: not the run", name)
		}
	}
	for _, name := range []string{"run.png", "run", "run.svg.txt"} {
		path := filepath.Join(dir, name)
		if err := CheckPath(path); !errors.Is(err, ErrFormat) {
			t.Errorf("CheckPath(%s) = %v, want ErrFormat", name, err)
		}
		if err := WriteFile(path, run); !errors.Is(err, ErrFormat) {
			t.Errorf("WriteFile(%s) = %v, want ErrFormat", name, err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("%s written", name)
		}
	}
	if err := CheckPath(filepath.Join(dir, "no", "such", "run.svg")); err == nil {
		t.Error("CheckPath accepts a missing directory")
	}
	if err := CheckPath(filepath.Join(dir, "run.svg", "x.svg")); err == nil {
		t.Error("CheckPath accepts a file as the directory")
	}
	if err := WriteFile(filepath.Join(dir, "no", "run.svg"), run); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("%d files in the directory, want the 4 written (no temporary left)", len(entries))
	}
}

func TestTicks(t *testing.T) {
	for _, c := range []struct {
		total float64
		step  float64
		dec   int
	}{
		{5.17, 1, 0}, {0.104, 0.02, 2}, {86, 20, 0}, {3.6, 0.5, 1}, {0.0004, 0.00005, 5}, {1, 0.2, 1}, {7200, 1000, 0},
	} {
		step, dec := ticks(c.total)
		if step < c.step*0.999 || step > c.step*1.001 || dec != c.dec {
			t.Errorf("ticks(%v) = %v, %d; want %v, %d", c.total, step, dec, c.step, c.dec)
		}
		if n := c.total / step; n < 4 || n > 9 {
			t.Errorf("ticks(%v): %v ticks", c.total, n)
		}
	}
}

func TestFmtDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0 µs", 340 * time.Microsecond: "340 µs", 100 * time.Millisecond: "100 ms", 1234567 * time.Nanosecond: "1.23 ms",
		5170 * time.Millisecond: "5.17 s", 42 * time.Second: "42.0 s", 2 * time.Hour: "7200 s",
	} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", d, got, want)
		}
	}
}

// The commands' outcome words get readable, distinct colours: success
// green, the input's own failure vermilion, errors and timeouts their own.
func TestPalette(t *testing.T) {
	r := New(1)
	for _, w := range []string{"timeout", "error", "does not exist", "exists", "blocked", "exit 1", "exit 2"} {
		r.Record(1, r.start, r.start, "x", w)
	}
	p := newPalette([]Run{r.Finish("", "")})
	want := map[string]string{"exists": green, "does not exist": vermilion, "error": purple, "timeout": orange}
	if c := family(CutShort); c != orange {
		t.Errorf("%q is %s, want %s, as a cancelled task", CutShort, c, orange)
	}
	used := map[string]string{}
	for _, w := range p.words {
		c := p.color[w]
		if want[w] != "" && c != want[w] {
			t.Errorf("%q is %s, want %s", w, c, want[w])
		}
		if o, ok := used[c]; ok {
			t.Errorf("%q and %q share %s", w, o, c)
		}
		used[c] = w
	}
	if len(used) != 7 {
		t.Errorf("%d colours for 7 words", len(used))
	}
}
