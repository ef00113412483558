package timeline

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// simulate records n tasks on a pool of workers the way the executor runs
// them (each worker takes the next input when it is free), with each
// task's duration and outcome from the given functions: how the tests
// and sample pictures get large, realistic runs without waiting for them.
func simulate(workers, n int, task func(i int) (time.Duration, string)) *Recorder {
	r := New(workers)
	free := make([]time.Duration, workers) // when each worker is next free
	for i := range n {
		w := 0
		for j := range free {
			if free[j] < free[w] {
				w = j
			}
		}
		d, outcome := task(i)
		start := free[w] + 20*time.Microsecond // the executor's hand-off
		free[w] = start + d
		r.Record(w+1, r.start.Add(start), r.start.Add(free[w]), fmt.Sprintf("https://en.wikipedia.org/wiki/Page_%d", i), outcome)
	}
	return r
}

// checkLike is a check run's mix: mostly pages that exist around a
// latency, some missing, a few errors and slow timeouts.
func checkLike(seed uint64, latency time.Duration) func(int) (time.Duration, string) {
	rng := rand.New(rand.NewPCG(seed, 1))
	return func(int) (time.Duration, string) {
		jitter := time.Duration(rng.NormFloat64() * float64(latency) / 8)
		d := max(latency+jitter, latency/4)
		switch x := rng.Float64(); {
		case x < 0.82:
			return d, "exists"
		case x < 0.94:
			return d, "does not exist"
		case x < 0.98:
			return d / 3, "error"
		default:
			return time.Duration((6 + 4*rng.Float64()) * float64(latency)), "timeout"
		}
	}
}
