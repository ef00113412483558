package command

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// Issue 26.8: at `ulimit -n 256`, `exec -j 300` failed 219 of 300 jobs
// with "too many open files". The workers are now capped to what the
// limit allows, with one warning, and every job runs, as GNU parallel's
// own suite has it (`ulimit -n 50; ... | parallel -k -j0` runs all 30).
// The cap is in the run path, so it holds for every command's -w.
func TestWorkersCappedToOpenFiles(t *testing.T) {
	t.Parallel()
	tools := proctest.Needs(t, "sh")
	bin := buildFanout(t)
	for _, c := range []struct{ ulimit, flag string }{{"128", "-j 300"}, {"128", "-w 65536"}} {
		cmd := exec.Command(tools["sh"], "-c", "ulimit -n "+c.ulimit+" && seq 100 | "+bin+" exec -q "+c.flag+" --shell 'sleep 0.2; echo ok'")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil || strings.Count(stdout.String(), "ok\n") != 100 {
			t.Errorf("ulimit -n %s, %s: %v, %d ok, stderr %q", c.ulimit, c.flag, err, strings.Count(stdout.String(), "ok\n"), stderr.String())
		}
		if n := strings.Count(stderr.String(), "only enough open files for "); n != 1 || !strings.Contains(stderr.String(), "(ulimit -n is "+c.ulimit+")") {
			t.Errorf("ulimit -n %s, %s: stderr %q, want one warning", c.ulimit, c.flag, stderr.String())
		}
	}
}

// -w auto takes 4,096 inputs ahead, most of them waiting for their host
// and holding no file: under a low open-file limit it was capped like a
// fixed count, with the warning printed even with -q. Now the limit caps
// the requests in flight (the limiter's ceiling) instead, silently, and
// every URL is checked.
func TestWorkersAutoCappedToOpenFiles(t *testing.T) {
	t.Parallel()
	tools := proctest.Needs(t, "sh")
	bin := buildFanout(t)
	site := sitetest.Start(t, demosite.Options{Latency: 20 * time.Millisecond})
	var urls strings.Builder
	for i := range 300 {
		fmt.Fprintf(&urls, "%s\n", site.WikiURL(fmt.Sprintf("Page_%d", i)))
	}
	cmd := exec.Command(tools["sh"], "-c", "ulimit -n 128 && "+bin+" check -q -w auto")
	cmd.Stdin = strings.NewReader(urls.String())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || strings.Count(stdout.String(), " - exists\n") != 300 || stderr.Len() > 0 {
		t.Fatalf("%v, %d exist, stderr %q", err, strings.Count(stdout.String(), " - exists\n"), stderr.String())
	}
}

func TestCapWorkersLeavesFewAlone(t *testing.T) {
	var stderr bytes.Buffer
	if n := capWorkers(4, &stderr); n != 4 || stderr.Len() > 0 {
		t.Fatalf("capWorkers(4) = %d, %q", n, stderr.String())
	}
}

// Go raises the soft open-file limit to the hard one at start (package os,
// Linux, Go 1.19+), so a low soft limit alone caps nothing: 100 jobs at
// once under `ulimit -Sn 128`, no warning. (Were that to change, the cap
// above would still keep the jobs from failing.)
func TestLowSoftOpenFileLimitIsRaised(t *testing.T) {
	t.Parallel()
	tools := proctest.Needs(t, "sh")
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Max < 2048 {
		t.Skipf("hard open-file limit %d: too low to tell", rl.Max)
	}
	bin := buildFanout(t)
	cmd := exec.Command(tools["sh"], "-c", "ulimit -Sn 128 && seq 100 | "+bin+" exec -q -j 100 --shell 'sleep 0.2; echo ok'")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || strings.Count(stdout.String(), "ok\n") != 100 || stderr.Len() > 0 {
		t.Fatalf("%v, %d ok, stderr %q", err, strings.Count(stdout.String(), "ok\n"), stderr.String())
	}
}
