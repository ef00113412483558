package fanout

import (
	"math/bits"
	"sync/atomic"
)

// ring is the executor's task queue: a bounded lock-free multi-producer,
// multi-consumer ring (Vyukov's), which costs one compare-and-swap per push
// and per pop where the channel it replaces took a lock for each.
//
// Each slot has a sequence number that says whose turn it is: seq == pos
// means free for the producer of position pos, seq == pos+1 holds the task
// of position pos for its consumer, and the consumer hands the slot on to
// the producer of pos+len(slots). A producer owns position pos once its CAS
// moves tail from pos to pos+1, and a consumer once its CAS moves head.
//
// Two bits of tail close the ring to producers: once one is set no push can
// succeed, because every push is a CAS on tail. That is Shutdown's
// invariant: the set of tasks that will ever be queued is fixed the moment
// the bit is set, so workers that find the ring empty and closed can stop.
type ring struct {
	_    [64]byte
	tail atomic.Uint64 // next position to fill, with closedBit and brokenBit
	// seen is head as a producer last read it: head only grows, so seen
	// tells a producer there is room without reading head, which every pop
	// writes (a cache line fetched from the consumer's core per push).
	seen  atomic.Uint64
	_     [48]byte
	head  atomic.Uint64 // next position to take
	_     [56]byte
	slots []slot
	mask  uint64
	limit uint64 // how many tasks may wait (WithQueueSize)
}

type slot struct {
	seq atomic.Uint64
	t   runner
}

const (
	closedBit = 1 << 63 // Shutdown began
	brokenBit = 1 << 62 // a worker's initialization failed
	posMask   = brokenBit - 1
)

// newRing returns a ring that push fills to limit, or up to capacity when
// its caller says so.
func newRing(limit, capacity int) *ring {
	// A power of two, for masking, and at least 2: with one slot, "holds the
	// task of pos" (pos+1) and "free for pos+1" would be the same number.
	n := max(2, uint64(1)<<bits.Len64(uint64(capacity)-1))
	r := &ring{slots: make([]slot, n), mask: n - 1, limit: uint64(limit)}
	for i := range r.slots {
		r.slots[i].seq.Store(uint64(i))
	}
	return r
}

type pushResult int

const (
	pushed pushResult = iota
	full
	closed // closedBit or brokenBit
)

// push queues t unless the ring holds limit tasks or more, or is closed.
func (r *ring) push(t runner, limit uint64) pushResult {
	return r.pushSince(t, limit, false, 0)
}

// pushSince is push; if given, it counts the tasks queued from head, a
// value of head its caller read before (so it may count more than there
// are, never fewer), instead of reading head itself.
func (r *ring) pushSince(t runner, limit uint64, given bool, head uint64) pushResult {
	for spins := 0; ; {
		tail := r.tail.Load()
		if tail&^posMask != 0 {
			return closed
		}
		if given {
			if tail-head >= limit {
				return full
			}
		} else if tail-r.seen.Load() >= limit {
			head := r.head.Load()
			r.seen.Store(head)
			if tail >= head && tail-head >= limit {
				return full
			}
		}
		s := &r.slots[tail&r.mask]
		seq := s.seq.Load()
		switch {
		case seq == tail:
			if r.tail.CompareAndSwap(tail, tail+1) {
				s.t = t
				s.seq.Store(tail + 1)
				return pushed
			}
		case seq < tail:
			// A consumer has taken the slot's previous task and is about
			// to hand the slot on: try again, a few times.
			if spins++; spins > 100 {
				return full
			}
		}
	}
}

// pop takes the oldest task, or reports that there is none ready.
func (r *ring) pop() (runner, bool) {
	for {
		head := r.head.Load()
		s := &r.slots[head&r.mask]
		seq := s.seq.Load()
		switch {
		case seq == head+1:
			if r.head.CompareAndSwap(head, head+1) {
				t := s.t
				s.t = nil
				s.seq.Store(head + uint64(len(r.slots)))
				return t, true
			}
		case seq <= head:
			return nil, false // empty, or its producer is still writing it
		}
	}
}

// len is how many tasks are queued (or being written), at some moment.
func (r *ring) len() uint64 {
	head := r.head.Load()
	tail := r.tail.Load() & posMask
	if tail < head {
		return 0
	}
	return tail - head
}

// accepted is how many pushes ever succeeded.
func (r *ring) accepted() uint64 { return r.tail.Load() & posMask }

// taken is how many pops ever succeeded.
func (r *ring) taken() uint64 { return r.head.Load() }

// close sets bit in tail; it reports whether this call set it.
func (r *ring) close(bit uint64) bool {
	for {
		tail := r.tail.Load()
		if tail&bit != 0 {
			return false
		}
		if r.tail.CompareAndSwap(tail, tail|bit) {
			return true
		}
	}
}

func (r *ring) isClosed() bool { return r.tail.Load()&closedBit != 0 }
