package bench

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"github.com/fanout-dev/fanout"
)

// Worker bound for every implementation: fanout's default (DefaultWorkers)
// for the CPU-bound workloads, 100 for the sleeping one.
const (
	workers      = 64 // fanout's default bound
	sleepWorkers = 100
)

func double(i int) int { return i * 2 }

func seqSum(n int, task func(int) int) int {
	s := 0
	for i := range n {
		s += task(i)
	}
	return s
}

func seqHash(n int, task func(int) int) uint64 {
	var h uint64
	for i := range n {
		h = OrderHash(h, task(i))
	}
	return h
}

// warmUp runs one untimed pass of the same size first, for every
// implementation alike, so the timed pass measures the steady state of a
// long run, not the heap growing from nothing in a fresh process (with
// -benchtime 1000000x there is no b.N ramp-up to do it).
func warmUp(b *testing.B, run func()) {
	b.StopTimer()
	run()
	runtime.GC()
	b.StartTimer()
}

// cpuTime is the CPU time (user and system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ns/op, the process's CPU time per op since start: on a
// machine shared with other work, wall time grows with the others' load
// while CPU time mostly does not, so it tells a change in the code from a
// change in the load.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkTiny: b.N tiny tasks (i*2), every result collected and summed by
// the caller. One op is one task: ns/op, B/op and allocs/op are per task,
// pool set-up and teardown included (amortised over b.N).
func BenchmarkTiny(b *testing.B) {
	for _, im := range Impls {
		b.Run(im.Name, func(b *testing.B) {
			warmUp(b, func() { im.Sum(b.N, workers, double) })
			b.ReportAllocs()
			got := im.Sum(b.N, workers, double)
			b.StopTimer()
			if want := seqSum(b.N, double); got != want {
				b.Fatalf("sum %d, want %d", got, want)
			}
		})
	}
}

// BenchmarkOrderedMap: map i -> i*2 over b.N inputs, results consumed in
// input order. One op is one input.
func BenchmarkOrderedMap(b *testing.B) {
	for _, im := range Impls {
		b.Run(im.Name, func(b *testing.B) {
			warmUp(b, func() { im.Ordered(b.N, workers, double) })
			b.ReportAllocs()
			got := im.Ordered(b.N, workers, double)
			b.StopTimer()
			if want := seqHash(b.N, double); got != want {
				b.Fatalf("results out of order (hash %x, want %x)", got, want)
			}
		})
	}
}

const (
	sleepTasks = 10_000
	sleepFor   = time.Millisecond
	// sleepIdeal is the batch time with zero overhead and exact sleeps.
	sleepIdeal = sleepTasks * sleepFor / sleepWorkers // 100 ms
)

func sleepTask(i int) int {
	time.Sleep(sleepFor)
	return i
}

// BenchmarkSleepIO: one op is a batch of 10,000 tasks that each sleep 1 ms,
// with 100 workers. %ideal is 100 ms over the measured time per batch.
func BenchmarkSleepIO(b *testing.B) {
	want := seqSum(sleepTasks, func(i int) int { return i })
	for _, im := range Impls {
		b.Run(im.Name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if got := im.Sum(sleepTasks, sleepWorkers, sleepTask); got != want {
					b.Fatalf("sum %d, want %d", got, want)
				}
			}
			perBatch := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(sleepIdeal)/float64(perBatch)*100, "%ideal")
		})
	}
}

// BenchmarkTimerSleep1ms measures time.Sleep(1ms) itself on this machine:
// the timer's own overshoot bounds what any pool can reach in SleepIO.
func BenchmarkTimerSleep1ms(b *testing.B) {
	for range b.N {
		time.Sleep(sleepFor)
	}
}

// peakHeap samples the bytes of heap objects (live and not yet swept) every
// millisecond until stop is called, which returns the highest value seen.
func peakHeap() (stop func() uint64) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	quit := make(chan struct{})
	result := make(chan uint64)
	go func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		var peak uint64
		for {
			metrics.Read(samples)
			peak = max(peak, samples[0].Value.Uint64())
			select {
			case <-quit:
				result <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(quit); return <-result }
}

func heapObjects() uint64 {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(samples)
	return samples[0].Value.Uint64()
}

// BenchmarkMapPeakHeap: one op is a whole map over N inputs (an iter.Seq
// generator, never a slice) with a trivial fn, results summed as they come.
// peak-heap-MB is the highest heap-object footprint sampled during the op
// (1 ms sampler, after a GC); base-heap-MB is that footprint right after the
// GC, before the op. fanout is fanout.Map (ordered, default window); bare is
// the bare channel pool streaming its results (unordered), the reference.
func BenchmarkMapPeakHeap(b *testing.B) {
	const mb = 1 << 20
	impls := []struct {
		name string
		run  func(n int) int
	}{
		{"fanout", func(n int) int {
			ex := fanout.New(fanout.WithWorkers(workers))
			defer ex.Shutdown()
			s := 0
			for v, err := range fanout.Map(context.Background(), ex, Ints(n),
				func(_ context.Context, i int) (int, error) { return i * 2, nil }) {
				must(err)
				s += v
			}
			return s
		}},
		{"bare", func(n int) int { return BareStream(Ints(n), workers, double) }},
	}
	for _, im := range impls {
		for _, n := range []int{1_000_000, 10_000_000} {
			b.Run(fmt.Sprintf("%s/N=%d", im.name, n), func(b *testing.B) {
				want := seqSum(n, double)
				var peak, base uint64
				for range b.N {
					b.StopTimer()
					runtime.GC()
					base = max(base, heapObjects())
					stop := peakHeap()
					b.StartTimer()
					got := im.run(n)
					b.StopTimer()
					peak = max(peak, stop())
					if got != want {
						b.Fatalf("sum %d, want %d", got, want)
					}
					b.StartTimer()
				}
				b.ReportMetric(float64(peak)/mb, "peak-heap-MB")
				b.ReportMetric(float64(base)/mb, "base-heap-MB")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/input")
			})
		}
	}
}

// libBounds are the worker bounds of the library harness: Python's default
// (min(32, CPUs+4): 6 on the 2-core machine) and 64.
var libBounds = []int{min(32, runtime.NumCPU()+4), 64}

// BenchmarkKept: the tutorials' pattern (see KeptImpls). One op is one
// task; like BenchmarkTiny, run it with a fixed -benchtime 1000000x and
// each implementation in a process of its own (lib.sh does).
func BenchmarkKept(b *testing.B) {
	libBench(b, KeptImpls)
}

// BenchmarkSteady: the same without a million live handles (see
// SteadyImpls).
func BenchmarkSteady(b *testing.B) {
	libBench(b, SteadyImpls)
}

func libBench(b *testing.B, impls []KeptImpl) {
	for _, w := range libBounds {
		for _, im := range impls {
			b.Run(fmt.Sprintf("W=%d/%s", w, im.Name), func(b *testing.B) {
				warmUp(b, func() { im.Run(b.N, w, double) })
				b.ReportAllocs()
				cpu := cpuTime()
				got := im.Run(b.N, w, double)
				b.StopTimer()
				reportCPU(b, cpu)
				if want := seqSum(b.N, double); got != want {
					b.Fatalf("sum %d, want %d", got, want)
				}
			})
		}
	}
}

// BenchmarkOrdered: results in input order at both bounds (see
// OrderedImpls; fanout.Map uses its default window).
func BenchmarkOrdered(b *testing.B) {
	for _, w := range libBounds {
		for _, im := range OrderedImpls {
			b.Run(fmt.Sprintf("W=%d/%s", w, im.Name), func(b *testing.B) {
				warmUp(b, func() { im.Ordered(b.N, w, double) })
				b.ReportAllocs()
				cpu := cpuTime()
				got := im.Ordered(b.N, w, double)
				b.StopTimer()
				reportCPU(b, cpu)
				if want := seqHash(b.N, double); got != want {
					b.Fatalf("results out of order (hash %x, want %x)", got, want)
				}
			})
		}
	}
}
