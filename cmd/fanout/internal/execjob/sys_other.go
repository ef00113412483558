//go:build !linux

package execjob

import (
	"errors"
	"syscall"
)

func setSubreaper() bool { return false }

// argLimits: not known here; the system's own error says it.
func argLimits() (maxArg, argMax int) { return 0, 0 }

func groupLive(pgid int) bool { return !errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) }
