// Package proctest helps tests wait for what processes and servers do, and
// prove that processes are gone: exec's tests start grandchildren that must
// not outlive a timeout or a Ctrl-C.
package proctest

import (
	"bytes"
	"errors"
	"log"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Deadline bounds every wait: generous, so that only a failing test (or a
// hung one) waits it out on a busy machine; a passing one returns as soon as
// what it waits for has happened.
const Deadline = 30 * time.Second

// Poll calls cond until it returns true, and reports whether it did before
// the Deadline. It is for goroutines other than the test's, which must not
// call t.Fatal; the test's own goroutine uses WaitFor.
func Poll(cond func() bool) bool {
	deadline := time.Now().Add(Deadline)
	// Quick at first, for what is about to happen; then at most every 20 ms,
	// so a long wait costs the busy machine little.
	for pause := time.Millisecond; !cond(); pause = min(2*pause, 20*time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
	}
	return true
}

// WaitFor waits until cond returns true, and fails the test, saying what it
// waited for, if it has not by the Deadline. Call it from the test's
// goroutine.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !Poll(cond) {
		t.Fatalf("waited %v for %s", Deadline, what)
	}
}

// ErrorLog is a logger for a server's ErrorLog (http.Server's own error
// messages) that fails the test, at its end, if anything was written to
// it: a handler bug such as a superfluous WriteHeader is logged, not
// returned. Register it before the cleanup that closes the server, so that
// the server is closed when it is read.
func ErrorLog(t testing.TB) *log.Logger {
	var logged Buffer
	t.Cleanup(func() {
		if l := logged.String(); l != "" {
			t.Errorf("the server logged:\n%s", l)
		}
	})
	return log.New(&logged, "", 0)
}

// Buffer collects what a process or a server writes, safe to read while it
// writes.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// ReadPid waits for a process to write its pid into path, and makes sure
// that process does not outlive the test, even when the test fails.
func ReadPid(t testing.TB, path string) int {
	t.Helper()
	var pid int
	WaitFor(t, "a pid in "+path, func() bool {
		b, _ := os.ReadFile(path)
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		pid = n
		return err == nil && pid > 0
	})
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	return pid
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

// WaitGone waits for pid to end, and fails the test (killing it) if it does
// not.
func WaitGone(t testing.TB, pid int) {
	t.Helper()
	if !Poll(func() bool { return Gone(pid) }) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("process %d still runs after %v", pid, Deadline)
	}
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

// SedE runs `sed -E script` on input in the C.UTF-8 locale, for the tests
// that compare fanout replace with sed. Without sed it reports false, so
// the rest of the test still runs; under FANOUT_CI=1 a missing sed fails
// the test instead (the comparison must not be skipped into green).
func SedE(t testing.TB, script, input string) (string, bool) {
	t.Helper()
	sed, err := exec.LookPath("sed")
	if err != nil {
		if os.Getenv("FANOUT_CI") == "1" {
			t.Fatal("needs sed; FANOUT_CI=1: an unmet requirement is a failure")
		}
		return "", false
	}
	cmd := exec.Command(sed, "-E", script)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sed -E %q: %v", script, err)
	}
	return string(out), true
}
