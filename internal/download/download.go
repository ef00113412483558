// Package download saves web pages to files, many at once, safely: each
// URL gets a file name of its own (see FileName), and each file is written
// whole or not at all.
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fanout-dev/fanout/internal/httpcheck"
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

// ErrStatus is matched by the error of a non-2xx answer, which is not saved.
var ErrStatus = errors.New("not saved")

// Downloader downloads with one shared HTTP client, built the way
// httpcheck builds its own. Use New; Close when done.
type Downloader struct {
	checker *httpcheck.Checker
	// MaxSize is the largest body saved, in bytes; 0 means no limit.
	MaxSize int64
}

// New returns a Downloader with the given HTTP options.
func New(o httpcheck.Options) *Downloader {
	return &Downloader{checker: httpcheck.New(o)}
}

// Close releases idle connections.
func (d *Downloader) Close() { d.checker.Close() }

// Get downloads raw into dir, under the name FileName(raw). The file is
// written to a temporary file in dir, synced, then renamed over the final
// name: a failed, cancelled, non-2xx or too large download leaves neither a
// partial file nor a temporary one, and an existing file of that name is
// replaced only by a complete new one. Only a process killed outright
// (SIGKILL, power loss) can leave a temporary file, named
// ".fanout-PID-*.tmp"; SweepTemp removes those of dead processes.
func (d *Downloader) Get(ctx context.Context, raw string, dir string) Result {
	start := time.Now()
	r := Result{URL: raw}
	u, err := httpcheck.ParseURL(raw)
	if err != nil {
		r.Err = err
		r.Elapsed = time.Since(start)
		return r
	}
	resp, err := d.checker.Send(ctx, http.MethodGet, u.String())
	if err != nil {
		r.Err = err
		r.Elapsed = time.Since(start)
		return r
	}
	defer resp.Body.Close()
	r.Status = resp.StatusCode
	switch {
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		r.Err = fmt.Errorf("HTTP %d, %w", resp.StatusCode, ErrStatus)
	case d.MaxSize > 0 && resp.ContentLength > d.MaxSize:
		r.Err = fmt.Errorf("%d bytes, %w (%d)", resp.ContentLength, ErrTooBig, d.MaxSize)
	default:
		path := filepath.Join(dir, FileName(raw))
		r.Bytes, r.Err = d.save(resp.Body, path)
		if r.Err == nil {
			r.Path = path
		}
	}
	r.Elapsed = time.Since(start)
	return r
}

const tempPrefix = ".fanout-"

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

// save writes body to path atomically: temporary file, fsync, rename.
func (d *Downloader) save(body io.Reader, path string) (n int64, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), tempPrefix+strconv.Itoa(os.Getpid())+"-*.tmp")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	src := body
	if d.MaxSize > 0 {
		src = io.LimitReader(body, d.MaxSize+1)
	}
	n, err = io.Copy(tmp, src)
	if err != nil {
		return n, err
	}
	if d.MaxSize > 0 && n > d.MaxSize {
		return n, fmt.Errorf("body %w (%d)", ErrTooBig, d.MaxSize)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return n, err
	}
	if err = tmp.Sync(); err != nil {
		return n, err
	}
	if err = tmp.Close(); err != nil {
		return n, err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return n, err
	}
	// Make the rename itself durable where the system allows syncing a
	// directory (not Windows); the file is complete either way.
	if f, derr := os.Open(filepath.Dir(path)); derr == nil {
		f.Sync()
		f.Close()
	}
	return n, nil
}

// Reason says in a few words why a download failed.
func Reason(err error) string {
	switch {
	case errors.Is(err, ErrStatus), errors.Is(err, ErrTooBig):
		return err.Error()
	}
	return httpcheck.Reason(err)
}
