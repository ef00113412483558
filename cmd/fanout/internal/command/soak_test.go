package command

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
)

// The command's soak: 200,000 checks (short form, run in CI: 20,000)
// through the command's own code, in this process so that goleak (TestMain)
// sees any goroutine it leaves, against the simulated site. Memory must be
// flat: the live heap sampled at each tenth of the input must not grow. The
// long form:
//
//	FANOUT_SOAK=200000 go test -race -run SoakCommand -timeout 30m ./internal/command/
func TestSoakCommand(t *testing.T) {
	n := 20_000
	if s := os.Getenv("FANOUT_SOAK"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 10 {
			t.Fatalf("FANOUT_SOAK=%q: want a count of at least 10", s)
		}
	}
	// The site keeps no per-path statistics: in this process, they would
	// be heap growth that is not the command's.
	site := sitetest.Start(t, demosite.Options{MaxPaths: 1})
	pr, pw := io.Pipe()
	var samples []uint64
	go func() {
		defer pw.Close()
		for i := range n {
			if i%(n/10) == 0 {
				runtime.GC()
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				samples = append(samples, m.HeapAlloc)
			}
			// Pages that exist, pages that do not, and errors.
			u := site.WikiURL("P" + strconv.Itoa(i))
			switch i % 10 {
			case 1:
				u = site.WikiURL("this_page_does_not_exist_" + strconv.Itoa(i))
			case 2:
				u = "ftp://127.0.0.1/" + strconv.Itoa(i)
			}
			if _, err := fmt.Fprintln(pw, u); err != nil {
				return
			}
		}
	}()
	out := &countingWriter{}
	var errb bytes.Buffer
	code := Main(context.Background(), nil, []string{"check", "-q", "--retries", "0", "--no-progress"}, pr, out, &errb)
	if code != ExitSome {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitSome, errb.String())
	}
	if got := out.lines.Load(); got != int64(n) {
		t.Fatalf("%d records for %d inputs", got, n)
	}
	t.Logf("%d checks: live heap %v (bytes, at each tenth of the input)", n, samples)
	// [0] is before the transport and the workers exist; from [1] on the
	// run is in its steady state.
	if first, last := samples[1], samples[len(samples)-1]; last > first+2<<20 { // 100 bytes a check over 20,000
		t.Errorf("live heap grew from %d to %d bytes over %d checks: a leak", first, last, n)
	}
}

type countingWriter struct{ lines atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.lines.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}
