package command

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout-dev/fanout"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
)

// hostLines yields n lines for each host, interleaved: "slow/1",
// "fast/1", "slow/2"...
func hostLines(n int, hosts ...string) iter.Seq[runio.Line] {
	return func(yield func(runio.Line) bool) {
		for i := range n {
			for _, h := range hosts {
				if !yield(runio.Line{N: i*len(hosts) + 1, Text: fmt.Sprintf("%s/%d", h, i)}) {
					return
				}
			}
		}
	}
}

func lineHost(l runio.Line) string { h, _, _ := strings.Cut(l.Text, "/"); return h }

// A host whose inputs do not finish must not hold the other hosts' inputs
// back, however many of its inputs come first: they wait in the admission,
// not in the executor. Before, the executor (4,096 places under -w auto; 8
// here) filled with the slow host's inputs waiting for their host, and the
// fast host went at the slow one's pace (two hosts of 6,000 URLs, capacities
// 4 and 64: the large one took 5.0 s instead of 1.0 s).
func TestAdmissionLetsOtherHostsPass(t *testing.T) {
	lim := fanout.NewLimiter(1, 2, 64) // each host runs at most 2 (and 1 more admitted)
	adm := newAdmission(lim, lineHost)
	release := make(chan struct{})
	var mu sync.Mutex
	var slowStarted, fastDone, slowAtFast int
	allFast := make(chan struct{})
	j := job[string]{
		do: func(ctx context.Context, l runio.Line) string {
			if lineHost(l) == "slow" {
				mu.Lock()
				slowStarted++
				mu.Unlock()
				select {
				case <-release:
				case <-ctx.Done():
				}
				return l.Text
			}
			mu.Lock()
			if fastDone++; fastDone == 100 {
				slowAtFast = slowStarted
				close(allFast)
			}
			mu.Unlock()
			return l.Text
		},
		invalid: func(l runio.Line) string { return "invalid" },
		passed:  func(string) bool { return true },
	}
	go func() {
		select {
		case <-allFast:
		case <-time.After(10 * time.Second): // the slow host held them back
		}
		close(release)
	}()
	var got int
	r := runJob(context.Background(), 8, false, adm, hostLines(100, "slow", "fast"), j, func(string, bool) { got++ })
	select {
	case <-allFast:
	default:
		t.Fatalf("the fast host's 100 inputs did not finish while the slow host's waited (%d did)", fastDone)
	}
	if slowAtFast > 3 {
		t.Errorf("%d of the slow host's inputs started while it had room for 3 (its limit, 2, and one more)", slowAtFast)
	}
	if got != 200 || r.done != 200 {
		t.Errorf("%d records (%d done); want 200", got, r.done)
	}
}

// An interrupt while inputs wait in the admission ends the run: they are
// taken but never started, and no task is left waiting.
func TestAdmissionInterrupted(t *testing.T) {
	lim := fanout.NewLimiter(1, 1, 64)
	adm := newAdmission(lim, lineHost)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, 100)
	j := job[string]{
		do: func(ctx context.Context, l runio.Line) string {
			started <- struct{}{}
			<-ctx.Done()
			return "cut"
		},
		invalid: func(l runio.Line) string { return "invalid" },
		passed:  func(r string) bool { return r != "cut" },
	}
	go func() {
		<-started
		cancel()
	}()
	done := make(chan ran)
	go func() { done <- runJob(ctx, 8, false, adm, hostLines(50, "slow"), j, func(string, bool) {}) }()
	select {
	case r := <-done:
		if !r.interrupted || r.done != 0 {
			t.Errorf("interrupted %v, %d done; want an interrupted run with none done", r.interrupted, r.done)
		}
		if n := len(started); n > 1 || r.cut > 2 {
			t.Errorf("%d more inputs started after the first, %d cut; the host had room for 2 (its limit, 1, and one more)", n, r.cut)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end after the interrupt")
	}
}
