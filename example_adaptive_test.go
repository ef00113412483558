package fanout_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"github.com/fanout-dev/fanout"
)

// A Limiter finds how much each host takes: here a server that answers
// 503 beyond 8 requests at once. The executor has more workers than the
// Limiter's total, so that tasks waiting for a busy host do not keep other
// hosts' tasks from starting; each task says how its request went.
func ExampleLimiter() {
	var inflight atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer inflight.Add(-1)
		if inflight.Add(1) > 8 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}))
	defer srv.Close()

	ctx := context.Background()
	lim := fanout.NewLimiter(1, 64, 256)
	ex := fanout.New(fanout.WithWorkers(1024))
	get := func(ctx context.Context, page string) (int, error) {
		u, _ := url.Parse(page)
		for {
			p, err := lim.Acquire(ctx, u.Host)
			if err != nil {
				return 0, err
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				p.Release(err)
				return 0, err
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				// Overloaded: the host's limit is cut. With a Retry-After,
				// an OverloadedError would pause the host that long.
				p.Release(fanout.ErrOverloaded)
				time.Sleep(10 * time.Millisecond)
				continue
			}
			p.Release(nil)
			return resp.StatusCode, nil
		}
	}
	var pages []string
	for i := range 200 {
		pages = append(pages, fmt.Sprintf("%s/page/%d", srv.URL, i))
	}
	ok := 0
	for status, err := range fanout.MapUnordered(ctx, ex, slices.Values(pages), get) {
		if err == nil && status == http.StatusOK {
			ok++
		}
	}
	ex.Shutdown()
	fmt.Println(ok, "pages answered 200")
	// Output: 200 pages answered 200
}
