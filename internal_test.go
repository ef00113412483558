package fanout

import (
	"context"
	"testing"
	"unsafe"
)

// Waiting again and again on a long-lived future, as Python code does with
// `while not_done: wait(not_done, FIRST_COMPLETED)`, must not pile up
// registrations on it.
func TestWaitLeavesNoWaiterBehind(t *testing.T) {
	ex := New(WithWorkers(2))
	defer ex.Shutdown()
	release := make(chan struct{})
	slow := Submit(ex, func(context.Context) (int, error) { <-release; return 0, nil })
	for range 100 {
		quick := Submit(ex, func(context.Context) (int, error) { return 1, nil })
		if _, _, err := Wait(context.Background(), []*Future[int]{slow, quick}, FirstCompleted); err != nil {
			t.Fatal(err)
		}
		for range AsCompleted(context.Background(), []*Future[int]{quick, slow}) {
			break
		}
	}
	slow.tc.mu.Lock()
	n := len(slow.ext.waiters)
	slow.tc.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d waiters left on a future after the loops returned", n)
	}
	close(release)
}

// The future stays small: it is the one allocation a task costs.
func TestFutureSize(t *testing.T) {
	const max = 128
	if n := unsafe.Sizeof(Future[int]{}); n > max {
		t.Fatalf("Future[int] is %d bytes, want at most %d", n, max)
	}
}
