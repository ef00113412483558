package execjob

import (
	"errors"
	"sync"
	"syscall"
	"time"
)

// Reaping. fanout is the child subreaper of its jobs (setSubreaper), so a
// job's processes whose parent died are fanout's children: when they die,
// they stay zombies, members of the job's process group, until fanout
// reaps them. os/exec reaps the job's own process; reapGroup reaps the
// rest of its group, and only of its group: waiting for any child
// (wait4(-1)) would take os/exec's own from under it.
//
// A process group's id cannot be reused while the group has a member, so a
// group's id stays the group's until it is gone, and reapGroup never
// touches another job's processes. Descendants that left the job's group
// (setsid daemons) and die while fanout runs are not found this way: they
// stay zombies until fanout exits.

// startReaping makes fanout the subreaper, once; New calls it.
var startReaping = sync.OnceValue(setSubreaper)

// reapGroup reaps the members of group pgid that are fanout's children and
// have ended.
func reapGroup(pgid int) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-pgid, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
	}
}

// groupGone reports whether no process is left in the group, not even a
// zombie.
func groupGone(pgid int) bool {
	return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}

// lingering are the groups of finished jobs that still had members (a
// background child the job left running): they are reaped from time to
// time as later jobs end, so that their zombies do not pile up over a long
// run (each holds a process id). At most maxLingering are kept.
var lingering struct {
	sync.Mutex
	groups map[int]struct{}
	swept  time.Time
}

const (
	maxLingering = 4096
	sweepEvery   = 100 * time.Millisecond
)

// settle reaps what has ended in a finished job's group, remembers the
// group if members remain, reaps the groups remembered earlier (at most
// every sweepEvery), and reports whether the group is gone.
func settle(pgid int) bool {
	reapGroup(pgid)
	gone := groupGone(pgid)
	lingering.Lock()
	defer lingering.Unlock()
	if !gone && len(lingering.groups) < maxLingering {
		if lingering.groups == nil {
			lingering.groups = map[int]struct{}{}
		}
		lingering.groups[pgid] = struct{}{}
	}
	if len(lingering.groups) > 0 && time.Since(lingering.swept) >= sweepEvery {
		lingering.swept = time.Now()
		for g := range lingering.groups {
			if reapGroup(g); groupGone(g) {
				delete(lingering.groups, g)
			}
		}
	}
	return gone
}
