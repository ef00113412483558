package command

import (
	"fmt"
	"io"
)

// Each worker may hold this many files open at once: an exec job its two
// output files and, while it starts, the two ends of the pipe os/exec
// reports exec errors on and a pidfd; an HTTP worker its connection and an
// idle one in the pool.
const fdsPerWorker = 5

// fdReserve is left for the rest: stdio, -i FILE, the journal, --joblog,
// the timeline, the runtime's poller, DNS.
const fdReserve = 32

// capWorkers returns workers, or as many as the open-file limit lets work
// at once, saying so on stderr: beyond it, jobs fail with "too many open
// files" (GNU parallel caps the same way: "Only enough file handles to run
// N jobs in parallel"). The limit is the soft RLIMIT_NOFILE, which Go
// already raises to the hard one at start (package os, Linux, since Go
// 1.19; children get the original back), less the files open now.
func capWorkers(workers int, stderr io.Writer) int {
	most := fileRoom()
	if workers <= most {
		return workers
	}
	limit, _, _ := openFiles()
	fmt.Fprintf(stderr, "fanout: only enough open files for %d workers, not %d (ulimit -n is %d): running %d at once\n", most, workers, limit, most)
	return most
}

// fileRoom is how many workers the open-file limit lets work at once (at
// least 1; maxWorkers when the limit cannot be read).
func fileRoom() int {
	limit, open, ok := openFiles()
	if !ok {
		return maxWorkers
	}
	return max(1, int(min((limit-open-fdReserve)/fdsPerWorker, maxWorkers)))
}
