package fanout_test

import (
	"context"
	"errors"
	"testing"

	"github.com/fanout-dev/fanout"
)

func TestSmoke(t *testing.T) {
	ex := fanout.New(fanout.WithWorkers(4))
	defer ex.Shutdown()
	ctx := context.Background()
	var futs []*fanout.Future[int]
	for i := range 100 {
		futs = append(futs, fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { return i * i, nil }))
	}
	for i, f := range futs {
		v, err := f.Result(ctx)
		if err != nil || v != i*i {
			t.Fatalf("%d: %v %v", i, v, err)
		}
	}
	n := 0
	for v, err := range fanout.Map(ctx, ex, func(y func(int) bool) {
		for i := range 1000 {
			if !y(i) {
				return
			}
		}
	}, func(_ context.Context, i int) (int, error) { return i + 1, nil }) {
		if err != nil || v != n+1 {
			t.Fatalf("map %d: %v %v", n, v, err)
		}
		n++
	}
	if n != 1000 {
		t.Fatal(n)
	}
	f := fanout.Submit(context.Background(), ex, func(context.Context) (int, error) { panic("boom") })
	var pe *fanout.PanicError
	if _, err := f.Result(ctx); !errors.As(err, &pe) {
		t.Fatal(err)
	}
}
