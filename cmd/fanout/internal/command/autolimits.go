package command

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/fanout-dev/fanout"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/timeline"
)

// limitTick is how often --timeline samples -w auto's limits: a few
// samples per round trip of a fast host, and a limit moves at most about
// once per round trip.
const limitTick = 10 * time.Millisecond

// drawLimits records lim's per-host limits on tl until the returned stop
// is first called, which records them a last time: the step lines of
// -w auto on the timeline. Hosts are taken in name order, so that the few a
// timeline draws are the same from run to run.
func drawLimits(tl *timeline.Recorder, lim *fanout.Limiter) (stop func()) {
	sample := func() {
		keys := lim.Keys()
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			tl.Limit(k, keys[k])
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(limitTick)
		defer tick.Stop()
		for {
			select {
			case <-done:
				sample()
				return
			case <-tick.C:
				sample()
			}
		}
	})
	return sync.OnceFunc(func() { close(done); wg.Wait() })
}
