package fanout_test

import (
	"context"
	"testing"
	"time"

	"github.com/fanout-dev/fanout"
)

// BenchmarkSubmitResult: submit b.N tiny tasks, then read each result.
func BenchmarkSubmitResult(b *testing.B) {
	ex := fanout.New()
	defer ex.Shutdown()
	ctx := context.Background()
	futs := make([]*fanout.Future[int], 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		futs = append(futs, fanout.Submit(ctx, ex, func(context.Context) (int, error) { return i, nil }))
	}
	sum := 0
	for _, f := range futs {
		v, _ := f.Result(ctx)
		sum += v
	}
}

func BenchmarkMapOrdered(b *testing.B) {
	ex := fanout.New()
	defer ex.Shutdown()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	seq := func(yield func(int) bool) {
		for i := 0; i < b.N; i++ {
			if !yield(i) {
				return
			}
		}
	}
	sum := 0
	for v, _ := range fanout.Map(ctx, ex, seq, func(_ context.Context, i int) (int, error) { return i * 2, nil }) {
		sum += v
	}
}

func BenchmarkSleepIO(b *testing.B) {
	for i := 0; i < b.N; i++ {
		ex := fanout.New(fanout.WithWorkers(100))
		start := time.Now()
		futs := make([]*fanout.Future[int], 0, 10000)
		for j := 0; j < 10000; j++ {
			futs = append(futs, fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { time.Sleep(time.Millisecond); return j, nil }))
		}
		for _, f := range futs {
			f.Result(context.Background())
		}
		b.ReportMetric(float64(100*time.Millisecond)/float64(time.Since(start))*100, "%ideal")
		ex.Shutdown()
	}
}

// BenchmarkMapTaskContext: an ordered Map whose task asks for its context's
// Done channel, as net/http does for every request: what the command's run
// path pays per input for the context alone.
func BenchmarkMapTaskContext(b *testing.B) {
	ex := fanout.New()
	defer ex.Shutdown()
	ctx, cancel := context.WithCancel(context.Background()) // a cancelable parent, like the command's
	defer cancel()
	seq := func(yield func(int) bool) {
		for i := 0; i < b.N; i++ {
			if !yield(i) {
				return
			}
		}
	}
	b.ReportAllocs()
	for v, err := range fanout.Map(ctx, ex, seq, func(ctx context.Context, i int) (int, error) {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		default:
			return i, nil
		}
	}) {
		_, _ = v, err
	}
}
