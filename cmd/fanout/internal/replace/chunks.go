package replace

import (
	"bytes"
	"fmt"
	"io"
	"iter"
	"unicode/utf8"

	"github.com/aymanbagabas/go-udiff"
)

// A chunk is a run of whole lines of a streamed input, and what the
// replacement made of it.
type chunk struct {
	off     int64  // input offset of lead
	lead    []byte // the UTF-8 byte order mark, in the first chunk only
	text    []byte // whole lines; the input's last may lack its line end
	out     []byte // text, replaced
	n       int    // replacements in text
	changed bool   // out is not text
	hunks   string // when asked for and changed: the diff's hunks, numbered as in the whole input

	// A chunk with skip set (the input must not be edited: binary,
	// UTF-16, or not UTF-8 where it matched), or yielded with a read
	// error, is the last: rest is then all that was read and not yet
	// yielded, lead and text included, from off on.
	skip string
	rest []byte
}

// chunks reads in size bytes of whole lines at a time (more for a longer
// line) and replaces in each, as File and Filter stream an input: memory
// stays at about one chunk, or the longest line, whatever the input's
// size. Each chunk's slices are valid until the next. What would make a
// whole file skipped ends the sequence with a chunk saying why: a NUL
// byte anywhere (binary, as in ripgrep; sniffed after the byte order mark,
// since UTF-16 has NULs), or a match once some text was not UTF-8.
func (r *Replacer) chunks(in io.Reader, size int, diff bool) iter.Seq2[chunk, error] {
	return func(yield func(chunk, error) bool) {
		var (
			buf     = make([]byte, 0, size)
			off     int64 // input offset of buf[0]
			eof     bool
			bom     = -1   // the BOM's length, once the start was sniffed
			invalid bool   // some text before the current chunk is not UTF-8
			lines   [2]int // lines before buf, in the old and the new content
		)
		for !eof || len(buf) > 0 {
			var nul bool
			var err error
			if !eof {
				buf, eof, nul, err = fill(in, buf)
			}
			if err != nil {
				yield(chunk{off: off, rest: buf}, fmt.Errorf("reading: %w", err))
				return
			}
			if bom < 0 {
				reason, n := sniff(buf)
				if reason != "" {
					yield(chunk{off: off, skip: reason, rest: buf}, nil)
					return
				}
				bom = n
			}
			if nul {
				yield(chunk{off: off, skip: SkipBinary, rest: buf}, nil)
				return
			}
			cut := len(buf)
			if !eof {
				if cut = bytes.LastIndexByte(buf, '\n') + 1; cut == 0 {
					continue // a line longer than the buffer: read on
				}
			}
			c := chunk{off: off, text: buf[:cut]}
			if off == 0 {
				c.lead, c.text = buf[:bom], buf[bom:cut]
			}
			invalid = invalid || !utf8.Valid(c.text)
			c.out, c.n = r.Replace(c.text)
			if c.n > 0 && invalid {
				yield(chunk{off: off, skip: SkipInvalid, rest: buf}, nil)
				return
			}
			c.changed = c.n > 0 && !bytes.Equal(c.out, c.text)
			if diff && c.changed {
				lead := string(c.lead) // in the diff, as in the whole input's
				c.hunks = shiftHunks(udiff.Unified("", "", lead+string(c.text), lead+string(c.out)), lines)
			}
			if !yield(c, nil) {
				return
			}
			lines[0] += bytes.Count(c.text, []byte{'\n'})
			lines[1] += bytes.Count(c.out, []byte{'\n'})
			off += int64(cut)
			buf = buf[:copy(buf, buf[cut:])]
		}
	}
}

// fill reads into buf until it is full, in ends (eof) or a NUL byte comes
// (nul). A full buf, which holds no whole line, is doubled first.
func fill(in io.Reader, buf []byte) (_ []byte, eof, nul bool, err error) {
	if len(buf) == cap(buf) {
		buf = append(buf, make([]byte, cap(buf))...)[:len(buf)]
	}
	for len(buf) < cap(buf) {
		n, err := in.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case bytes.IndexByte(buf[len(buf)-n:], 0) >= 0:
			return buf, false, true, nil
		case err == io.EOF:
			return buf, true, false, nil
		case err != nil:
			return buf, false, false, err
		}
	}
	return buf, false, false, nil
}
