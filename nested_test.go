package fanout_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fanout-dev/fanout"
)

// The ways a task may write nested submit-and-wait, each run with 2 workers,
// a queue of 2 and 4 parents of 3 leaves each, so that every worker holds a
// parent and the queue is full of parents when the leaves come: the shape
// that deadlocked the old executor ("every parent still pending after 2 s")
// and that deadlocks Python, pond, conc and ants. The task's context has to
// reach the Submit (Go has no goroutine identity; see Future.Result), in
// whatever form: the task's own or one derived from it; the wait may then
// take any context. The one form left out, Submit(context.Background())
// with Result(ctx), deadlocks in Submit once the queue is full: Submit's doc
// says so (issue 22.4). synctest reports a deadlock instead of hanging.
func TestNestedSubmitAndWaitForms(t *testing.T) {
	leaf := func(ctx context.Context) (int, error) {
		select {
		case <-time.After(time.Millisecond):
			return 1, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	forms := map[string]func(ctx, outer context.Context, ex *fanout.Executor) (int, error){
		"Submit(ctx) Result(ctx)": func(ctx, _ context.Context, ex *fanout.Executor) (int, error) {
			var fs []*fanout.Future[int]
			for range 3 {
				fs = append(fs, fanout.Submit(ctx, ex, leaf))
			}
			return sum(ctx, fs)
		},
		"Submit(ctx) Result(outer)": func(ctx, outer context.Context, ex *fanout.Executor) (int, error) {
			var fs []*fanout.Future[int]
			for range 3 {
				fs = append(fs, fanout.Submit(ctx, ex, leaf))
			}
			return sum(outer, fs)
		},
		"Submit(derived) Result(background)": func(ctx, _ context.Context, ex *fanout.Executor) (int, error) {
			dctx, cancel := context.WithTimeout(ctx, time.Hour)
			defer cancel()
			var fs []*fanout.Future[int]
			for range 3 {
				fs = append(fs, fanout.Submit(dctx, ex, leaf))
			}
			return sum(context.Background(), fs)
		},
		"Go(ctx) Wait(outer)": func(ctx, outer context.Context, ex *fanout.Executor) (int, error) {
			var fs []*fanout.Future[struct{}]
			for range 3 {
				fs = append(fs, ex.Go(ctx, func(ctx context.Context) error { _, err := leaf(ctx); return err }))
			}
			done, _, err := fanout.Wait(outer, fs, fanout.AllCompleted)
			return len(done), err
		},
		"Submit(ctx) AsCompleted(outer)": func(ctx, outer context.Context, ex *fanout.Executor) (int, error) {
			var fs []*fanout.Future[int]
			for range 3 {
				fs = append(fs, fanout.Submit(ctx, ex, leaf))
			}
			n := 0
			for f, err := range fanout.AsCompleted(outer, fs) {
				if err != nil {
					return 0, err
				}
				v, _ := f.Result(outer)
				n += v
			}
			return n, nil
		},
		"Map(ctx)": func(ctx, _ context.Context, ex *fanout.Executor) (int, error) {
			n := 0
			for v, err := range fanout.Map(ctx, ex, slices.Values([]int{1, 2, 3}), func(ctx context.Context, _ int) (int, error) { return leaf(ctx) }) {
				if err != nil {
					return 0, err
				}
				n += v
			}
			return n, nil
		},
		"MapUnordered(ctx)": func(ctx, _ context.Context, ex *fanout.Executor) (int, error) {
			n := 0
			for v, err := range fanout.MapUnordered(ctx, ex, slices.Values([]int{1, 2, 3}), func(ctx context.Context, _ int) (int, error) { return leaf(ctx) }) {
				if err != nil {
					return 0, err
				}
				n += v
			}
			return n, nil
		},
	}
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ex := fanout.New(fanout.WithWorkers(2), fanout.WithQueueSize(2))
				defer ex.Shutdown()
				outer := t.Context()
				var parents []*fanout.Future[int]
				for range 4 {
					parents = append(parents, fanout.Submit(outer, ex, func(ctx context.Context) (int, error) {
						return form(ctx, outer, ex)
					}))
				}
				for i, p := range parents {
					if v, err := p.Result(outer); v != 3 || err != nil {
						t.Errorf("parent %d: %d, %v; want 3", i, v, err)
					}
				}
			})
		})
	}
}

func sum(ctx context.Context, fs []*fanout.Future[int]) (int, error) {
	n := 0
	for _, f := range fs {
		v, err := f.Result(ctx)
		if err != nil {
			return 0, fmt.Errorf("leaf: %w", err)
		}
		n += v
	}
	return n, nil
}
