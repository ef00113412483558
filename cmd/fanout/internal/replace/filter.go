package replace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/aymanbagabas/go-udiff"
)

// ErrTooLarge is returned by Filter for an input that must be read whole
// and is larger than its limit. Nothing was written: a filter cannot
// skip its input the way File skips a file.
var ErrTooLarge = errors.New("input too large to read whole")

// ErrPassedOn is wrapped by Filter's error when a streamed input turned
// out binary (a NUL byte), or not UTF-8 where it matched, after edited
// text had been written: from there on it was written unchanged (with
// DryRun, not diffed).
var ErrPassedOn = errors.New("the rest left unedited")

// Filter replaces in what in holds and writes the result to w, writing
// nothing to disk: the path "-", like sed without -i and sd without
// files. Result.Path is "-". With DryRun, w gets the unified diff instead
// of the text.
//
// When the replacement works line by line and o.MaxSize is 0, in is
// streamed as File streams a large file: a chunk of whole lines at a time,
// each written as soon as it is made, so memory does not grow with the
// input. The rules are File's; what File would skip (binary, UTF-16 or
// UTF-32, invalid UTF-8 with a match) goes through unchanged and Skip
// says why, as long as nothing edited was written yet: like sed and sd, a
// filter passes its input on, and unlike them it does not edit bytes it
// cannot read as text. Once edited text is out, such a finding writes the
// rest unchanged and returns an error wrapping ErrPassedOn.
//
// Otherwise in is read whole, up to o.MaxSize (WholeFileLimit when 0); a
// larger input is refused with ErrTooLarge and nothing written.
func (r *Replacer) Filter(w io.Writer, in io.Reader, o Options) Result {
	if r.streams() && o.MaxSize == 0 {
		return r.filterStream(w, in, o)
	}
	res := Result{Path: "-"}
	limit := o.MaxSize
	if limit == 0 {
		limit = WholeFileLimit
	}
	content, err := io.ReadAll(io.LimitReader(in, limit+1))
	if err != nil {
		res.Err = fmt.Errorf("reading: %w", err)
		if !o.DryRun {
			_, _ = w.Write(content) // what was read, unchanged: nothing lost (the read error is the one reported)
		}
		return res
	}
	if int64(len(content)) > limit {
		res.Err = fmt.Errorf("%w (--across, an OLD holding a line break, or --max-filesize): over %d bytes; nothing written", ErrTooLarge, limit)
		return res
	}
	out, n, skip := r.filterText(content)
	res.Skip, res.Replacements = skip, n
	res.Changed = skip == "" && n > 0 && !bytes.Equal(out, content)
	switch {
	case o.DryRun && res.Changed:
		res.Diff = udiff.Unified("-", "-", string(content), string(out))
		_, err = io.WriteString(w, res.Diff)
	case !o.DryRun:
		_, err = w.Write(out)
	}
	if err != nil {
		res.Err = fmt.Errorf("writing: %w", err)
		res.Changed, res.Replacements = false, 0 // nothing replaced reached w
	}
	return res
}

// filterText returns the text to write, the number of replacements and,
// when the text is passed on unchanged, why.
func (r *Replacer) filterText(content []byte) ([]byte, int, string) {
	reason, bom := sniff(content)
	if reason != "" {
		return content, 0, reason
	}
	out, n := r.Replace(content[bom:])
	if n == 0 {
		return content, 0, ""
	}
	if !utf8.Valid(content[bom:]) {
		return content, 0, SkipInvalid
	}
	if bytes.IndexByte(content, 0) >= 0 {
		return content, 0, SkipBinary
	}
	return append(content[:bom:bom], out...), n, ""
}

// filterStream is Filter in line mode: StreamChunk of whole lines (or the
// longest line) at a time, each written before the next is read. With
// DryRun each chunk's hunks are written as they are made.
func (r *Replacer) filterStream(w io.Writer, in io.Reader, o Options) Result {
	res := Result{Path: "-"}
	header := false // DryRun: the diff's file header is out
	for c, err := range r.chunks(in, StreamChunk, o.DryRun) {
		if err != nil || c.skip != "" {
			return passOn(res, w, in, c, err, o.DryRun)
		}
		switch {
		case !o.DryRun:
			if _, err = w.Write(c.lead); err == nil {
				_, err = w.Write(c.out)
			}
		case c.changed:
			if !header {
				_, err = io.WriteString(w, "--- -\n+++ -\n")
				header = true
			}
			if err == nil {
				_, err = io.WriteString(w, c.hunks)
			}
		}
		if err != nil {
			res.Err = fmt.Errorf("writing: %w", err)
			return res // what was counted reached w
		}
		res.Replacements += c.n
		res.Changed = res.Changed || c.changed
	}
	return res
}

// passOn writes the last chunk's rest and the rest of in unchanged (with
// dryRun, nothing): the input turned out to be something not to edit
// (c.skip), or could not be read to its end (readErr).
func passOn(res Result, w io.Writer, in io.Reader, c chunk, readErr error, dryRun bool) Result {
	var err error
	if !dryRun {
		if _, err = w.Write(c.rest); err == nil && readErr == nil {
			_, err = io.Copy(w, in)
		}
	}
	switch {
	case err != nil:
		res.Err = fmt.Errorf("writing: %w", err)
	case readErr != nil:
		res.Err = readErr
	case res.Replacements == 0:
		res.Skip = c.skip // the output is the input: skipped, as File would
	default:
		res.Err = fmt.Errorf("%s from byte %d: %w", c.skip, c.off, ErrPassedOn)
	}
	return res
}
