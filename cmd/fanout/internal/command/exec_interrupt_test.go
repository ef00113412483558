package command

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// started is the fanout binary running in the background, for tests that
// send it real signals.
type started struct {
	cmd         *exec.Cmd
	out, errOut *proctest.Buffer
	done        chan error
}

func startFanout(t *testing.T, args ...string) *started {
	t.Helper()
	s := &started{cmd: exec.Command(buildFanout(t), args...), out: &proctest.Buffer{}, errOut: &proctest.Buffer{}, done: make(chan error, 1)}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.errOut
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
	})
	return s
}

func (s *started) signal(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
}

// wait returns the exit status, or fails the test after limit.
func (s *started) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		var ee *exec.ExitError
		if err == nil {
			return 0
		}
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		t.Fatal(err)
	case <-time.After(limit):
		t.Fatalf("still running after %v; stdout %q, stderr %q", limit, s.out.String(), s.errOut.String())
	}
	return -1
}

// reaped waits until the process whose pid is in file has ended and been
// reaped by fanout (no /proc entry left).
func reaped(t *testing.T, file string) {
	t.Helper()
	pid := proctest.ReadPid(t, file)
	proctest.WaitFor(t, "the process in "+file+" to be reaped", func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(pid))
		return err != nil
	})
}

// waitFile waits for a file to exist.
func waitFile(t *testing.T, path string) {
	t.Helper()
	proctest.WaitFor(t, path, func() bool {
		_, err := os.Stat(path)
		return err == nil
	})
}

// Issue 11: with --ordered, an interrupt lost the records that had
// finished behind one that hangs. The hanging job comes first, two finish:
// SIGINT, and both records are printed (in order) and journalled, the
// hanging one is not journalled (a resumed run does it again), the summary
// says interrupted, and the exit status is 130.
func TestExecInterruptKeepsFinishedRecordsOrdered(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	journal := filepath.Join(dir, "journal.jsonl")
	script := `echo $$ > "` + dir + `/{}.pid"; case {} in hang) sleep 100;; *) echo {};; esac`
	s := startFanout(t, "exec", "--ordered", "--resume", journal, "-w", "3", "--kill-grace", "1", "--progress", "--shell", "--", script, ":::", "hang", "a", "b")
	proctest.ReadPid(t, filepath.Join(dir, "hang.pid"))
	reaped(t, filepath.Join(dir, "a.pid"))
	reaped(t, filepath.Join(dir, "b.pid"))
	// A job's process gone is not yet its record made (its output is read
	// back after): the forced bar says when both are done.
	if !proctest.Poll(func() bool { return strings.Contains(s.errOut.String(), "2 done, 1 running") }) {
		t.Fatalf("a and b never counted done: %q", s.errOut.String())
	}
	s.signal(t)
	if code := s.wait(t, 30*time.Second); code != ExitInterrupted {
		t.Fatalf("exit %d, want 130; stderr %q", code, s.errOut.String())
	}
	if out := s.out.String(); out != "a\nb\n" {
		t.Errorf("stdout %q, want a and b in order", out)
	}
	b, _ := os.ReadFile(journal)
	var inputs []string
	_, records, _ := strings.Cut(string(b), "\n") // after the header
	for _, l := range jsonLines[joblogLine](t, records) {
		inputs = append(inputs, l.Input)
	}
	if strings.Join(inputs, ",") != "a,b" {
		t.Errorf("journal holds %q, want a and b only", inputs)
	}
	if !strings.Contains(s.errOut.String(), "interrupted: 2 done, 1 cut short, 0 not started") {
		t.Errorf("summary %q", s.errOut.String())
	}
}

// Issue 11: a second Ctrl-C did not force anything (with --kill-grace 10s
// the run sat 10 s). The first SIGINT sends SIGTERM, which the job traps;
// the second kills its group with SIGKILL at once: the run ends within
// seconds of it, the finished jobs' lines whole, exit 130.
func TestExecSecondInterruptForces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := `case {} in
trap) trap 'echo > "` + dir + `/term"' TERM; echo $$ > "` + dir + `/trap.pid"; while :; do sleep 0.05; done;;
*) for i in 1 2 3; do echo "{} line $i"; done;;
esac`
	s := startFanout(t, "exec", "-w", "3", "--kill-grace", "10s", "--shell", "--", script, ":::", "trap", "fast1", "fast2")
	proctest.ReadPid(t, filepath.Join(dir, "trap.pid"))
	if !proctest.Poll(func() bool { return strings.Count(s.out.String(), "\n") >= 6 }) {
		t.Fatalf("the fast jobs printed %q", s.out.String())
	}
	s.signal(t)
	waitFile(t, filepath.Join(dir, "term")) // the job got SIGTERM and goes on
	second := time.Now()
	s.signal(t)
	code := s.wait(t, 30*time.Second)
	if took := time.Since(second); took > 3*time.Second {
		t.Errorf("the run ended %v after the second SIGINT; want about a second, not the 10 s grace", took)
	}
	if code != ExitInterrupted {
		t.Errorf("exit %d, want 130", code)
	}
	line := regexp.MustCompile(`^fast[12] line [123]$`)
	lines := strings.Split(strings.TrimSuffix(s.out.String(), "\n"), "\n")
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Errorf("torn or stray line %q in %q", l, s.out.String())
		}
	}
	if len(lines) != 6 || !strings.Contains(s.errOut.String(), "interrupted: 2 done, 1 cut short") {
		t.Errorf("stdout %q, stderr %q", s.out.String(), s.errOut.String())
	}
}

// Issue 23: during the kill grace after one Ctrl-C, exec sat silent for up
// to --kill-grace. It now says how many jobs it waits for and that a
// second Ctrl-C kills them.
func TestExecInterruptSaysWhatItWaitsFor(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := `trap 'echo > "` + dir + `/term.{}"' TERM; echo $$ > "` + dir + `/{}.pid"; while :; do sleep 0.05; done`
	s := startFanout(t, "exec", "-w", "2", "--kill-grace", "20s", "--shell", "--", script, ":::", "a", "b")
	proctest.ReadPid(t, filepath.Join(dir, "a.pid"))
	proctest.ReadPid(t, filepath.Join(dir, "b.pid"))
	s.signal(t)
	want := "fanout: interrupted: waiting up to 20s (--kill-grace) for 2 jobs to end after SIGTERM; Ctrl-C again to kill them now\n"
	if !proctest.Poll(func() bool { return strings.Contains(s.errOut.String(), want) }) {
		t.Fatalf("stderr %q, want %q", s.errOut.String(), want)
	}
	s.signal(t)
	if code := s.wait(t, 30*time.Second); code != ExitInterrupted {
		t.Errorf("exit %d", code)
	}
}
