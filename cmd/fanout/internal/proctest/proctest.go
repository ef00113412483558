// Package proctest helps tests prove that processes are gone: exec's
// tests start grandchildren that must not outlive a timeout or a Ctrl-C.
package proctest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ReadPid waits (up to 20 s, generous on a busy machine) for a process to
// write its pid into path, and makes sure that process does not outlive
// the test, even when the test fails.
func ReadPid(t testing.TB, path string) int {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
			return pid
		}
	}
	t.Fatalf("no pid in %s", path)
	return 0
}

// Gone reports whether pid no longer runs: no such process, or a zombie
// waiting for a parent that is not ours to reap it.
func Gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// pid (comm) S ...: the state follows the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	return i > 0 && len(stat) > i+2 && stat[i+2] == 'Z'
}

// WaitGone waits up to 10 s for pid to end, and fails the test (killing
// it) if it does not.
func WaitGone(t testing.TB, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if Gone(pid) {
			return
		}
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Fatalf("process %d still runs", pid)
}

// Needs skips the test unless its requirements are met: "root" (the
// effective user is root) and the programs named (found on PATH or in
// /usr/sbin), whose paths it returns. Under FANOUT_CI=1 (.ci/run sets it,
// and installs the programs) an unmet requirement fails the test instead:
// CI must never go green by skipping.
func Needs(t testing.TB, reqs ...string) map[string]string {
	t.Helper()
	var missing []string
	paths := map[string]string{}
	for _, r := range reqs {
		if r == "root" {
			if os.Geteuid() != 0 {
				missing = append(missing, "root")
			}
			continue
		}
		path, err := exec.LookPath(r)
		if err != nil {
			path, err = exec.LookPath("/usr/sbin/" + r)
		}
		if err != nil {
			missing = append(missing, r)
			continue
		}
		paths[r] = path
	}
	if len(missing) > 0 {
		Unmet(t, "needs "+strings.Join(missing, ", ")+" (CI runs as root, and .ci/run installs the programs)")
	}
	return paths
}

// Unmet skips the test for why, or fails it under FANOUT_CI=1.
func Unmet(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("FANOUT_CI") == "1" {
		t.Fatal(why + "; FANOUT_CI=1: an unmet requirement is a failure")
	}
	t.Skip(why)
}
