//go:build unix

package command

import (
	"os"
	"syscall"
)

// openFiles returns the soft limit on open files and how many are open
// now (0 where /proc/self/fd cannot tell).
func openFiles() (limit, open int64, ok bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<31 {
		return 0, 0, false // unlimited, or as good as
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		open = int64(len(fds))
	}
	return int64(rl.Cur), open, true
}
