package fanout

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// ErrOverloaded is what a task's error wraps to tell a Limiter that the
// other side is overloaded (an HTTP 429 or 503, a timeout, a refused
// connection): the key's limit is cut at once.
var ErrOverloaded = errors.New("fanout: overloaded")

// OverloadedError is an overload whose sender said when to come back (an
// HTTP Retry-After): no task of the key starts before then. It matches
// ErrOverloaded.
type OverloadedError struct {
	RetryAfter time.Duration
}

func (e *OverloadedError) Error() string {
	return fmt.Sprintf("fanout: overloaded, retry after %v", e.RetryAfter)
}

// Is makes errors.Is(err, ErrOverloaded) hold.
func (e *OverloadedError) Is(target error) bool { return target == ErrOverloaded }

// How a key's limit moves (see Limiter). It starts at initialLimit. While
// answers take at most holds times the least latency seen (the base), it
// grows by one per answer (doubling each round trip), and in the slow
// start at once to what the answers allow (below), which ends on a later
// answer if latency grows with the tasks sent (a busy client's late
// answers do not end it).
// Up to steady times the base an answer grows it by one (a busy client
// reads answers 10-50% late whatever the load), beyond by one per round
// trip. Growth never takes it beyond margin x refuses / f x the answers
// the key is shown to hold at once within f times the base, for the f of
// flats that allows most (see held), so that a host refusing beyond 3
// times its capacity is not pushed there. When the smoothed latency passes
// tolerance times the base, the limit shrinks by latencyCut if latency
// grows with the tasks sent (a slope of queueing, see elasticity) and by
// queueFloor at least, else it holds; on an overload it shrinks by
// overloadCut. Either at most once per
// round trip, so that the answers of one crowded round trip cut it once.
// The shape is TCP's slow start (HyStart's exit on a rising delay), BBR's
// delivery rate over a round trip, AIMD, and Vegas's zones of queueing delay.
const (
	initialLimit = 4
	holds        = 1.25
	steady       = 1.5
	refuses      = 3
	margin       = 0.9
	tolerance    = 2.0
	latencyCut   = 0.9
	queueing     = 0.3
	overloadCut  = 0.5
	// Latency grown by less than queueFloor is not read as a queue, however
	// many times the least latency it is: below a millisecond a busy
	// client's own pauses are most of what it measures (see
	// TestLimiterSubMillisecondHost).
	queueFloor = time.Millisecond
)

// Limiter bounds how many tasks run at once per key (a host, say), each
// key's bound adapting between a floor and a ceiling to what the key
// takes: it grows while latency holds and shrinks when latency grows or a
// task reports ErrOverloaded, as TCP congestion control and Netflix's
// concurrency-limits do. A total bounds all keys together. One slow key
// never holds the others back: its tasks wait in Acquire, in order, while
// the other keys' run.
//
// Use it inside the tasks of an executor with more workers than the total,
// so that tasks waiting for their key do not keep the other keys' tasks
// from starting; see the example. A Limiter is safe for concurrent use.
type Limiter struct {
	floor, ceiling, total int

	mu       sync.Mutex
	inflight int
	keys     map[string]*keyLimit
	queued   map[*keyLimit]struct{} // keys with waiters
}

type keyLimit struct {
	name     string
	limit    float64
	inflight int
	running  int             // tasks that have started: what the host sees
	waiters  []chan struct{} // closed when granted, FIFO
	paused   bool            // until a Retry-After ends
	slow     bool            // slow start: no sign of load yet
	base     time.Duration   // least latency seen
	smooth   time.Duration   // smoothed latency
	lastCut  time.Time
	load     elasticity       // of latency to tasks running
	held     [len(flats)]held // what the key is shown to take at once, per flat
}

// NewLimiter returns a Limiter whose per-key bounds stay within
// [floor, ceiling] and whose keys together run at most total tasks
// (1 <= floor <= ceiling <= total).
func NewLimiter(floor, ceiling, total int) *Limiter {
	if floor < 1 || ceiling < floor || total < ceiling {
		panic("fanout: NewLimiter needs 1 <= floor <= ceiling <= total")
	}
	return &Limiter{floor: floor, ceiling: ceiling, total: total,
		keys: map[string]*keyLimit{}, queued: map[*keyLimit]struct{}{}}
}

// Permit is one task's place under its key's limit, from Acquire.
type Permit struct {
	l     *Limiter
	k     *keyLimit
	start time.Time
	sent  int // the key's tasks running when this one started, itself included
	once  sync.Once
}

// Acquire waits until key may run one more task and returns its permit;
// the task calls Release when done. Tasks of one key start in the order
// they called Acquire. When ctx ends first, the error matches
// ErrContextDone.
func (l *Limiter) Acquire(ctx context.Context, key string) (*Permit, error) {
	l.mu.Lock()
	k := l.keys[key]
	if k == nil {
		k = &keyLimit{name: key, limit: float64(l.initial()), slow: true}
		l.keys[key] = k
	}
	if len(k.waiters) == 0 && l.room(k) {
		l.take(k)
		defer l.mu.Unlock()
		return l.start(k), nil
	}
	ready := make(chan struct{})
	k.waiters = append(k.waiters, ready)
	l.queued[k] = struct{}{}
	l.mu.Unlock()
	select {
	case <-ready:
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.start(k), nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-ready: // granted meanwhile: hand the place on
		l.give(k)
		l.dispatch(k)
	default:
		for i, w := range k.waiters {
			if w == ready {
				k.waiters = append(k.waiters[:i], k.waiters[i+1:]...)
				break
			}
		}
		if len(k.waiters) == 0 {
			delete(l.queued, k)
		}
	}
	return nil, contextDone(ctx)
}

// Release gives the permit's place back with the task's outcome: nil for
// a success, whose duration (from Acquire's return) feeds the key's
// latency; an error matching ErrOverloaded cuts the key's limit (and an
// OverloadedError pauses the key); any other error says nothing about
// load and leaves the limit as it is. Calls after the first do nothing.
func (p *Permit) Release(err error) {
	p.once.Do(func() {
		now := time.Now()
		l, k := p.l, p.k
		l.mu.Lock()
		defer l.mu.Unlock()
		l.give(k)
		k.running--
		l.observe(k, p, err, now)
		l.dispatch(k)
	})
}

// Keys returns the keys acquired so far, with the bound each stands at.
func (l *Limiter) Keys() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := make(map[string]int, len(l.keys))
	for name, k := range l.keys {
		m[name] = int(k.limit)
	}
	return m
}

// Limit returns how many tasks key may run at once now: the bound it
// stands at, or the one it starts at if no task of key came yet. A queue
// of inputs in front of an executor can use it to hold back a busy key's
// inputs (they then take no worker while they wait) and let other keys'
// pass them.
func (l *Limiter) Limit(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k := l.keys[key]; k != nil {
		return int(k.limit)
	}
	return l.initial()
}

func (l *Limiter) initial() int { return min(max(initialLimit, l.floor), l.ceiling) }

// start returns the permit of a task of k that starts now. The tasks of k
// running then are counted when it starts, not when its place is granted:
// a task granted a place among many may start after others have ended.
func (l *Limiter) start(k *keyLimit) *Permit {
	k.running++
	return &Permit{l: l, k: k, start: time.Now(), sent: k.running}
}

func (l *Limiter) room(k *keyLimit) bool {
	return !k.paused && k.inflight < int(k.limit) && l.inflight < l.total
}

func (l *Limiter) take(k *keyLimit) { k.inflight++; l.inflight++ }
func (l *Limiter) give(k *keyLimit) { k.inflight--; l.inflight-- }

// dispatch grants waiting tasks the places free now: k's first (its
// limit may have grown), then other keys' that only the total held back.
func (l *Limiter) dispatch(k *keyLimit) {
	l.grant(k)
	for q := range l.queued {
		if l.inflight >= l.total {
			return
		}
		l.grant(q)
	}
}

func (l *Limiter) grant(k *keyLimit) {
	for len(k.waiters) > 0 && l.room(k) {
		l.take(k)
		close(k.waiters[0])
		k.waiters[0] = nil
		k.waiters = k.waiters[1:]
	}
	if len(k.waiters) == 0 {
		delete(l.queued, k)
	}
}

// observe moves k's limit after p's task ended with err.
func (l *Limiter) observe(k *keyLimit, p *Permit, err error, now time.Time) {
	d, sent := now.Sub(p.start), p.sent
	if err != nil {
		if !errors.Is(err, ErrOverloaded) {
			return
		}
		k.slow = false
		l.cut(k, overloadCut, now)
		// The refused task's place is not given again: a host that
		// refuses at once would otherwise see every waiting task come
		// and be refused in one instant, before the next cut (hundreds
		// of 503s at a limit one past what the host takes).
		k.limit = max(min(k.limit, float64(k.inflight)), float64(l.floor))
		var oe *OverloadedError
		if errors.As(err, &oe) && oe.RetryAfter > 0 && !k.paused {
			k.paused = true
			time.AfterFunc(oe.RetryAfter, func() {
				l.mu.Lock()
				defer l.mu.Unlock()
				k.paused = false
				l.dispatch(k)
			})
		}
		return
	}
	if k.base == 0 || d < k.base {
		k.base = d
	}
	if k.smooth == 0 {
		k.smooth = d
	}
	k.smooth += (d - k.smooth) / 8
	if d > 0 { // a clock too coarse to time it says nothing of the slope
		k.load.add(float64(sent), float64(d))
	}
	if float64(k.smooth) > tolerance*float64(k.base) && k.smooth-k.base > queueFloor {
		k.slow = false
		if k.load.elastic() {
			l.cut(k, latencyCut, now)
		}
		return
	}
	if float64(k.inflight+1) < k.limit/2 {
		return // the limit is not what holds the key back: no sign it could take more
	}
	r := float64(d) / float64(k.base)
	grow := 1.0
	switch {
	case r > holds:
		// The slow start ends on a late answer if latency grows with the
		// tasks sent; a busy client's late answers do not end it.
		k.slow = k.slow && !k.load.elastic()
		if r > steady {
			grow = 1 / k.limit
		}
	case k.slow:
		// As far as the answers allow: by two per answer (tripling a
		// round trip at most) the first answers of each round trip, as
		// many as the last one's, grew nothing, and the climb went about
		// 2.15-fold a round trip where the counts allow 2.45.
		grow = math.Inf(1)
	}
	// Counted by the answers, not by the tasks running when each started:
	// those count tasks granted but not yet at the key, or answered but
	// not yet read by a busy client, and lifted the limit too far (a host
	// of capacity 4 got up to 6 requests beyond 12 in 300).
	allowed := 0.0
	for i, f := range flats {
		if r <= f {
			k.held[i].add(now, k.base)
		}
		allowed = max(allowed, margin*refuses/f*float64(k.held[i].most))
	}
	k.limit = min(k.limit+grow, max(k.limit, allowed), float64(l.ceiling))
}

// flats are the tolerances within which answers count as held at once.
// A host of capacity C answers within f times its base latency only while
// it holds at most f x C, so n answers within f show C >= n/f, and a limit
// of margin x refuses x n/f stays under 3C. The wider ones count what a
// busy client reads late (10-50% at 10 ms on a loaded machine), which 1.1
// alone left out: the climb stalled while the client was busy.
var flats = [...]float64{1.1, 1.25, 1.5, 2}

// held counts the answers within one flat that came in the last base
// latency: every request answered in that span was in flight at its start
// (none is answered sooner), so the key held that many at once.
type held struct {
	at   []time.Time // when they came, oldest first
	most int         // the most at once, since the last cut
}

func (h *held) add(now time.Time, base time.Duration) {
	h.at = append(h.at, now)
	i := 0
	for i < len(h.at) && now.Sub(h.at[i]) >= base {
		i++
	}
	h.at = h.at[i:]
	h.most = max(h.most, len(h.at))
}

// cut shrinks k's limit by factor, once per smoothed round trip.
func (l *Limiter) cut(k *keyLimit, factor float64, now time.Time) {
	if now.Sub(k.lastCut) < k.smooth {
		return
	}
	k.lastCut = now
	k.held = [len(flats)]held{}
	k.limit = max(k.limit*factor, float64(l.floor))
}

// elasticity tracks how a key's latency moves with the tasks running when
// each task started, over the last few dozen answers: the slope of
// log(latency) on log(running). A queue at the key makes latency grow with
// the tasks sent (a slope near 1 beyond its capacity); a client starved of
// CPU reads every answer late whatever the load (a slope near 0), and
// cutting the limit for that would take it to the floor for nothing
// (issue 25's case two on a loaded machine).
type elasticity struct {
	x, y, xx, xy float64 // running means of log(running), log(latency), their square and product
	n            int
	inelastic    bool // the last time the tasks running varied enough to tell
}

func (e *elasticity) add(running, latency float64) {
	x, y := math.Log(running), math.Log(latency)
	w := 1 / float64(min(e.n+1, 32))
	e.n++
	e.x += (x - e.x) * w
	e.y += (y - e.y) * w
	e.xx += (x*x - e.xx) * w
	e.xy += (x*y - e.xy) * w
	if v := e.xx - e.x*e.x; v >= 0.01 {
		e.inelastic = (e.xy-e.x*e.y)/v < queueing
	}
}

// elastic tells whether a latency grown long may be the key's queue: the
// slope was at least queueing when last the tasks running varied enough
// to tell (a cut makes them vary), or they never did.
func (e *elasticity) elastic() bool { return !e.inelastic }
