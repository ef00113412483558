package fanout_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	"github.com/fanout-dev/fanout"
)

// wiki starts a stand-in for the tutorials' Wikipedia on loopback: pages
// answer 200 after a short latency, except names containing
// "this_page_does_not_exist", which answer 404.
func wiki() (base string, stop func()) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		if strings.Contains(r.URL.Path, "this_page_does_not_exist") {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "<title>%s</title>", strings.TrimPrefix(r.URL.Path, "/wiki/"))
	}))
	return srv.URL + "/wiki/", srv.Close
}

// pageExistence is the tutorials' get_wiki_page_existence.
func pageExistence(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	status := "unknown"
	switch resp.StatusCode {
	case http.StatusOK:
		status = "exists"
	case http.StatusNotFound:
		status = "does not exist"
	}
	return url + " - " + status, nil
}

// Tutorial 001, step 2: submit every URL, then take the results as they
// complete (concurrent.futures.as_completed).
func Example_submitAndAsCompleted() {
	base, stop := wiki()
	defer stop()
	ctx := context.Background()
	ex := fanout.New()
	defer ex.Shutdown() // the `with` block

	var futures []*fanout.Future[string]
	for _, page := range []string{"Ocean", "Island", "this_page_does_not_exist", "Shark"} {
		futures = append(futures, fanout.Submit(ctx, ex, func(ctx context.Context) (string, error) {
			return pageExistence(ctx, base+page)
		}))
	}
	var lines []string
	for f, err := range fanout.AsCompleted(ctx, futures) {
		if err != nil { // only a deadline on the context ends the loop early
			fmt.Println(err)
			break
		}
		line, err := f.Result(ctx)
		if err != nil {
			line = err.Error()
		}
		lines = append(lines, strings.TrimPrefix(line, base))
	}
	slices.Sort(lines) // completion order varies from run to run
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// Island - exists
	// Ocean - exists
	// Shark - exists
	// this_page_does_not_exist - does not exist
}

// Tutorial 003's executor.map(fetch_url, urls): results in input order,
// streamed, with the input read lazily.
func ExampleMap() {
	base, stop := wiki()
	defer stop()
	ex := fanout.New()
	defer ex.Shutdown()

	urls := slices.Values([]string{base + "Ocean", base + "this_page_does_not_exist", base + "Coral"})
	status := func(ctx context.Context, url string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
		if err != nil {
			return 0, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	var codes []int
	for code, err := range fanout.Map(context.Background(), ex, urls, status) {
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		codes = append(codes, code)
	}
	fmt.Println(codes)
	// Output: [200 404 200]
}

// Tutorial 001, step 3: a task's exception comes back from result(); here
// from Result, as an error. A panic becomes a *PanicError.
func ExampleFuture_Result_errors() {
	ex := fanout.New()
	defer ex.Shutdown()
	ctx := context.Background()

	bad := fanout.Submit(ctx, ex, func(ctx context.Context) (string, error) {
		return pageExistence(ctx, "ht!tp://not a url")
	})
	if _, err := bad.Result(ctx); err != nil {
		fmt.Println("failed:", err != nil)
	}

	crash := fanout.Submit(ctx, ex, func(context.Context) (string, error) {
		panic("parser crashed") // a bug in the task, not an error it returns
	})
	var pe *fanout.PanicError
	if _, err := crash.Result(ctx); errors.As(err, &pe) {
		fmt.Println("panicked:", pe.Value)
	}
	// Output:
	// failed: true
	// panicked: parser crashed
}

// Tutorial 004's thread-local requests.Session: one HTTP client per worker,
// built when the worker starts and closed at shutdown. (In Go one
// http.Client is safe to share, so this is for state that is not: a
// database connection, a parser, a per-worker buffer.)
func ExampleLocal() {
	base, stop := wiki()
	defer stop()
	sessions := fanout.NewLocal(
		func(ctx context.Context) (*http.Client, error) {
			return &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}, nil
		},
		func(c *http.Client) { c.CloseIdleConnections() },
	)
	ex := fanout.New(fanout.WithWorkers(5), fanout.WithLocal(sessions))
	defer ex.Shutdown()

	pages := slices.Values([]string{"Jython", "RealPython", "Jython", "RealPython"})
	for n, err := range fanout.Map(context.Background(), ex, pages, func(ctx context.Context, page string) (int64, error) {
		resp, err := sessions.Get(ctx).Get(base + page) // this worker's session
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		return resp.ContentLength, nil
	}) {
		fmt.Println(n, err)
	}
	// Output:
	// 21 <nil>
	// 25 <nil>
	// 21 <nil>
	// 25 <nil>
}

// Tutorial 002's submit(task, ...) with threading.get_ident(): WorkerID
// tells which worker ran a task; Shutdown is the end of the `with` block.
func ExampleWorkerID() {
	ctx := context.Background()
	ex := fanout.New(fanout.WithWorkers(3))
	ids := make([]*fanout.Future[int], 3)
	for i := range ids {
		ids[i] = fanout.Submit(ctx, ex, func(ctx context.Context) (int, error) {
			time.Sleep(10 * time.Millisecond)
			return fanout.WorkerID(ctx), nil
		})
	}
	ex.Shutdown() // waits for all three, like leaving the `with` block
	for _, f := range ids {
		id, _ := f.Result(ctx)
		fmt.Println(id >= 1 && id <= 3)
	}
	// Output:
	// true
	// true
	// true
}

// Python's shutdown(cancel_futures=True), and more: queued tasks never run
// and running ones see their context cancelled; their futures resolve when
// they return, with what they return.
func ExampleExecutor_ShutdownNow() {
	ctx := context.Background()
	ex := fanout.New(fanout.WithWorkers(1))
	started := make(chan struct{})
	running := ex.Go(ctx, func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	<-started
	queued := ex.Go(ctx, func(context.Context) error { return nil })
	ex.ShutdownNow()
	fmt.Println(running.State(), running.Wait(ctx))
	fmt.Println(queued.State(), queued.Wait(ctx))
	// Output:
	// finished context canceled
	// canceled fanout: future canceled: context canceled
}

// The tutorials' comparison: the same 20 page checks one at a time, then on
// the executor.
func Example_timing() {
	base, stop := wiki()
	defer stop()
	var pages []string
	for i := range 20 {
		pages = append(pages, fmt.Sprintf("%sPage_%d", base, i))
	}
	ctx := context.Background()

	start := time.Now()
	for _, url := range pages {
		pageExistence(ctx, url)
	}
	sequential := time.Since(start)

	ex := fanout.New()
	defer ex.Shutdown()
	start = time.Now()
	for _, err := range fanout.Map(ctx, ex, slices.Values(pages), pageExistence) {
		if err != nil {
			fmt.Println(err)
		}
	}
	concurrent := time.Since(start)
	// 20 requests of 20 ms: about 400 ms one at a time, about 20 ms at once.
	fmt.Println("at least 3x faster:", sequential > 3*concurrent)
	// Output: at least 3x faster: true
}

// Nested work, the crawler's shape: a task submits subtasks to its own
// executor and waits for them. Passing the task's own context to Submit (as
// Go code does for any blocking call) is what lets the executor see that a
// task waits on it, in Submit when the queue is full or later in Result, and
// run one more worker meanwhile: with 2 workers and every worker holding a
// section, the pages still get fetched. Submit(context.Background(), …)
// here could deadlock in Submit, whatever Result is given.
func Example_nested() {
	base, stop := wiki()
	defer stop()
	ctx := context.Background()
	ex := fanout.New(fanout.WithWorkers(2))
	defer ex.Shutdown()

	section := func(ctx context.Context, pages []string) (int, error) {
		var fs []*fanout.Future[string]
		for _, p := range pages {
			fs = append(fs, fanout.Submit(ctx, ex, func(ctx context.Context) (string, error) {
				return pageExistence(ctx, base+p)
			}))
		}
		found := 0
		for _, f := range fs {
			line, err := f.Result(ctx)
			if err != nil {
				return found, err
			}
			if strings.HasSuffix(line, " exists") {
				found++
			}
		}
		return found, nil
	}
	sections := [][]string{{"Ocean", "Sea"}, {"Island", "this_page_does_not_exist"}, {"Shark"}}
	var fs []*fanout.Future[int]
	for _, pages := range sections {
		fs = append(fs, fanout.Submit(ctx, ex, func(ctx context.Context) (int, error) { return section(ctx, pages) }))
	}
	for i, f := range fs {
		n, err := f.Result(ctx)
		fmt.Println(i, n, err)
	}
	// Output:
	// 0 2 <nil>
	// 1 1 <nil>
	// 2 1 <nil>
}

// A batch with a deadline over futures of different result types (Python's
// wait(fs, timeout=...)): the titles are Future[string], the saves from Go
// are Future[struct{}], and Wait takes them together as AnyFuture. What has
// not finished by the deadline is in notDone, and the error says the
// deadline passed, not that a task failed.
func ExampleWait() {
	base, stop := wiki()
	defer stop()
	ex := fanout.New()
	defer ex.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()

	var batch []fanout.AnyFuture
	for _, page := range []string{"Ocean", "Shark"} {
		batch = append(batch, fanout.Submit(ctx, ex, func(ctx context.Context) (string, error) {
			return pageExistence(ctx, base+page)
		}))
		batch = append(batch, ex.Go(ctx, func(context.Context) error { return nil })) // save it
	}
	stuck := make(chan struct{})
	batch = append(batch, ex.Go(ctx, func(context.Context) error { <-stuck; return nil }))

	done, notDone, err := fanout.Wait(ctx, batch, fanout.AllCompleted)
	fmt.Println(len(done), "done,", len(notDone), "not done")
	fmt.Println("deadline:", errors.Is(err, fanout.ErrContextDone), errors.Is(err, context.DeadlineExceeded))
	close(stuck)
	// Output:
	// 4 done, 1 not done
	// deadline: true true
}
