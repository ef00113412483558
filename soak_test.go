package fanout_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/fanout-dev/fanout"
)

// soakN is how many tasks the soak tests run: a short form by default (it
// runs in CI, under the race detector), the 1,000,000 with
//
//	FANOUT_SOAK=1000000 go test -race -run Soak -timeout 30m .
func soakN(t *testing.T, short int) int {
	if s := os.Getenv("FANOUT_SOAK"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("FANOUT_SOAK=%q: want a count", s)
		}
		return n
	}
	return short
}

// heapAfterGC is the live heap, in bytes.
func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// flatHeap samples the live heap at each tenth of a run and fails if the
// last samples grew beyond the first by more than slack: what a leak of a
// few bytes per task looks like over a long run.
type flatHeap struct {
	t       *testing.T
	n, next int
	samples []uint64
}

func (f *flatHeap) tick(i int) {
	if i >= f.next {
		f.samples = append(f.samples, heapAfterGC())
		f.next += f.n / 10
	}
}

func (f *flatHeap) check(slack uint64) {
	f.t.Helper()
	first, last := f.samples[1], f.samples[len(f.samples)-1] // [0] is before warm-up
	f.t.Logf("%d tasks: live heap %v (bytes, at each tenth)", f.n, f.samples)
	if last > first+slack {
		f.t.Errorf("live heap grew from %d to %d bytes over %d tasks: a leak", first, last, f.n)
	}
}

// The soak: a million tasks (short form: 50,000) through Submit, Map and
// MapUnordered, with errors, panics and cancellations mixed in. Memory must
// stay flat and, by TestMain's goleak check, no goroutine may outlive it.
func TestSoakExecutor(t *testing.T) {
	n := soakN(t, 50_000)
	ex := fanout.New(fanout.WithWorkers(64))
	defer ex.Shutdown()
	boom := errors.New("boom")
	task := func(i int) (int, error) {
		switch i % 1000 {
		case 1:
			return 0, boom
		case 2:
			panic("soak")
		}
		return i, nil
	}

	h := &flatHeap{t: t, n: n}
	for i := 0; i < n; i += 100 {
		h.tick(i)
		fs := make([]*fanout.Future[int], 0, 100)
		for j := i; j < i+100; j++ {
			fs = append(fs, fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return task(j) }))
		}
		fs[99].Cancel()
		for _, f := range fs {
			f.Result(context.Background())
		}
	}
	h.check(4 << 20)

	h = &flatHeap{t: t, n: n}
	in := func(yield func(int) bool) {
		for i := range n {
			h.tick(i)
			if !yield(i) {
				return
			}
		}
	}
	count := 0
	for v, err := range fanout.Map(context.Background(), ex, in, func(_ context.Context, i int) (int, error) { return task(i) }) {
		if err == nil && v != count {
			t.Fatalf("Map out of order: %d at %d", v, count)
		}
		count++
	}
	if count != n {
		t.Fatalf("Map yielded %d of %d", count, n)
	}
	h.check(4 << 20)

	// Breaking out of an unordered map half way, many times over.
	for range 100 {
		k := 0
		for range fanout.MapUnordered(context.Background(), ex, in, func(_ context.Context, i int) (int, error) { return task(i) }) {
			if k++; k == 500 {
				break
			}
		}
	}
	ex.Shutdown()
	st := ex.Stats()
	if st.Running != 0 || st.Queued != 0 || st.Submitted != st.Completed+st.Failed+st.Canceled {
		t.Errorf("after the soak: %+v, want nothing running or queued, and every task accounted for", st)
	}
}
