package fanout_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fanout-dev/fanout"
)

// fakeHost is issue 25's server in virtual time: a request takes latency
// times max(1, inflight/capacity), and is refused at once beyond three
// times the capacity.
type fakeHost struct {
	capacity int
	latency  time.Duration
	// stall, if set, is added to each request's time whatever the host's
	// load: a client starved of CPU, whose answers are read late.
	stall func() time.Duration

	mu              sync.Mutex
	inflight, peak  int
	served, refused int
	done            time.Time
}

func (h *fakeHost) serve() error {
	h.mu.Lock()
	h.inflight++
	n, c := h.inflight, h.capacity
	h.peak = max(h.peak, n)
	if c > 0 && n > 3*c {
		h.inflight--
		h.refused++
		h.mu.Unlock()
		return fanout.ErrOverloaded
	}
	h.mu.Unlock()
	d := h.latency
	if c > 0 && n > c {
		d = d * time.Duration(n) / time.Duration(c)
	}
	if h.stall != nil {
		d += h.stall()
	}
	time.Sleep(d)
	h.mu.Lock()
	h.inflight--
	h.served++
	h.done = time.Now()
	h.mu.Unlock()
	return nil
}

// crawl runs n requests to each host, interleaved, on an executor of
// workers tasks whose tasks take a place from lim first, retrying a
// refused request as a client would.
func crawl(t *testing.T, lim *fanout.Limiter, workers, n int, hosts map[string]*fakeHost) {
	t.Helper()
	ctx := context.Background()
	ex := fanout.New(fanout.WithWorkers(workers))
	defer ex.Shutdown()
	var names []string
	for name := range hosts {
		names = append(names, name)
	}
	for i := range n {
		for _, name := range names {
			ex.Go(ctx, func(ctx context.Context) error {
				for {
					p, err := lim.Acquire(ctx, name)
					if err != nil {
						return err
					}
					err = hosts[name].serve()
					p.Release(err)
					if err == nil {
						return nil
					}
					time.Sleep(100 * time.Millisecond) // the client's backoff
				}
			})
		}
		_ = i
	}
}

// watchLimit looks at key's limit after first, then every every, until it
// is n or more; the func it returns stops looking and says how long after
// the call that came (0: never).
func watchLimit(lim *fanout.Limiter, key string, n int, first, every time.Duration) func() time.Duration {
	start := time.Now()
	var reached time.Duration
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		wait := first
		for reached == 0 {
			select {
			case <-done:
				return
			case <-time.After(wait):
			}
			if lim.Limit(key) >= n {
				reached = time.Since(start)
			}
			wait = every
		}
	})
	return func() time.Duration {
		close(done)
		wg.Wait()
		return reached
	}
}

// One host with a hidden capacity: the limit settles between the capacity
// and three times it (where the host refuses), the run takes about as long
// as at the capacity itself, and almost nothing is refused (issue 25's
// first case; lychee#367 and #1402 are the 429s a fixed count gets).
func TestLimiterFindsOneHostsCapacity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &fakeHost{capacity: 16, latency: 10 * time.Millisecond}
		lim := fanout.NewLimiter(1, 256, 256)
		start := time.Now()
		crawl(t, lim, 4096, 4000, map[string]*fakeHost{"a": h})
		took := time.Since(start)
		ideal := 4000 / 16 * 10 * time.Millisecond // what -w 16 takes
		if took > ideal*110/100 {
			t.Errorf("took %v; at the capacity it takes %v", took, ideal)
		}
		if h.refused > 4000/200 {
			t.Errorf("%d requests refused, more than 0.5%%", h.refused)
		}
		if got := lim.Keys()["a"]; got < 16 || got > 48 {
			t.Errorf("settled at %d; the capacity is 16, refusals start beyond 48", got)
		}
	})
}

// A client starved of CPU reads every answer late, whatever the host's
// load: latency grows, but not with the tasks sent, and cutting the limit
// does not bring it down. The limit must not fall below the capacity then
// (issue 25's case two on a loaded machine took 2.7 times as long; here,
// cutting on latency alone took the limit from 27 to 1 in the stall).
// Netflix's concurrency-limits has the same trouble with its own GC pauses
// (concurrency-limits#58: "reducing limits due to poorly tuned GC", #156)
// and no way to tell a slow dependency from its own load (#171).
func TestLimiterClientStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		stalled := func() bool { d := time.Since(start); return d >= 500*time.Millisecond && d < 2*time.Second }
		h := &fakeHost{capacity: 16, latency: 10 * time.Millisecond, stall: func() time.Duration {
			if stalled() {
				return 20 * time.Millisecond
			}
			return 0
		}}
		lim := fanout.NewLimiter(1, 256, 256)
		low := 256
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				case <-time.After(10 * time.Millisecond):
				}
				if stalled() {
					low = min(low, lim.Keys()["a"])
				}
			}
		})
		crawl(t, lim, 4096, 4000, map[string]*fakeHost{"a": h})
		took := time.Since(start)
		close(done)
		wg.Wait()
		// At -w 16: 800 URLs in the first 0.5 s, 800 in the 1.5 s of the
		// stall (30 ms each), the 2,400 left in 1.5 s.
		ideal := 3500 * time.Millisecond
		if took > ideal*110/100 {
			t.Errorf("took %v; at the capacity %v", took, ideal)
		}
		if low < 16 {
			t.Errorf("the limit fell to %d during the stall; the capacity is 16", low)
		}
		if h.refused > 4000/200 {
			t.Errorf("%d requests refused, more than 0.5%%", h.refused)
		}
	})
}

// A host with no limit: the limit climbs to the ceiling quickly. Issue
// 25's second case asks for 15% of a fixed 256; in virtual time, where a
// fixed 256 wastes nothing, the climb from 4 (at most 2.45 times per round
// trip, so as never to push a host beyond 3 times its capacity) costs about
// 4 of the 32 round trips: 13% is the bound here (1.80 s; a cap by each
// answer's own level climbed about 2 times per round trip: 1.85 s, 16%),
// and the real benchmark (bench/auto.sh) is what holds it to 15%. The
// limit is at the ceiling after five round trips (4, 9, 22, 54, 132, 256);
// growing by two per answer in the slow start took six (4, 8, 17, 37, 81,
// 178, 256: 305 ms).
func TestLimiterClimbsToTheCeiling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &fakeHost{latency: 50 * time.Millisecond}
		lim := fanout.NewLimiter(1, 256, 256)
		start := time.Now()
		// Looked at between the answers, which come every 50 ms.
		reachedAt := watchLimit(lim, "a", 256, 5*time.Millisecond, 10*time.Millisecond)
		crawl(t, lim, 4096, 8000, map[string]*fakeHost{"a": h})
		took := time.Since(start)
		reached := reachedAt()
		if reached == 0 || reached > 5*h.latency+10*time.Millisecond {
			t.Errorf("the limit reached the ceiling at %v; five round trips are %v", reached, 5*h.latency)
		}
		ideal := (8000 + 255) / 256 * 50 * time.Millisecond // what -w 256 takes: 32 rounds
		if took > ideal*113/100 {
			t.Errorf("took %v; at 256 it takes %v", took, ideal)
		}
		if got := lim.Keys()["a"]; got != 256 {
			t.Errorf("settled at %d, not the ceiling", got)
		}
	})
}

// A busy client reads some answers late, whatever the load: one in five
// here, by 30%. The slow start must not end on them, as it does on late
// answers that grow with the tasks sent, or the climb falls to doubling
// per round trip (seen on a loaded machine: 9 round trips to 256; here
// 2.04 s against 1.995 s: the late answers also show nothing of the
// host's capacity, so the climb is slower than without them).
func TestLimiterClimbsThroughNoise(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		h := &fakeHost{latency: 50 * time.Millisecond, stall: func() time.Duration {
			if n.Add(1)%5 == 0 {
				return 15 * time.Millisecond
			}
			return 0
		}}
		lim := fanout.NewLimiter(1, 256, 256)
		start := time.Now()
		crawl(t, lim, 4096, 8000, map[string]*fakeHost{"a": h})
		took := time.Since(start)
		ideal := (8000 + 255) / 256 * 53 * time.Millisecond // -w 256: 32 rounds of 53 ms on average
		if took > ideal*119/100 {
			t.Errorf("took %v; at 256 it takes about %v", took, ideal)

		}
	})
}

// Two hosts in one list: each finishes about when it would alone, at its
// own capacity; the small one holds back neither the large one nor is
// flooded (issue 25's third case: a fixed 64 gets ~1,250 refusals).
func TestLimiterKeepsHostsApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		small := &fakeHost{capacity: 4, latency: 10 * time.Millisecond}
		large := &fakeHost{capacity: 64, latency: 10 * time.Millisecond}
		lim := fanout.NewLimiter(1, 256, 256)
		start := time.Now()
		crawl(t, lim, 4096, 2000, map[string]*fakeHost{"small": small, "large": large})
		for _, c := range []struct {
			name string
			h    *fakeHost
		}{{"small", small}, {"large", large}} {
			took := c.h.done.Sub(start)
			ideal := time.Duration(2000/c.h.capacity) * c.h.latency
			if took > ideal*115/100 {
				t.Errorf("%s: took %v; alone at its capacity %v", c.name, took, ideal)
			}
			if c.h.refused > 2000/200 {
				t.Errorf("%s: %d requests refused, more than 0.5%% (peak %d)", c.name, c.h.refused, c.h.peak)
			}
		}
	})
}

// A host whose capacity falls in the middle of a run (other clients came)
// refuses at once what is beyond three times its new capacity. Each refusal
// must take its place away, not hand it to the next waiting task: before,
// the tasks waiting went through the refused places in one instant, and
// 3,192 of 4,000 requests were refused (each cut comes at most once per
// round trip), where 5 are now. lychee#1402 is a host that answers 429
// whatever the client does; here the client's own flood is what it answers.
func TestLimiterHostShrinks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &fakeHost{capacity: 16, latency: 10 * time.Millisecond}
		time.AfterFunc(500*time.Millisecond, func() {
			h.mu.Lock()
			h.capacity = 4
			h.mu.Unlock()
		})
		lim := fanout.NewLimiter(1, 256, 256)
		crawl(t, lim, 4096, 4000, map[string]*fakeHost{"a": h})
		if h.refused > 4000/200 {
			t.Errorf("%d requests refused after the host's capacity fell from 16 to 4, more than 0.5%%", h.refused)
		}
		if got := lim.Keys()["a"]; got < 4 || got > 12 {
			t.Errorf("settled at %d; the capacity is 4 now, refusals start beyond 12", got)
		}
	})
}

// A small host from the first request: neither the first round trip nor
// the climb after it takes it beyond 3 times its capacity, where it
// refuses, and it finishes about when it would at its capacity (issue 25:
// a host of capacity 4 refuses beyond 12; starting at 8 pushes C=2 to 7,
// and TestLimiterSlowStart is why it does not start at 6).
func TestLimiterSmallHostAtStart(t *testing.T) {
	for _, c := range []int{2, 3, 4, 8} {
		t.Run(fmt.Sprint("C=", c), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := &fakeHost{capacity: c, latency: 10 * time.Millisecond}
				lim := fanout.NewLimiter(1, 256, 256)
				start := time.Now()
				n := 100 * c
				crawl(t, lim, 4096, n, map[string]*fakeHost{"a": h})
				if h.peak > 3*c || h.refused > 0 {
					t.Errorf("peak %d in flight, %d refused; the host refuses beyond %d", h.peak, h.refused, 3*c)
				}
				if took, ideal := time.Since(start), time.Duration(n/c)*h.latency; took > ideal*115/100 {
					t.Errorf("took %v; at its capacity %v", took, ideal)
				}
			})
		})
	}
}

// A client busy as it starts (a few thousand workers spinning up) reads
// its first answers late: the least latency seen is too long at first,
// and levels judged against it are not shown fine. When a shorter answer
// comes, they must count no more, or a host of capacity 4 is pushed past
// 12 (seen on a loaded machine: 15 in flight, 7 answers in 500 refused).
func TestLimiterSlowStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		h := &fakeHost{capacity: 4, latency: 10 * time.Millisecond, stall: func() time.Duration {
			if time.Since(start) < 30*time.Millisecond {
				return 20 * time.Millisecond
			}
			return 0
		}}
		lim := fanout.NewLimiter(1, 256, 256)
		crawl(t, lim, 4096, 400, map[string]*fakeHost{"a": h})
		if h.peak > 12 || h.refused > 0 {
			t.Errorf("peak %d in flight, %d refused; the host refuses beyond 12", h.peak, h.refused)
		}
	})
}

// The bounds hold: no key beyond the ceiling nor below the floor, and
// all keys together never beyond the total.
func TestLimiterBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hosts := map[string]*fakeHost{}
		for _, name := range []string{"a", "b", "c"} {
			hosts[name] = &fakeHost{latency: 10 * time.Millisecond}
		}
		var mu sync.Mutex
		running, peak := 0, 0
		lim := fanout.NewLimiter(2, 8, 20)
		ctx := context.Background()
		var wg sync.WaitGroup
		for range 300 {
			for name, h := range hosts {
				wg.Go(func() {
					p, err := lim.Acquire(ctx, name)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					running++
					peak = max(peak, running)
					mu.Unlock()
					err = h.serve()
					mu.Lock()
					running--
					mu.Unlock()
					p.Release(err)
				})
			}
		}
		wg.Wait()
		if peak > 20 {
			t.Errorf("%d at once over 3 keys; the total is 20", peak)
		}
		for name, h := range hosts {
			if h.peak > 8 {
				t.Errorf("%s: %d at once; the ceiling is 8", name, h.peak)
			}
		}
		// Overloads cut a key down to its floor, never below.
		for range 20 {
			p, _ := lim.Acquire(ctx, "a")
			time.Sleep(time.Second)
			p.Release(fanout.ErrOverloaded)
		}
		if got := lim.Keys()["a"]; got != 2 {
			t.Errorf("after 20 overloads: %d, want the floor, 2", got)
		}
	})
}

// A Retry-After pauses the key: nothing of it starts before the time is
// up (lychee#1402: only honouring Retry-After ends the 429s), while
// other keys go on; other errors do not move the limit.
func TestLimiterRetryAfterAndOtherErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		lim := fanout.NewLimiter(1, 64, 64)
		p, _ := lim.Acquire(ctx, "a")
		time.Sleep(time.Millisecond)
		before := lim.Keys()["a"]
		p.Release(errors.New("404"))
		if got := lim.Keys()["a"]; got != before {
			t.Errorf("a plain error moved the limit from %d to %d", before, got)
		}
		p, _ = lim.Acquire(ctx, "a")
		start := time.Now()
		p.Release(&fanout.OverloadedError{RetryAfter: 30 * time.Second})
		if q, err := lim.Acquire(ctx, "b"); err != nil || time.Since(start) != 0 {
			t.Errorf("another key waited %v (%v)", time.Since(start), err)
		} else {
			q.Release(nil)
		}
		p, err := lim.Acquire(ctx, "a")
		if err != nil || time.Since(start) != 30*time.Second {
			t.Errorf("the paused key started again after %v (%v); it asked for 30s", time.Since(start), err)
		}
		p.Release(nil)
		p.Release(nil) // a second release does nothing
		if !errors.Is(&fanout.OverloadedError{}, fanout.ErrOverloaded) {
			t.Error("an OverloadedError does not match ErrOverloaded")
		}
	})
}

// A wait whose context ends fails with ErrContextDone and leaves no place
// taken: the next task still gets one.
func TestLimiterAcquireContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lim := fanout.NewLimiter(1, 1, 1)
		held, _ := lim.Acquire(context.Background(), "a")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := lim.Acquire(ctx, "a"); !errors.Is(err, fanout.ErrContextDone) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Acquire after its deadline: %v", err)
		}
		held.Release(nil)
		p, err := lim.Acquire(context.Background(), "a")
		if err != nil {
			t.Fatal(err)
		}
		p.Release(nil)
	})
}

// A busy client reads answers late by a spread of its own, whatever the
// host's load (0-3 ms and 0-5 ms at 10 ms here, seeded; bench/auto.sh's
// client read 10-50% late at 10 ms on a loaded machine): few answers come
// within 1.1 times the least latency, and a climb that counted only those
// never reached the host's capacity (0-3 ms: 770 ms against 357 ms at
// -w 64; issue 25's case two, the large host 22-52% behind its time
// alone). Counting at wider tolerances, each with its own bound, reaches it
// within a few round trips and never pushes the host past 3 times its
// capacity; growing by one per answer up to 1.5 times the least latency
// (not by one per round trip beyond 1.25) keeps 0-5 ms within 12% (16%).
// Envoy's adaptive concurrency found the same noise on real hosts and added
// a buffer of 25% to its least latency (envoy#9038); concurrency-limits a
// tolerance "for more permissive limit growth" (concurrency-limits#125).
func TestLimiterClimbsThroughClientJitter(t *testing.T) {
	for _, jitter := range []time.Duration{3 * time.Millisecond, 5 * time.Millisecond} {
		t.Run(fmt.Sprint(jitter), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				rng := rand.New(rand.NewPCG(25, 3))
				h := &fakeHost{capacity: 64, latency: 10 * time.Millisecond, stall: func() time.Duration {
					mu.Lock()
					defer mu.Unlock()
					return time.Duration(rng.Int64N(int64(jitter)))
				}}
				lim := fanout.NewLimiter(1, 256, 256)
				start := time.Now()
				reachedAt := watchLimit(lim, "a", h.capacity, time.Millisecond, time.Millisecond)
				crawl(t, lim, 4096, 2000, map[string]*fakeHost{"a": h})
				took := time.Since(start)
				reached := reachedAt()
				// At -w 64: 31 rounds of the latency and half the jitter.
				ideal := 2000 / 64 * (h.latency + jitter/2)
				if took > ideal*112/100 {
					t.Errorf("took %v; at the capacity about %v", took, ideal)
				}
				if reached == 0 || reached > 10*h.latency {
					t.Errorf("the limit reached %d at %v (0: never); want within 10 round trips", h.capacity, reached)
				}
				if h.peak > 3*h.capacity || h.refused > 0 {
					t.Errorf("peak %d in flight, %d refused; the host refuses beyond %d", h.peak, h.refused, 3*h.capacity)
				}
			})
		})
	}
}

// Limit says what a key may run now: where a key not seen yet starts (4,
// within the ceiling), then the bound Keys reports as it moves.
func TestLimiterLimit(t *testing.T) {
	if got := fanout.NewLimiter(1, 2, 8).Limit("new"); got != 2 {
		t.Errorf("a new key under a ceiling of 2 may run %d", got)
	}
	synctest.Test(t, func(t *testing.T) {
		lim := fanout.NewLimiter(1, 256, 256)
		if got := lim.Limit("a"); got != 4 {
			t.Errorf("a new key may run %d; it starts at 4", got)
		}
		crawl(t, lim, 4096, 400, map[string]*fakeHost{"a": {capacity: 16, latency: 10 * time.Millisecond}})
		if got, want := lim.Limit("a"), lim.Keys()["a"]; got != want || got <= 4 {
			t.Errorf("Limit %d, Keys %d: want the same, grown past 4", got, want)
		}
	})
}

// A host that answers in 100 µs, read by a client whose own pauses (its
// scheduler, a GC, its start) are most of what it measures: at that scale
// the latency is many times the least one whatever the host does, and
// grows with the tasks sent only because the client is busier. Cutting on
// it took a loopback host answering at once to one request at a time
// (20,000 URLs in 2.4 s against 0.7 s at -w 256; 0.99-1.32 s now); here it
// ended at 1 and took 0.99 s, where it ends at 5 and takes 0.37 s. Latency
// grown by less than a millisecond is not read as a queue.
func TestLimiterSubMillisecondHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		rng := rand.New(rand.NewPCG(25, 4))
		start := time.Now()
		var h *fakeHost
		h = &fakeHost{latency: 100 * time.Microsecond, stall: func() time.Duration {
			mu.Lock()
			defer mu.Unlock()
			h.mu.Lock()
			n := h.inflight
			h.mu.Unlock()
			// 0-300 µs of noise, 50 µs more per other request in flight,
			// and 300 µs per request while the client starts.
			d := time.Duration(rng.Int64N(int64(300*time.Microsecond))) + time.Duration(n-1)*50*time.Microsecond
			if time.Since(start) < 15*time.Millisecond {
				d += time.Duration(n) * 300 * time.Microsecond
			}
			return d
		}}
		lim := fanout.NewLimiter(1, 256, 256)
		crawl(t, lim, 4096, 4000, map[string]*fakeHost{"a": h})
		if got, took := lim.Limit("a"), time.Since(start); got < 4 || took > 500*time.Millisecond {
			t.Errorf("ended at %d in flight after %v; at 4 it takes about 350 ms", got, took)
		}
	})
}
