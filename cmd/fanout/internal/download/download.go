// Package download saves web pages to files, many at once, safely: each
// URL gets a path of its own (see FileName), and each file is written
// whole or not at all, and is on disk before it is reported.
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
)

// Result is what Get did with one URL.
type Result struct {
	URL     string
	Path    string // the file written; "" when nothing was saved
	Bytes   int64  // bytes saved
	Status  int    // HTTP status; 0 when there was no HTTP answer
	Elapsed time.Duration
	Err     error
}

// ErrTooBig is matched by the error of a body larger than MaxSize.
var ErrTooBig = errors.New("larger than --max-size")

// ErrStatus is matched by the error of an answer that is not saved (not
// a 2xx, nor a status Options.Accept lists).
var ErrStatus = errors.New("not saved")

// Options configure a Downloader.
type Options struct {
	HTTP    httpcheck.Options
	MaxSize int64 // largest body saved, in bytes; 0 means no limit
	// Accept lists the statuses whose body is saved; empty means 2xx.
	Accept httpcheck.Statuses
	// NoSync skips making files durable: each is still written whole and
	// renamed into place (a killed process loses nothing), but a power
	// loss may leave empty or old files.
	NoSync bool
}

// Downloader downloads with one shared HTTP client, built the way
// httpcheck builds its own. Use New; Close when every Get has returned.
type Downloader struct {
	checker *httpcheck.Checker
	opts    Options
	commit  *committer // nil with NoSync
	places  *placer    // with NoSync
}

// New returns a Downloader.
func New(o Options) *Downloader {
	d := &Downloader{checker: httpcheck.New(o.HTTP), opts: o}
	if o.NoSync {
		d.places = newPlacer()
	} else {
		d.commit = newCommitter()
	}
	return d
}

// Close releases idle connections and stops the committer.
func (d *Downloader) Close() {
	d.checker.Close()
	if d.commit != nil {
		d.commit.close()
	}
}

// Get downloads raw into dir, under the path FileName gives (with a clash
// between a file and a directory settled as FileName says). The body is
// written to a temporary file in dir, named ".fanout-PID-N.tmp", and
// renamed into place once complete and on disk (see committer): a failed,
// cancelled, refused or too large download leaves neither a partial file
// nor a temporary one, and an existing file of that name is replaced only
// by a complete new one. Only a process killed outright (SIGKILL, power
// loss) can leave a temporary file; SweepTemp removes those of dead
// processes.
func (d *Downloader) Get(ctx context.Context, raw string, dir string) Result {
	start := time.Now()
	r := Result{URL: raw}
	resp, err := d.checker.Send(ctx, http.MethodGet, raw)
	if err != nil {
		r.Err = err
		r.Elapsed = time.Since(start)
		return r
	}
	defer resp.Body.Close()
	r.Status = resp.StatusCode
	switch {
	case !d.saves(resp.StatusCode):
		r.Err = fmt.Errorf("HTTP %d, %w", resp.StatusCode, ErrStatus)
		if loc, err := resp.Location(); err == nil && resp.StatusCode >= 300 && resp.StatusCode < 400 {
			r.Err = fmt.Errorf("HTTP %d -> %s, %w", resp.StatusCode, loc, ErrStatus)
		}
	case d.opts.MaxSize > 0 && resp.ContentLength > d.opts.MaxSize:
		r.Err = fmt.Errorf("%d bytes, %w (%d)", resp.ContentLength, ErrTooBig, d.opts.MaxSize)
	default:
		r.Path, r.Bytes, r.Err = d.save(resp.Body, dir, mirrorPath(requested(resp)))
	}
	r.Elapsed = time.Since(start)
	return r
}

// saves reports whether a body with this status is saved.
func (d *Downloader) saves(status int) bool {
	if d.opts.Accept.Empty() {
		return status >= 200 && status <= 299
	}
	return d.opts.Accept.Has(status)
}

// requested is the URL first requested for resp (before redirects, after
// a bare host got its scheme): the page is saved under its name.
func requested(resp *http.Response) *url.URL {
	req := resp.Request
	for req.Response != nil && req.Response.Request != nil {
		req = req.Response.Request
	}
	return req.URL
}

const tempPrefix = ".fanout-"

// tempSeq numbers this process's temporary files.
var tempSeq atomic.Uint64

// copyBufs are the buffers bodies are copied through, one per download in
// flight rather than one per file.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// save writes body to a temporary file in dir and has it put in place as
// rel (a slash-separated path under dir); it returns the file's path.
func (d *Downloader) save(body io.Reader, dir, rel string) (path string, n int64, err error) {
	tmp, err := createTemp(dir)
	if err != nil {
		return "", 0, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	src := body
	if d.opts.MaxSize > 0 {
		src = io.LimitReader(body, d.opts.MaxSize+1)
	}
	bp := copyBufs.Get().(*[]byte)
	// Through the buffer: *os.File's ReadFrom would make its own.
	n, err = io.CopyBuffer(writerOnly{tmp}, src, *bp)
	copyBufs.Put(bp)
	if err != nil {
		return "", n, err
	}
	if d.opts.MaxSize > 0 && n > d.opts.MaxSize {
		return "", n, fmt.Errorf("body %w (%d)", ErrTooBig, d.opts.MaxSize)
	}
	if d.commit != nil && !syncfsAvailable {
		// No syncfs: each worker syncs its own file, in parallel.
		if err = tmp.Sync(); err != nil {
			return "", n, err
		}
	}
	if err = tmp.Close(); err != nil {
		return "", n, err
	}
	if d.commit == nil {
		path, _, err = d.places.place(tmp.Name(), dir, rel)
	} else {
		path, err = d.commit.commit(tmp.Name(), dir, rel)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", n, err
	}
	return path, n, nil
}

// writerOnly hides everything but Write.
type writerOnly struct{ io.Writer }

// createTemp creates a new temporary file in dir: one openat with
// O_EXCL, where os.CreateTemp would also make a random name.
func createTemp(dir string) (*os.File, error) {
	prefix := filepath.Join(dir, tempPrefix+strconv.Itoa(os.Getpid())+"-")
	for {
		name := prefix + strconv.FormatUint(tempSeq.Add(1), 10) + ".tmp"
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, os.ErrExist) { // a stale file of a dead process that had our pid
			return f, err
		}
	}
}

// SweepTemp removes from dir the temporary files that downloads of
// processes no longer running left behind (a run killed outright), and
// returns how many. A file whose process still runs, another fanout
// downloading into the same directory, is left alone; so is one whose pid
// a new process has taken since (it is swept once that one ends).
func SweepTemp(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, tempPrefix)
		if !ok || !strings.HasSuffix(name, ".tmp") || !e.Type().IsRegular() {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || alive(pid) {
			continue
		}
		if os.Remove(filepath.Join(dir, name)) == nil {
			n++
		}
	}
	return n, nil
}

// alive reports whether a process with this pid exists (signal 0 checks
// without sending anything).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Reason says in a few words why a download failed.
func Reason(err error) string {
	switch {
	case errors.Is(err, ErrStatus), errors.Is(err, ErrTooBig):
		return err.Error()
	}
	return httpcheck.Reason(err)
}
