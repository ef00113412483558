package command

import (
	"context"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
)

// bar is one task of a timeline: a <rect> with a <title> tooltip.
type bar struct {
	x, w   float64
	worker int
	title  string
}

// parseBars reads every titled <rect> of an SVG or HTML timeline with
// encoding/xml: each task's bar, whatever panel it is in.
func parseBars(t *testing.T, path string) []bar {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	var bars []bar
	var cur *bar
	worker := regexp.MustCompile(`worker (\d+)$`)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed: %v", path, err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if el.Name.Local == "rect" {
				b := bar{}
				for _, a := range el.Attr {
					v, _ := strconv.ParseFloat(a.Value, 64)
					switch a.Name.Local {
					case "x":
						b.x = v
					case "width":
						b.w = v
					}
				}
				cur = &b
			}
			if el.Name.Local == "title" && cur != nil {
				var text string
				if err := dec.DecodeElement(&text, &el); err != nil {
					t.Fatal(err)
				}
				cur.title = text
				if m := worker.FindStringSubmatch(text); m != nil {
					cur.worker, _ = strconv.Atoi(m[1])
				}
				bars = append(bars, *cur)
				cur = nil
			}
		case xml.EndElement:
			if el.Name.Local == "rect" {
				cur = nil
			}
		}
	}
	return bars
}

// --timeline on a command: one titled bar per task, naming its input, its
// outcome and its duration, on lanes within the worker bound, and the
// bars of one lane never overlap (a worker runs one task at a time).
func TestTimelineOfARun(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{Latency: 5 * time.Millisecond})
	var urls []string
	for i := range 40 {
		urls = append(urls, site.WikiURL("T"+strconv.Itoa(i)))
	}
	urls = append(urls, site.WikiURL("this_page_does_not_exist"))
	path := filepath.Join(t.TempDir(), "run.svg")
	_, stderr, code := run(t, context.Background(), "", append([]string{"check", "-w", "4", "--timeline", path}, urls...)...)
	if code != ExitSome || !strings.Contains(stderr, "timeline: "+path) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	bars := parseBars(t, path)
	if len(bars) != len(urls) {
		t.Fatalf("%d titled bars, want one per input (%d)", len(bars), len(urls))
	}
	seen := map[string]bool{}
	lanes := map[int][]bar{}
	for _, b := range bars {
		input, rest, _ := strings.Cut(b.title, "\n")
		seen[input] = true
		if !regexp.MustCompile(`^(exists|does not exist) · [\d.]+ ms · worker \d+$`).MatchString(rest) {
			t.Errorf("title %q: want outcome, duration and worker", b.title)
		}
		if b.worker < 1 || b.worker > 4 {
			t.Errorf("bar on worker %d, outside 1..4", b.worker)
		}
		lanes[b.worker] = append(lanes[b.worker], b)
	}
	for _, u := range urls {
		if !seen[u] {
			t.Errorf("no bar for %s", u)
		}
	}
	for w, bs := range lanes {
		for i := range bs {
			for j := range i {
				a, b := bs[i], bs[j]
				if a.x < b.x+b.w-0.05 && b.x < a.x+a.w-0.05 {
					t.Errorf("worker %d: bars overlap: %+v and %+v", w, a, b)
				}
			}
		}
	}
}

// --compare --timeline draws both runs, one worker then many; a bad file
// name is a usage error before anything runs; HTML is self-contained.
func TestTimelineCompareAndUsage(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	dir := t.TempDir()
	path := filepath.Join(dir, "both.html")
	_, stderr, code := run(t, context.Background(), "", "probe", "--compare", "-w", "3", "--timeline", path,
		site.WikiURL("A"), site.WikiURL("B"), site.WikiURL("C"))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	page, _ := os.ReadFile(path)
	if n := len(parseBars(t, path)); n != 6 {
		t.Errorf("%d bars, want 3 per run", n)
	}
	for _, want := range []string{"1 worker", "3 workers"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("no panel %q", want)
		}
	}
	if regexp.MustCompile(`(?i)<script|https?://[^"<]*\.(js|css|woff)`).Match(page) {
		t.Error("the page loads something")
	}
	for _, bad := range []string{filepath.Join(dir, "x.png"), filepath.Join(dir, "missing", "x.svg")} {
		out, stderr, code := run(t, context.Background(), "", "check", "--timeline", bad, site.WikiURL("A"))
		if code != ExitUsage || out != "" || site.Hits("/wiki/A") != 2 {
			t.Errorf("--timeline %s: exit %d, stdout %q, stderr %q; want a usage error before any request", bad, code, out, stderr)
		}
	}
}

// The demo's picture: both runs, 2 x pages bars, and the output says where.
func TestDemoTimeline(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "demo.svg")
	out, stderr, code := run(t, context.Background(), "", "demo", "--latency", "5ms", "--pages", "8", "--timeline", path)
	if code != ExitOK || !strings.Contains(out, path) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if n := len(parseBars(t, path)); n != 16 {
		t.Errorf("%d bars, want 8 per run", n)
	}
}

// Issue 23: a timeline written after Ctrl-C labelled the tasks it cut
// short "error", their records' word, where the summary says "cut short".
// A task that finished keeps its own word.
func TestTimelineInterruptedSaysCutShort(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	path := filepath.Join(t.TempDir(), "run.svg")
	hang, a := site.URL()+"/hang", site.WikiURL("A")
	_, stderr, code := run(t, ctxOnceServed(t, site, "/wiki/A", "/hang"), "", "check", "--retries", "0", "--timeline", path, a, hang)
	if code != ExitInterrupted || !strings.Contains(stderr, "interrupted: 1 done, 1 cut short") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	words := map[string]string{}
	for _, b := range parseBars(t, path) {
		input, rest, _ := strings.Cut(b.title, "\n")
		words[input], _, _ = strings.Cut(rest, " · ")
	}
	if words[a] != "exists" || words[hang] != "cut short" {
		t.Errorf("bars say %q, want exists and cut short", words)
	}
}
