package command

import (
	"context"
	"iter"
	"sync"

	"github.com/fanout-dev/fanout"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
)

// admission is -w auto's queue in front of the executor: an input whose
// host already runs as many inputs as its limit allows (and a few more,
// ready for the next free place) waits here, in its host's queue, while
// the inputs of other hosts pass it. Before, every input taken waited in
// the executor, a goroutine each, for its host: 4,096 of them filled with
// a slow host's inputs and then held the other hosts to its pace (two
// hosts of 6,000 URLs each, capacities 4 and 64: the large one took 5.0 s
// where it takes 1.0 s alone), and the thousands of goroutines started at
// once slowed a one-host run's first round trips.
type admission struct {
	lim  *fanout.Limiter
	host func(runio.Line) string // "": not held back (no host to ask)

	mu      sync.Mutex
	running map[string]int      // inputs let through and not finished, per host
	freed   map[string]struct{} // hosts with inputs finished since last looked at
	wake    chan struct{}       // a place freed: cap 1
}

// admitHold is how many inputs wait in an admission at most (a line of
// text each), after which it takes no more until a place frees.
const admitHold = 1 << 16

func newAdmission(lim *fanout.Limiter, host func(runio.Line) string) *admission {
	return &admission{lim: lim, host: host, running: map[string]int{}, freed: map[string]struct{}{}, wake: make(chan struct{}, 1)}
}

// room reports whether one more input of host may go (a.mu held): up to
// its limit, and a quarter more so that a free place is taken at once.
func (a *admission) room(host string) bool {
	limit := a.lim.Limit(host)
	return a.running[host] < limit+limit/4+1
}

// done tells a that an input of host finished.
func (a *admission) done(host string) {
	if host == "" {
		return
	}
	a.mu.Lock()
	a.running[host]--
	if a.running[host] == 0 {
		delete(a.running, host)
	}
	a.freed[host] = struct{}{}
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// order yields the lines of lines as their hosts have room, holding up to
// admitHold of them back; the order of one host's lines is kept.
func (a *admission) order(ctx context.Context, lines iter.Seq[runio.Line]) iter.Seq[runio.Line] {
	return func(yield func(runio.Line) bool) {
		next, stop := iter.Pull(lines)
		defer stop()
		queues := map[string][]runio.Line{}
		held, ended := 0, false
		// take lets l go if its host has room (a.mu held).
		take := func(host string) bool {
			if !a.room(host) {
				return false
			}
			a.running[host]++
			return true
		}
		for {
			// Hosts with places freed first: their inputs waited longest.
			var ready []runio.Line
			a.mu.Lock()
			for host := range a.freed {
				q := queues[host]
				for len(q) > 0 && take(host) {
					ready = append(ready, q[0])
					q[0] = runio.Line{}
					q = q[1:]
					held--
				}
				if len(q) == 0 {
					delete(queues, host)
				} else {
					queues[host] = q
				}
				delete(a.freed, host)
			}
			a.mu.Unlock()
			for _, l := range ready {
				if !yield(l) {
					return
				}
			}
			if !ended && held < admitHold {
				l, ok := next()
				if !ok {
					ended = true
					continue
				}
				host := ""
				if l.Err == nil {
					host = a.host(l)
				}
				a.mu.Lock()
				pass := host == "" || len(queues[host]) == 0 && take(host)
				if !pass {
					queues[host] = append(queues[host], l)
					held++
				}
				a.mu.Unlock()
				if pass && !yield(l) {
					return
				}
				continue
			}
			if ended && held == 0 {
				return
			}
			select {
			case <-a.wake:
			case <-ctx.Done():
				return
			}
		}
	}
}
