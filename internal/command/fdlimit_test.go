package command

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/fanout-dev/fanout/internal/proctest"
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
	for _, c := range []struct{ ulimit, flag string }{{"128", "-j 300"}, {"128", "-w 100000"}} {
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

func TestCapWorkersLeavesFewAlone(t *testing.T) {
	var stderr bytes.Buffer
	if n := capWorkers(4, &stderr); n != 4 || stderr.Len() > 0 {
		t.Fatalf("capWorkers(4) = %d, %q", n, stderr.String())
	}
}
