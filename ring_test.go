package fanout

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type intRunner struct{ v int }

func (*intRunner) run(*worker) {}
func (*intRunner) drop(error)  {}

// The queue under producers and consumers at once, at every size from the
// smallest: every task pushed is popped exactly once, none lost (a one-slot
// ring once overwrote a task its consumer had not yet read).
func TestRingStress(t *testing.T) {
	for _, size := range []int{1, 2, 3, 8} {
		r := newRing(size, size)
		const producers, consumers, per = 3, 3, 20000
		var got atomic.Int64
		seen := make([]atomic.Int32, producers*per)
		var wg sync.WaitGroup
		for p := range producers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < per; {
					if r.push(&intRunner{p*per + i}, r.limit) == pushed {
						i++
					} else {
						runtime.Gosched()
					}
				}
			}()
		}
		done := make(chan struct{})
		var cw sync.WaitGroup
		for range consumers {
			cw.Add(1)
			go func() {
				defer cw.Done()
				for {
					if x, ok := r.pop(); ok {
						got.Add(1)
						seen[x.(*intRunner).v].Add(1)
						continue
					}
					select {
					case <-done:
						if r.len() == 0 {
							return
						}
					default:
						runtime.Gosched()
					}
				}
			}()
		}
		pd := make(chan struct{})
		go func() { wg.Wait(); close(pd) }()
		select {
		case <-pd:
		case <-time.After(5 * time.Second):
			h, tl := r.head.Load(), r.tail.Load()
			var seqs []uint64
			for i := range r.slots {
				seqs = append(seqs, r.slots[i].seq.Load())
			}
			t.Fatalf("size %d stuck: head=%d tail=%d seqs=%v got=%d", size, h, tl, seqs, got.Load())
		}
		close(done)
		cw.Wait()
		for v := range seen {
			if n := seen[v].Load(); n != 1 {
				t.Fatalf("size %d: task %d popped %d times", size, v, n)
			}
		}
	}
}

// A producer judges room from the last head it saw, and reads head again
// only when that says full: a pop makes room at once all the same, and the
// limit holds.
func TestRingRoomAfterPop(t *testing.T) {
	r := newRing(2, 4)
	for i := range 2 {
		if got := r.push(&intRunner{i}, r.limit); got != pushed {
			t.Fatalf("push %d: %v, want pushed", i, got)
		}
	}
	if got := r.push(&intRunner{2}, r.limit); got != full {
		t.Fatalf("push past the limit: %v, want full", got)
	}
	if _, ok := r.pop(); !ok {
		t.Fatal("pop found nothing")
	}
	if got := r.push(&intRunner{2}, r.limit); got != pushed {
		t.Fatalf("push after a pop: %v, want pushed", got)
	}
	if got := r.push(&intRunner{3}, r.limit); got != full {
		t.Fatalf("push past the limit again: %v, want full", got)
	}
	if got := r.push(&intRunner{3}, r.limit+2); got != pushed || r.len() != 3 {
		t.Fatalf("push under a higher limit: %v with %d queued, want pushed with 3", got, r.len())
	}
}
