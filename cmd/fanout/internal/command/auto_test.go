package command

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
)

// -w auto finds a host's capacity by itself: against a host that takes 4
// at once (503 beyond 12), every URL is reported as it is, almost nothing
// is refused (at most 1%: 3 of 300; the 0.5% is held by
// bench/auto.sh on 2,000 URLs, where the first round trips weigh less),
// and the summary says where the host settled (issue 25; lychee#367 and
// #1402 are the 429s a fixed count gets, even at 1). A fixed -w 64 gets
// dozens of 503s from the same host.
func TestWorkersAutoFindsTheHostsCapacity(t *testing.T) {
	t.Parallel()
	h, urls := capacityHost(t, 300)
	before := h.Stats()
	run(t, context.Background(), strings.Join(urls, "\n"), "check", "-w", "64")
	if refused := h.Stats().Refused - before.Refused; refused < 30 {
		t.Fatalf("a fixed -w 64 got only %d requests refused: the host is not what the test needs", refused)
	}
	for _, cmd := range [][]string{{"check", "-w", "auto"}, {"probe", "--workers", "auto"}} {
		before := h.Stats()
		out, stderr, code := run(t, context.Background(), strings.Join(urls, "\n"), cmd...)
		after := h.Stats()
		if code != ExitOK || strings.Count(out, "\n") != 300 {
			t.Errorf("%v: exit %d, %d lines; stderr:\n%s", cmd, code, strings.Count(out, "\n"), stderr)
		}
		if refused := after.Refused - before.Refused; refused > 300/100 {
			t.Errorf("%v: %d requests refused, more than 1%%", cmd, refused)
		}
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(strings.TrimPrefix(h.URL(), "http://")) + ` settled at (\d+) in flight$`).FindStringSubmatch(stderr)
		if m == nil {
			t.Errorf("%v: no line saying where the host settled:\n%s", cmd, stderr)
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n < 1 || n > 12 {
			t.Errorf("%v: settled at %d; the host refuses beyond 12", cmd, n)
		}
	}
}

// --timeline with -w auto draws the host's limit over time: a step line
// with a tooltip naming the host, starting where the limit starts and
// ending where the summary says it settled (issue 25).
func TestWorkersAutoTimelineDrawsTheLimit(t *testing.T) {
	t.Parallel()
	h, urls := capacityHost(t, 100)
	path := filepath.Join(t.TempDir(), "t.svg")
	_, stderr, code := run(t, context.Background(), strings.Join(urls, "\n"), "check", "-w", "auto", "--timeline", path)
	if code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	host := strings.TrimPrefix(h.URL(), "http://")
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(host) + ` settled at (\d+) in flight$`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no line saying where the host settled:\n%s", stderr)
	}
	svg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The panel's title says -w auto, not a count of workers each with a
	// request in flight.
	if !strings.Contains(string(svg), "-w auto (each line: a host&#39;s limit)") {
		t.Errorf("the panel's title does not say -w auto:\n%.600s", svg)
	}
	want := regexp.MustCompile(`<path class="limit l0" d="M[^"]*H[^"]*"><title>` + regexp.QuoteMeta(host) +
		`: requests in flight allowed \(-w auto\), \d+ at the start, ` + m[1] + ` at the end, at most (\d+)</title>`)
	if sub := want.FindSubmatch(svg); sub == nil {
		t.Errorf("no limit line for %s settling at %s in the timeline:\n%s", host, m[1], limitLinesOf(svg))
	} else if top, _ := strconv.Atoi(string(sub[1])); top > 12 {
		t.Errorf("the line goes up to %d; the host refuses beyond 12", top)
	}
}

// capacityHost starts a host that takes 4 requests at once, 20 ms each
// (503 beyond 12), and returns n URLs on it.
func capacityHost(t *testing.T, n int) (*demosite.Host, []string) {
	t.Helper()
	h, err := demosite.StartHost(4, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	var urls []string
	for i := range n {
		urls = append(urls, fmt.Sprintf("%s/p/%d", h.URL(), i))
	}
	return h, urls
}

func limitLinesOf(svg []byte) string {
	var out []string
	for _, l := range strings.Split(string(svg), "\n") {
		if strings.Contains(l, "limit") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A host that answers nothing holds no other host back, however many of
// its URLs come first: under -w auto they wait in the admission, not in the
// run's 4,096 tasks. Before, 4,200 URLs of a host that hangs filled the
// tasks, and the 20 URLs of a quick host after them were not asked until
// it answered (bench/auto.sh's case long: the large host 4.97 s instead of
// 1.0 s). The hanging host answers once the quick host has been asked 20
// times, or after 20 s.
func TestWorkersAutoSlowHostHoldsNoOneBack(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{{"check"}, {"probe"}, {"get", "--dir", t.TempDir()}} {
		t.Run(cmd[0], func(t *testing.T) {
			release := make(chan struct{})
			hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}))
			defer hang.Close()
			var asked atomic.Int64
			quickFirst := make(chan struct{})
			quick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if asked.Add(1) == 20 {
					close(quickFirst)
				}
			}))
			defer quick.Close()
			var in strings.Builder
			for i := range 4200 {
				fmt.Fprintf(&in, "%s/h/%d\n", hang.URL, i)
			}
			for i := range 20 {
				fmt.Fprintf(&in, "%s/q/%d\n", quick.URL, i)
			}
			var before int64 // the quick host's requests when the hanging host answered
			go func() {
				select {
				case <-quickFirst:
				case <-time.After(20 * time.Second):
				}
				before = asked.Load()
				close(release)
			}()
			args := append(append([]string{}, cmd...), "-w", "auto", "-q")
			_, stderr, code := run(t, context.Background(), in.String(), args...)
			<-release
			if code != ExitOK {
				t.Errorf("exit %d; stderr:\n%.2000s", code, stderr)
			}
			if before < 20 {
				t.Errorf("the quick host was asked %d of 20 times before the hanging host answered", before)
			}
		})
	}
}
