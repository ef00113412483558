package timeline

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// The cost of timing one task, as a command's run path pays it: Start and
// End around the task (two clock reads, WorkerID, Record).
func BenchmarkTask(b *testing.B) {
	ctx := context.Background()
	labels := make([]string, 1024)
	for i := range labels {
		labels[i] = "https://en.wikipedia.org/wiki/Page_" + strconv.Itoa(i)
	}
	b.Run("off", func(b *testing.B) { // no --timeline: a nil Recorder
		var r *Recorder
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.Start(ctx).End(labels[i%1024], "exists")
		}
	})
	// Under the span limit: every span is kept. A fresh Recorder every
	// limit tasks keeps the benchmark there.
	b.Run("kept", func(b *testing.B) {
		r := New(64)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i%spanLimit == 0 {
				r = New(64)
			}
			r.Start(ctx).End(labels[i%1024], "exists")
		}
	})
	// Over the limit: density and the slowest.
	b.Run("dense", func(b *testing.B) {
		r := New(64)
		for i := range spanLimit + 1 {
			r.Start(ctx).End(labels[i%1024], "exists")
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.Start(ctx).End(labels[i%1024], "exists")
		}
	})
	// Many workers at once, over the limit: the lock's cost.
	b.Run("dense-parallel", func(b *testing.B) {
		r := New(64)
		for i := range spanLimit + 1 {
			r.Start(ctx).End(labels[i%1024], "exists")
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				r.Start(ctx).End(labels[i%1024], "exists")
			}
		})
	})
}

// Drawing is once per run; this says what it costs at the limit.
func BenchmarkWriteSVG(b *testing.B) {
	run := simulate(64, spanLimit, checkLike(1, 50*time.Millisecond)).Finish("64 workers", "5000 checked")
	dense := simulate(64, 100_000, checkLike(1, 50*time.Millisecond)).Finish("64 workers", "100000 checked")
	for _, c := range []struct {
		name string
		run  Run
	}{{"5000-bars", run}, {"100000-dense", dense}} {
		b.Run(c.name, func(b *testing.B) {
			var n countWriter
			b.ReportAllocs()
			for b.Loop() {
				if err := WriteSVG(&n, c.run); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/float64(b.N), "bytes/file")
		})
	}
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
