package timeline

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/fanout-dev/fanout"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
)

var samples = flag.String("samples", "", "keep the sample pictures in this directory (the demo then runs at its real 100 ms latency)")

// TestSamples draws the pictures looked at in a browser while building the
// drawing, and checks each parses with one tooltip per kept task: the
// demo's two runs against the real simulated site, and simulated runs on
// 1, 6, 64 and 1,000 workers, below and above the span limit. With
// -samples DIR they are kept (docs/timeline-sample.png is demo.html's
// screenshot).
func TestSamples(t *testing.T) {
	dir, latency := *samples, 100*time.Millisecond
	if dir == "" {
		dir, latency = t.TempDir(), 10*time.Millisecond
	}
	one, many := demoRuns(t, latency, 64)
	check(t, dir, "demo", 100, one, many)
	for _, c := range []struct {
		name       string
		workers, n int
		latency    time.Duration
	}{
		{"w1", 1, 40, 80 * time.Millisecond},
		{"w6", 6, 300, 80 * time.Millisecond},
		{"w20", 20, 600, 80 * time.Millisecond},
		{"w64", 64, 2000, 120 * time.Millisecond},
		{"w1000", 1000, 4000, 300 * time.Millisecond},
		{"dense64", 64, 100_000, 50 * time.Millisecond},
		{"dense1000", 1000, 100_000, 200 * time.Millisecond},
	} {
		r := simulate(c.workers, c.n, checkLike(uint64(c.n), c.latency))
		title := fmt.Sprintf("%s workers", fmtCount(c.workers))
		if c.workers == 1 {
			title = "1 worker"
		}
		run := r.Finish(title, fmt.Sprintf("%d checked (simulated)", c.n))
		tooltips := c.n
		if c.n > spanLimit {
			tooltips = slowKept
		}
		check(t, dir, c.name, tooltips, run)
	}
}

// demoRuns is `fanout demo`: 50 pages of the simulated site checked with
// one worker, then with workers, each timed as the run path will.
func demoRuns(t *testing.T, latency time.Duration, workers int) (Run, Run) {
	site := sitetest.Start(t, demosite.Options{Latency: latency})
	var urls []string
	for i := range 49 {
		urls = append(urls, site.WikiURL(strconv.Itoa(i)))
	}
	urls = append(urls, site.WikiURL("this_page_does_not_exist"))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	run := func(title string, w int) Run {
		rec := New(w)
		ex := fanout.New(fanout.WithWorkers(w))
		defer ex.Shutdown()
		counts := map[string]int{}
		start := time.Now()
		for outcome, err := range fanout.MapUnordered(context.Background(), ex, slices.Values(urls), func(ctx context.Context, u string) (string, error) {
			task := rec.Start(ctx)
			outcome := "error"
			if req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil); err == nil {
				if resp, err := client.Do(req); err == nil {
					resp.Body.Close()
					outcome = map[bool]string{true: "exists", false: "does not exist"}[resp.StatusCode == http.StatusOK]
				}
			}
			task.End(u, outcome)
			return outcome, nil
		}) {
			if err != nil {
				t.Fatal(err)
			}
			counts[outcome]++
		}
		el := time.Since(start)
		summary := fmt.Sprintf("50 checked: %d exists, %d does not exist in %.2fs (%.0f/s)", counts["exists"], counts["does not exist"], el.Seconds(), 50/el.Seconds())
		return rec.Finish(title, summary)
	}
	return run("One at a time (1 worker)", 1), run(fmt.Sprintf("Concurrently (%d workers)", workers), workers)
}

// check writes the runs both ways into dir and checks each file.
func check(t *testing.T, dir, name string, tooltips int, runs ...Run) {
	t.Helper()
	for _, ext := range []string{".svg", ".html"} {
		path := filepath.Join(dir, name+ext)
		if err := WriteFile(path, runs...); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(titledBars(t, parse(t, b))); n != tooltips {
			t.Errorf("%s: %d tooltips, want %d", path, n, tooltips)
		}
		if len(b) > 1_000_000 {
			t.Errorf("%s: %d bytes", path, len(b))
		}
	}
}
