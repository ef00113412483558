package execjob

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// Issue 11: `exec --timeout 0.5s -- sh -c 'sleep 100; echo'` took 2 s, as
// long as PID 1 took to reap the killed sleep (the orphaned zombie kept the
// job's process group alive). fanout is its jobs' subreaper and reaps them:
// the job ends when its processes do, far within the grace period, and the
// sleep is reaped, not left a zombie for PID 1.
func TestKilledJobEndsWhenItsProcessesDo(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	tmpl := mustNew(t, true, `: {}; sleep 100 & echo $! > "`+pidFile+`"; wait`)
	const grace = 30 * time.Second
	r := runWithin(t, tmpl, Options{Timeout: 200 * time.Millisecond, Grace: grace})
	if !r.TimedOut || r.Signal != "SIGTERM" {
		t.Fatalf("timed out %v, signal %q", r.TimedOut, r.Signal)
	}
	// 30 s when zombies counted as live members and nobody reaped them.
	if r.Duration > grace/2 {
		t.Fatalf("the job took %v: it waited for the grace period", r.Duration)
	}
	pid := proctest.ReadPid(t, pidFile)
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		t.Fatalf("the killed sleep (%d) is still in /proc: not reaped by fanout", pid)
	}
}

// A second Ctrl-C (Options.Force) kills the group with SIGKILL at once: a
// job that traps SIGTERM does not hold the run for the grace period.
func TestForceKillsAtOnce(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	tmpl := mustNew(t, true, `: {}; trap "" TERM; echo $$ > "`+pidFile+`"; while :; do sleep 0.05; done`)
	ctx, cancel := context.WithCancel(context.Background())
	force, forceNow := context.WithCancel(context.Background())
	defer forceNow()
	done := make(chan Result)
	go func() { done <- tmpl.Run(ctx, job("in", 1), Options{Grace: time.Hour, Force: force}) }()
	proctest.ReadPid(t, pidFile)
	cancel() // SIGTERM, trapped
	select {
	case r := <-done:
		t.Fatalf("returned before the force: %+v", r)
	case <-time.After(300 * time.Millisecond):
	}
	forceNow()
	select {
	case r := <-done:
		if r.Signal != "SIGKILL" || r.Err == nil {
			t.Fatalf("signal %q, err %v; want killed, interrupted", r.Signal, r.Err)
		}
	case <-time.After(time.Minute):
		t.Fatal("still running a minute after the force")
	}
}

// startZombie starts `true` in a process group of its own and waits until
// it is a zombie, not reaped.
func startZombie(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	proctest.WaitFor(t, "true to exit", func() bool { return proctest.Gone(cmd.Process.Pid) })
	return cmd
}

// Zombies do not keep a group live, and reapGroup reaps only its own
// group: never another job's process (wait4(-1) would take os/exec's).
func TestReapGroupOnlyItsGroup(t *testing.T) {
	a, b := startZombie(t), startZombie(t)
	for _, c := range []*exec.Cmd{a, b} {
		if groupLive(c.Process.Pid) || groupGone(c.Process.Pid) {
			t.Fatalf("a zombie: live %v, gone %v; want neither", groupLive(c.Process.Pid), groupGone(c.Process.Pid))
		}
	}
	reapGroup(a.Process.Pid)
	if !groupGone(a.Process.Pid) {
		t.Fatal("reapGroup left its group's zombie")
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("the other group's process was taken from os/exec: %v", err)
	}
}
