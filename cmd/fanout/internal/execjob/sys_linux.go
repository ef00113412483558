package execjob

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// setSubreaper makes this process the child subreaper of its descendants:
// a job's processes orphaned by their parent's death are handed to fanout,
// which reaps them at once (reapGroup), instead of to PID 1, which may take
// its time (over a second on some machines) while the zombies keep the
// job's process group alive.
func setSubreaper() bool {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == nil
}

// argLimits are Linux's: one argument of at most MaxArg bytes, and arguments plus environment within a quarter of
// the stack limit, capped at 6 MiB (3/4 of _STK_LIM) and never below
// 128 KiB (fs/exec.c, bprm_stack_limits).
func argLimits() (maxArg, argMax int) {
	argMax = 6 << 20
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_STACK, &rl) == nil && rl.Cur/4 < uint64(argMax) {
		argMax = int(rl.Cur / 4)
	}
	return MaxArg, max(argMax, 128<<10)
}

// groupLive reports whether process group pgid has a member that is not a
// zombie. Zombies are dead: waiting for them to be reaped (by fanout, or by
// PID 1 for those whose parent is not fanout) must not hold a job past its
// kill. When /proc cannot be read, any member counts.
func groupLive(pgid int) bool {
	if errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) {
		return false
	}
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, e := range dir {
		if c := e.Name()[0]; c < '1' || c > '9' {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) S ppid pgrp ...: the fields follow the last ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) < 4 {
			continue
		}
		if g, err := strconv.Atoi(string(f[2])); err == nil && g == pgid && f[0][0] != 'Z' {
			return true
		}
	}
	return false
}
