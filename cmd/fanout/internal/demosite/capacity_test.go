package demosite

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// A Host answers within its capacity, and refuses at once beyond three
// times it, counting both and the peak.
func TestHostCapacity(t *testing.T) {
	h, err := StartHost(2, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 7 {
		wg.Go(func() {
			resp, err := http.Get(h.URL() + "/x")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	st := h.Stats()
	if codes[200] != 6 || codes[503] != 1 || st.Requests != 7 || st.Refused != 1 || st.Peak != 7 {
		t.Errorf("statuses %v, stats %+v; want six 200s and one 503 out of 7 at once", codes, st)
	}
}
