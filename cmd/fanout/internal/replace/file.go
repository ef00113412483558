package replace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aymanbagabas/go-udiff"
)

// Errors a rewrite can fail with, wrapped with the path and the cause.
var (
	ErrReadOnly = errors.New("file is not writable")
	ErrOwner    = errors.New("cannot keep the file's owner (run as root or as the owner)")
	ErrModified = errors.New("file changed while it was being edited; left as the other writer made it")
)

// Options control how File edits one file.
type Options struct {
	DryRun  bool  // compute the diff, write nothing
	NoFsync bool  // rename without syncing the new content first
	MaxSize int64 // files larger than this are skipped (0: no limit, but WholeFileLimit for a file read whole)
	// Explicit marks a path the user named: a device or FIFO is then
	// skipped without being opened.
	Explicit bool
	// Follow edits the target of a symlink named explicitly. Without it
	// such a symlink is skipped, as are symlinks met while walking a
	// directory (as ripgrep does): `replace a b dir/*` never writes
	// outside the paths it was given.
	Follow bool
	// DiffTo, with DryRun, receives the diff instead of Result.Diff: a
	// streamed file's hunks as they are made, so that its diff is not
	// held whole. A file found binary or not UTF-8 after some hunks went
	// out is skipped all the same (Result.Skip): what DiffTo got of it is
	// then to be dropped.
	DiffTo io.Writer
}

// Result is what happened to one file.
type Result struct {
	Path         string // as given
	Target       string // the file edited when Path is a symlink
	Replacements int    // matches replaced (written, or that would be with DryRun); 0 on error
	Changed      bool   // the content changed (written, or would be with DryRun)
	Skip         string // why the file was not edited (a Skip* constant)
	Diff         string // unified diff, with DryRun (and no DiffTo)
	Err          error
}

// File replaces in one file: skipped with a reason when it is binary,
// UTF-16 or UTF-32, too large (over o.MaxSize; when it must be read whole,
// over WholeFileLimit by default), not a regular file, or (when it has a
// match) not valid UTF-8; left untouched (not even its mtime) when nothing
// matches; otherwise rewritten atomically with its mode and owner kept. A
// symlink is skipped, unless it was named explicitly and o.Follow: it then
// stays a symlink and its target is edited.
//
// A file found by walking is opened without following a symlink and
// without blocking, and its one fstat serves for the type, the size and,
// later, the check that nobody wrote it meanwhile: the cheapest way
// through the many files that do not match (four system calls each).
func (r *Replacer) File(path string, o Options) Result {
	res := Result{Path: path}
	target := path
	if o.Explicit {
		var done bool
		if target, done = named(&res, o.Follow); done {
			return res
		}
	} else if IsTempName(path) {
		res.Skip = SkipTempFile
		return res
	}
	limit, wholeMax := o.MaxSize, int64(StreamChunk)
	if !r.streams() {
		wholeMax = 0
		if limit == 0 {
			limit = WholeFileLimit
		}
	}
	buf, st, skip, err := readFile(target, limit, wholeMax)
	if err != nil || skip != "" {
		res.Err, res.Skip = err, skip
		return res
	}
	if buf == nil {
		return r.stream(res, target, st, o)
	}
	defer putBuf(buf)
	content := *buf
	reason, bom := sniff(content)
	if reason != "" {
		res.Skip = reason
		return res
	}
	out, n := r.Replace(content[bom:])
	if n == 0 {
		return res // nothing to write: the file keeps its mtime
	}
	// Validated only now: most files do not match, and for them it
	// would be time lost.
	if !utf8.Valid(content[bom:]) {
		res.Skip = SkipInvalid
		return res
	}
	if bytes.IndexByte(content, 0) >= 0 {
		res.Skip = SkipBinary // a NUL past the sniffed start: binary all the same, as when streamed
		return res
	}
	res.Replacements = n
	if bytes.Equal(out, content[bom:]) {
		return res
	}
	res.Changed = true
	if o.DryRun {
		res.Diff = udiff.Unified(path, path, string(content), string(content[:bom])+string(out))
		if o.DiffTo != nil {
			if _, err := io.WriteString(o.DiffTo, res.Diff); err != nil {
				res.Changed, res.Replacements, res.Err = false, 0, fmt.Errorf("writing the diff: %w", err)
			}
			res.Diff = ""
		}
		return res
	}
	if err := writeAtomic(target, st, content[:bom], out, !o.NoFsync); err != nil {
		res.Changed, res.Replacements = false, 0 // nothing was replaced
		res.Err = err
	}
	return res
}

// named checks a path the user named, res.Path, and returns the file to
// edit: the path, or with follow a symlink's target (in res.Target). A
// symlink without follow is skipped, and so is a device or FIFO, without
// being opened. done reports that res says it all: a skip or an error.
func named(res *Result, follow bool) (target string, done bool) {
	fi, err := os.Lstat(res.Path)
	if err != nil {
		res.Err = err
		return "", true
	}
	target = res.Path
	if fi.Mode()&fs.ModeSymlink != 0 {
		if !follow {
			res.Skip = SkipSymlink
			return "", true
		}
		if target, err = filepath.EvalSymlinks(res.Path); err != nil {
			res.Err = fmt.Errorf("following symlink: %w", err)
			return "", true
		}
		res.Target = target
		if fi, err = os.Lstat(target); err != nil {
			res.Err = err
			return "", true
		}
	}
	if !fi.Mode().IsRegular() {
		res.Skip = SkipNotRegular
		return "", true
	}
	return target, false
}

// fileStat is what a rewrite needs to know of the file it replaces.
type fileStat struct {
	mode     fs.FileMode
	size     int64
	mtime    time.Time
	uid, gid int // -1 when unknown
	dev, ino uint64
}

// same reports whether the file still is the one read: same inode, size
// and mtime.
func (a fileStat) same(b fileStat) bool {
	return a.dev == b.dev && a.ino == b.ino && a.size == b.size && a.mtime.Equal(b.mtime)
}

// Read buffers are pooled: with many small files, a fresh buffer per file
// is most of what the garbage collector has to do.
var bufPool = sync.Pool{New: func() any { return new([]byte) }}

const maxPooled = 1 << 20

// getBuf returns a pooled buffer of length n.
func getBuf(n int) *[]byte {
	p := bufPool.Get().(*[]byte)
	if cap(*p) < n {
		*p = make([]byte, n)
	}
	*p = (*p)[:n]
	return p
}

func putBuf(p *[]byte) {
	if cap(*p) <= maxPooled {
		bufPool.Put(p)
	}
}

// tempName is the name of a temporary file for a file named base: "." +
// base + 19 random digits.
func tempName(base string) string {
	return fmt.Sprintf(".%s%019d", base, rand.Int64())
}

// IsTempName reports whether path is named like the temporary file of a
// rewrite of a sibling that exists: "." + name + at least 12 digits
// (19 here; at least 12 in the renameio-made names of earlier versions),
// next to name.
func IsTempName(path string) bool {
	base := filepath.Base(path)
	if len(base) < 14 || base[0] != '.' {
		return false
	}
	trimmed := strings.TrimRight(base, "0123456789")
	if len(base)-len(trimmed) < 12 || len(trimmed) < 2 {
		return false
	}
	_, err := os.Lstat(filepath.Join(filepath.Dir(path), trimmed[1:]))
	return err == nil
}
