package bench

import (
	"fmt"
	"testing"
)

// TestImpls checks the harness itself: every implementation of workloads 1
// and 2 must return the right sum, and the ordered ones the results in
// input order, for a few sizes including one far above the worker bound.
func TestImpls(t *testing.T) {
	for _, im := range Impls {
		for _, n := range []int{0, 1, 63, 10_000} {
			t.Run(fmt.Sprintf("%s/n=%d", im.Name, n), func(t *testing.T) {
				if got, want := im.Sum(n, workers, double), seqSum(n, double); got != want {
					t.Errorf("Sum = %d, want %d", got, want)
				}
				if got, want := im.Ordered(n, workers, double), seqHash(n, double); got != want {
					t.Errorf("Ordered hash = %x, want %x: results out of order or wrong", got, want)
				}
			})
		}
	}
}

// TestOrderHashDetectsSwaps makes sure the ordered check can fail.
func TestOrderHashDetectsSwaps(t *testing.T) {
	if hash([]int{0, 2, 4}) == hash([]int{2, 0, 4}) {
		t.Fatal("OrderHash does not see a swap")
	}
}

// TestSleepAndPeakHelpers runs the other workloads' pieces once, small.
func TestSleepAndPeakHelpers(t *testing.T) {
	for _, im := range Impls {
		if got, want := im.Sum(200, sleepWorkers, sleepTask), seqSum(200, func(i int) int { return i }); got != want {
			t.Errorf("%s sleep sum = %d, want %d", im.Name, got, want)
		}
	}
	stop := peakHeap()
	_ = make([]byte, 1<<20)
	if p := stop(); p == 0 {
		t.Fatal("peak heap sampler read 0")
	}
}

// TestLibImpls checks the library harness the same way.
func TestLibImpls(t *testing.T) {
	for _, set := range [][]KeptImpl{KeptImpls, SteadyImpls} {
		for _, im := range set {
			for _, w := range []int{1, 6} {
				for _, n := range []int{0, 1, 63, 3000} {
					if got, want := im.Run(n, w, double), seqSum(n, double); got != want {
						t.Errorf("%s W=%d n=%d: sum %d, want %d", im.Name, w, n, got, want)
					}
				}
			}
		}
	}
	for _, im := range OrderedImpls {
		if got, want := im.Ordered(3000, 6, double), seqHash(3000, double); got != want {
			t.Errorf("%s ordered: hash %x, want %x", im.Name, got, want)
		}
	}
}
