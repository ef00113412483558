package replace

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// StreamChunk is how much of a file is read at once. A larger file is
// edited as a stream of whole lines, as sed does, when the replacement
// works line by line (a literal OLD without a line break, a regex in line
// mode): memory stays at about two chunks (or the longest line) whatever
// the file's size, and the new content goes to the temporary file as it
// is made.
const StreamChunk = 1 << 20

// WholeFileLimit is the default limit for the files that must be read
// whole (--across, or a literal OLD holding a line break): larger ones
// are skipped as too large unless Options.MaxSize says otherwise.
const WholeFileLimit = 256 << 20

// streams reports whether r can run on a file a chunk of whole lines at a
// time with the same result as on the whole file.
func (r *Replacer) streams() bool {
	return !r.across && (r.re != nil || bytes.IndexByte(r.old, '\n') < 0)
}

// stream edits a file larger than StreamChunk (st, as read when it was
// first opened) chunk by chunk. Nothing is written until a chunk changes:
// the temporary file then gets the unchanged start copied from the file,
// and every later chunk as it is made. A file that chunks finds not to be
// edited (binary, not UTF-8 where it matches) is skipped, its temporary
// file removed.
func (r *Replacer) stream(res Result, target string, st fileStat, o Options) Result {
	f, err := os.Open(target)
	if err != nil {
		res.Err = err
		return res
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !statOf(fi).same(st) {
		res.Err = ErrModified
		return res
	}
	var (
		w    *atomicFile
		diff strings.Builder // without o.DiffTo
		dw   io.Writer       = &diff
	)
	if o.DiffTo != nil {
		dw = o.DiffTo
	}
	fail := func(skip string, err error) Result {
		if w != nil {
			w.abort()
		}
		res.Skip, res.Err, res.Replacements, res.Changed = skip, err, 0, false
		return res
	}
	for c, err := range r.chunks(f, StreamChunk, o.DryRun) {
		if err != nil || c.skip != "" {
			return fail(c.skip, err)
		}
		res.Replacements += c.n
		switch {
		case o.DryRun && c.changed:
			if err := writeHunks(dw, res.Path, c.hunks, !res.Changed); err != nil {
				return fail("", err)
			}
		case c.changed && w == nil:
			if w, err = beginAtomic(target, st); err != nil {
				return fail("", err)
			}
			if err := copyStart(w, f, c.off+int64(len(c.lead))); err != nil {
				return fail("", err)
			}
		}
		if w != nil {
			if err := w.write(c.out); err != nil {
				return fail("", err)
			}
		}
		res.Changed = res.Changed || c.changed
	}
	switch {
	case o.DryRun && o.DiffTo == nil:
		res.Diff = diff.String()
	case w != nil && res.Changed:
		if err := w.commit(!o.NoFsync); err != nil {
			return fail("", err)
		}
	case w != nil:
		w.abort()
	}
	return res
}

// writeHunks writes a streamed file's hunks to w, after the diff's file
// header when first.
func writeHunks(w io.Writer, path, hunks string, first bool) error {
	if first {
		hunks = "--- " + path + "\n+++ " + path + "\n" + hunks
	}
	if _, err := io.WriteString(w, hunks); err != nil {
		return fmt.Errorf("writing the diff: %w", err)
	}
	return nil
}

// copyStart writes the first n bytes of f, unchanged, to w.
func copyStart(w *atomicFile, f *os.File, n int64) error {
	buf := make([]byte, min(n, StreamChunk))
	for at := int64(0); at < n; {
		k, err := f.ReadAt(buf[:min(int64(len(buf)), n-at)], at)
		if err != nil {
			return fmt.Errorf("reading: %w", err)
		}
		if err := w.write(buf[:k]); err != nil {
			return err
		}
		at += int64(k)
	}
	return nil
}

var hunkHeader = regexp.MustCompile(`(?m)^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@`)

// shiftHunks drops a chunk's diff's file header and moves its hunks down
// by the lines before the chunk, in the old and the new content.
func shiftHunks(d string, lines [2]int) string {
	if i := strings.Index(d, "\n@@ "); i >= 0 {
		d = d[i+1:]
	}
	return hunkHeader.ReplaceAllStringFunc(d, func(h string) string {
		m := hunkHeader.FindStringSubmatch(h)
		from, _ := strconv.Atoi(m[1])
		to, _ := strconv.Atoi(m[3])
		return "@@ -" + strconv.Itoa(from+lines[0]) + m[2] + " +" + strconv.Itoa(to+lines[1]) + m[4] + " @@"
	})
}
