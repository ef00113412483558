// Package execjob runs one command per job, the way xargs, GNU parallel
// and rush do, without their traps:
//
//   - No shell unless asked. A Template's words become argv as they are;
//     placeholders in any word (also inside a longer word, "--name={}") are
//     replaced in one pass, so an input that itself contains "{}" stays as
//     it is. They have GNU parallel's meanings: "{}" the input, "{.}"
//     without its extension, "{/}" its basename, "{//}" its directory,
//     "{/.}" its basename without extension, "{#}" the job's number, "{%}"
//     its job slot, and "{1}", "{2.}"... the same for the job's first,
//     second... input. When no word holds a placeholder at all, the inputs
//     are appended as the last arguments ("{#}" alone appends nothing, as in
//     GNU parallel). NewReplacing is xargs -I: one string stands for the
//     input, and nothing is appended. An input is always exactly one argument:
//     spaces, quotes, ';', '$(...)' and a leading '-' reach the command as
//     plain bytes (the tutorial's f-string into a shell runs them).
//   - With Shell, the words are joined with spaces and run by "sh -c", and
//     the inputs are never pasted into the script: they are positional
//     parameters, and each placeholder becomes a reference to its parameter
//     quoted for where it stands (see Template.Argv). So `echo '{}'` prints
//     the input whatever it contains. Nothing is appended to the script:
//     the input is "$1".
//   - A command line the kernel would refuse (an argument over 128 KiB, or
//     all of them over ARG_MAX) fails its job with an error that names the
//     limit (ErrTooLong); nothing is ever cut to fit.
//   - Each job runs in a process group of its own, so a timeout or an
//     interrupt kills what the command started too (grandchildren):
//     SIGTERM to the group, then SIGKILL to what is left of it after a
//     grace period. A job that ends on its own is left alone, background
//     children included, as a shell leaves them. fanout is its jobs' child
//     subreaper and reaps their orphans (reap.go), so a killed job is done
//     as soon as its processes are, not when PID 1 gets round to reaping.
//   - Output goes to unlinked temporary files, one pair per worker reused
//     from job to job (GNU parallel buffers in files too), not to pipes: a
//     job can never block on a full pipe, a child left running in the
//     background cannot hold the job open, and the parent pays no pipe or
//     copying goroutine per job. At most Options.MaxOutput bytes per stream
//     are read back; the rest is counted as cut. Each job's output is thus
//     whole, never interleaved with another's. (Pipes are the fallback
//     when no temporary file can be made.)
//   - A job's standard input is /dev/null: it cannot eat the input list
//     that fanout is reading from its own standard input.
package execjob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Options tune Run.
type Options struct {
	Timeout   time.Duration // per attempt; 0: none
	Grace     time.Duration // from SIGTERM to SIGKILL; 0: DefaultGrace
	Retries   int           // reruns after a failed attempt (exit status not 0, killed, timed out)
	MaxOutput int64         // bytes kept per stream (stdout, stderr); 0: no limit
	// Force, when it ends, kills every job's process group at once with
	// SIGKILL, without the grace period (a second Ctrl-C).
	Force context.Context
}

// DefaultGrace is how long a job has between SIGTERM and SIGKILL.
const DefaultGrace = 2 * time.Second

// Result is what one job did: its last attempt, and how many there were.
type Result struct {
	Argv     []string
	Start    time.Time // of the first attempt
	Duration time.Duration
	Attempts int
	// ExitCode is the exit status, or -1 when the command was killed by a
	// signal (Signal names it); 127 when the program was not found and 126
	// when it could not be started or its command line is too long (Err
	// says why), as in sh and xargs.
	ExitCode int
	Signal   string // "SIGTERM", "SIGKILL"...; "" when it exited
	TimedOut bool
	// Err is set when the job did not run to an exit status of its own:
	// the program could not be started (matches ErrNotFound when it does
	// not exist, ErrTooLong when its command line is over the system's
	// limits), it timed out, or ctx ended.
	Err            error
	Stdout, Stderr []byte
	// StdoutCut and StderrCut count the bytes dropped past MaxOutput.
	StdoutCut, StderrCut int64
}

// OK reports whether the job exited with status 0.
func (r *Result) OK() bool { return r.Err == nil && r.ExitCode == 0 }

// Run runs the command for job j, rerunning it up to o.Retries times
// while it fails. When ctx ends, the running attempt's process group is
// killed and no other attempt is started.
func (t *Template) Run(ctx context.Context, j Job, o Options) Result {
	argv, err := t.Argv(j)
	res := Result{Argv: argv, Start: time.Now()}
	if err != nil {
		res.Attempts, res.ExitCode, res.Err = 1, 126, err
		return res
	}
	for {
		res.Attempts++
		started := t.attempt(ctx, &res, o)
		// A program that could not be started will not start next time.
		if res.OK() || res.Attempts > o.Retries || ctx.Err() != nil || !started {
			break
		}
	}
	res.Duration = time.Since(res.Start)
	return res
}

// attempt runs the command once, filling in res, and reports whether the
// command could be started.
func (t *Template) attempt(ctx context.Context, res *Result, o Options) bool {
	cmd := &exec.Cmd{Path: t.path, Args: res.Argv, Stdin: devNull(),
		// Its own process group, so the whole tree can be killed at once.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true}}
	if cmd.Path == "" {
		cmd.Path = res.Argv[0]
		if p, err := exec.LookPath(res.Argv[0]); err == nil {
			cmd.Path = p
		} else {
			cmd.Err = err
		}
	}
	// Output goes to files (see outFiles); pipes only when no temporary
	// file can be made.
	files := t.files.get()
	var stdout, stderr *capWriter
	if files != nil {
		cmd.Stdout, cmd.Stderr = files.stdout.f, files.stderr.f
	} else {
		stdout, stderr = &capWriter{max: o.MaxOutput}, &capWriter{max: o.MaxOutput}
		cmd.Stdout, cmd.Stderr = stdout, stderr
	}
	res.ExitCode, res.Signal, res.TimedOut, res.Err = -1, "", false, nil
	res.Stdout, res.Stderr, res.StdoutCut, res.StderrCut = nil, nil, 0, 0
	if err := cmd.Start(); err != nil {
		t.files.put(files, true)
		// The shells' and xargs' statuses: 127 not found, 126 not runnable.
		res.Err, res.ExitCode = err, 126
		switch {
		case errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist):
			res.ExitCode = 127
		case errors.Is(err, syscall.E2BIG):
			// Past what checkLimits counts (an older kernel's rules).
			res.Err = tooLong{"the system refused the command line: " + err.Error()}
		}
		return false
	}
	k := &killer{pgid: cmd.Process.Pid, grace: o.Grace}
	if k.grace <= 0 {
		k.grace = DefaultGrace
	}
	// Timers and context.AfterFunc start a goroutine only when they fire,
	// so a job that ends in time costs no goroutine beyond os/exec's.
	var timer *time.Timer
	if o.Timeout > 0 {
		timer = time.AfterFunc(o.Timeout, func() { k.kill(true) })
	}
	stopCtx := context.AfterFunc(ctx, func() { k.kill(false) })
	stopForce := func() bool { return false }
	if o.Force != nil {
		stopForce = context.AfterFunc(o.Force, k.force)
	}
	err := cmd.Wait()
	stopCtx()
	stopForce()
	if timer != nil {
		timer.Stop()
	}
	k.finish()
	if files != nil {
		var rerr error
		res.Stdout, res.StdoutCut, rerr = files.stdout.take(o.MaxOutput)
		var rerr2 error
		res.Stderr, res.StderrCut, rerr2 = files.stderr.take(o.MaxOutput)
		// Reuse the files only when nothing the job started can still
		// write to them.
		t.files.put(files, settle(k.pgid) && rerr == nil && rerr2 == nil)
		if err == nil {
			err = errors.Join(rerr, rerr2)
		}
	} else {
		settle(k.pgid)
		res.Stdout, res.StdoutCut = stdout.buf, stdout.dropped
		res.Stderr, res.StderrCut = stderr.buf, stderr.dropped
	}
	st := cmd.ProcessState
	if st == nil {
		res.Err = err
		return true
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = signalName(ws.Signal())
	} else {
		res.ExitCode = st.ExitCode()
	}
	switch timedOut, interrupted := k.state(); {
	case timedOut:
		res.TimedOut = true
		res.Err = fmt.Errorf("timed out after %v", o.Timeout)
	case interrupted:
		res.Err = fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
	return true
}

// devNull is /dev/null opened once for every job's stdin: os/exec would
// open and close it per job (nil Stdin), two system calls per job. When it
// cannot be opened, nil lets os/exec try.
var devNull = sync.OnceValue(func() io.Reader {
	f, err := os.Open(os.DevNull)
	if err != nil {
		return nil // not a nil *os.File in a non-nil interface
	}
	return f
})

// killer kills a job's process group once: SIGTERM, and SIGKILL after the
// grace period to whatever is left of the group.
type killer struct {
	mu                    sync.Mutex
	pgid                  int
	grace                 time.Duration
	killedAt              time.Time
	done                  bool
	timedOut, interrupted bool
	forced                bool
	hard                  *time.Timer
}

// force kills the group now, and makes finish wait no longer.
func (k *killer) force() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.timedOut && !k.interrupted {
		k.interrupted, k.killedAt = true, time.Now()
	}
	k.forced = true
	if !k.done {
		_ = syscall.Kill(-k.pgid, syscall.SIGKILL)
	}
}

func (k *killer) isForced() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.forced
}

func (k *killer) kill(timeout bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.done || k.timedOut || k.interrupted {
		return
	}
	if timeout {
		k.timedOut = true
	} else {
		k.interrupted = true
	}
	k.killedAt = time.Now()
	_ = syscall.Kill(-k.pgid, syscall.SIGTERM)
	k.hard = time.AfterFunc(k.grace, func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		if !k.done {
			_ = syscall.Kill(-k.pgid, syscall.SIGKILL)
		}
	})
}

// finish is called once the command itself was reaped. When the job was
// being killed, what is left of its group (children that outlived it, or
// ignore SIGTERM) gets the rest of the grace period, then SIGKILL, before
// the job returns: after an interrupt fanout exits next, and a timer could
// not fire any more. Members that ended are reaped as they do, and zombies
// do not count: the job is done when its last live process is (rather than
// when PID 1 reaps it, or at the end of the grace). The group id cannot be
// reused while the group has a member, and once it has none the signal
// finds nothing.
func (k *killer) finish() {
	k.mu.Lock()
	k.done = true
	if k.hard != nil {
		k.hard.Stop()
	}
	killed, at := k.timedOut || k.interrupted, k.killedAt
	k.mu.Unlock()
	if !killed {
		return
	}
	for deadline := at.Add(k.grace); ; {
		reapGroup(k.pgid)
		if !groupLive(k.pgid) || k.isForced() || !time.Now().Before(deadline) {
			break
		}
		time.Sleep(min(10*time.Millisecond, time.Until(deadline)))
	}
	_ = syscall.Kill(-k.pgid, syscall.SIGKILL)
}

func (k *killer) state() (bool, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.timedOut, k.interrupted
}

// outFiles are the files a job writes its stdout and stderr to: unlinked
// temporary files, as GNU parallel uses, rather than pipes. A pipe costs
// the parent two file descriptors registered with the poller and a
// goroutine copying it, per stream per job (about a third of fanout's own
// CPU time on 1,000 jobs of `true`); a file costs nothing while the job
// runs, can never fill up and block the job, and is read once at the end,
// at most MaxOutput bytes of it. Each worker's pair is reused, emptied,
// for the next job. The price: while a job runs, its output takes disk
// space in $TMPDIR (all of it, even past MaxOutput).
type outFiles struct{ stdout, stderr *capFile }

// capFile is one output file.
type capFile struct{ f *os.File }

// take returns the first max bytes the job wrote (all when max is 0) and
// how many it wrote past them, and empties the file for the next job.
func (c *capFile) take(max int64) ([]byte, int64, error) {
	fi, err := c.f.Stat()
	if err != nil || fi.Size() == 0 {
		return nil, 0, err
	}
	size := fi.Size()
	keep := size
	if max > 0 {
		keep = min(size, max)
	}
	buf := make([]byte, keep)
	n, err := c.f.ReadAt(buf, 0)
	if err == io.EOF && int64(n) == keep {
		err = nil
	}
	if err == nil {
		err = c.f.Truncate(0)
	}
	if err == nil {
		_, err = c.f.Seek(0, io.SeekStart)
	}
	return buf[:n], size - int64(n), err
}

// filePool keeps the output files of workers between jobs.
type filePool struct {
	mu     sync.Mutex
	free   []*outFiles
	failed bool // no temporary file could be made: use pipes
}

func (p *filePool) get() *outFiles {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		f := p.free[n-1]
		p.free = p.free[:n-1]
		return f
	}
	if p.failed {
		return nil
	}
	out, errOut := tempFile()
	errs, errErr := tempFile()
	if errOut != nil || errErr != nil {
		p.failed = true
		closeFiles(out, errs)
		return nil
	}
	return &outFiles{stdout: &capFile{out}, stderr: &capFile{errs}}
}

// put gives the files back for the next job when reuse is true, and
// closes them otherwise.
func (p *filePool) put(f *outFiles, reuse bool) {
	if f == nil {
		return
	}
	if !reuse {
		closeFiles(f.stdout.f, f.stderr.f)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, f)
}

func (p *filePool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.free {
		closeFiles(f.stdout.f, f.stderr.f)
	}
	p.free = nil
}

func closeFiles(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}

// tempFile makes an unlinked temporary file: nothing is left behind, even
// if fanout is killed.
func tempFile() (*os.File, error) {
	f, err := os.CreateTemp("", "fanout-exec-*")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGPIPE:
		return "SIGPIPE"
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	}
	return "signal " + strconv.Itoa(int(s))
}

// capWriter keeps the first max bytes written to it (all when max is 0)
// and counts the rest. It never fails and never blocks, so the child is
// never stuck on a full pipe.
type capWriter struct {
	buf     []byte
	max     int64
	dropped int64
}

// ReadFrom reads r to its end into the buffer itself, so os/exec's copy
// needs no 32 KiB buffer per stream per job: most jobs print little.
func (w *capWriter) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	var scratch []byte // for what is dropped past max
	for {
		var p []byte
		dropping := w.max > 0 && int64(len(w.buf)) >= w.max
		if dropping {
			if scratch == nil {
				scratch = make([]byte, 32<<10)
			}
			p = scratch
		} else {
			if len(w.buf) == cap(w.buf) {
				w.buf = append(w.buf, make([]byte, max(512, len(w.buf)))...)[:len(w.buf)]
			}
			p = w.buf[len(w.buf):cap(w.buf)]
			if w.max > 0 {
				p = p[:min(int64(len(p)), w.max-int64(len(w.buf)))]
			}
		}
		n, err := r.Read(p)
		total += int64(n)
		if dropping {
			w.dropped += int64(n)
		} else {
			w.buf = w.buf[:len(w.buf)+n]
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (w *capWriter) Write(p []byte) (int, error) {
	keep := int64(len(p))
	if w.max > 0 {
		keep = min(keep, max(w.max-int64(len(w.buf)), 0))
	}
	w.buf = append(w.buf, p[:keep]...)
	w.dropped += int64(len(p)) - keep
	return len(p), nil
}
