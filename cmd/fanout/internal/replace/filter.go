package replace

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/aymanbagabas/go-udiff"
)

// Filter replaces in what in holds and writes the result to w, writing
// nothing to disk: the path "-", like sed without -i and sd without files.
// The rules are File's; what File would skip (binary, UTF-16 or UTF-32,
// invalid UTF-8 with a match, larger than MaxSize) goes through unchanged
// and Skip says why: like sed and sd, a filter in a pipeline passes its
// input on rather than refusing it, and unlike them it does not edit
// bytes it cannot read as text. With DryRun, w gets the unified diff
// instead of the text. Result.Path is "-".
func (r *Replacer) Filter(w io.Writer, in io.Reader, o Options) Result {
	res := Result{Path: "-"}
	src := in
	if o.MaxSize > 0 {
		src = io.LimitReader(in, o.MaxSize+1)
	}
	content, err := io.ReadAll(src)
	if err != nil {
		res.Err = fmt.Errorf("reading: %w", err)
		if !o.DryRun {
			_, _ = w.Write(content) // what was read, unchanged: nothing lost (the read error is the one reported)
		}
		return res
	}
	out, n, skip := r.filterText(content, o)
	res.Skip, res.Replacements = skip, n
	res.Changed = skip == "" && n > 0 && !bytes.Equal(out, content)
	switch {
	case o.DryRun && res.Changed:
		res.Diff = udiff.Unified("-", "-", string(content), string(out))
		_, err = io.WriteString(w, res.Diff)
	case !o.DryRun:
		if _, err = w.Write(out); err == nil && skip == SkipTooLarge {
			_, err = io.Copy(w, in)
		}
	}
	if err != nil {
		res.Err = fmt.Errorf("writing: %w", err)
		res.Changed, res.Replacements = false, 0 // nothing replaced reached w
	}
	return res
}

// filterText returns the text to write, the number of replacements and,
// when the text is passed on unchanged, why.
func (r *Replacer) filterText(content []byte, o Options) ([]byte, int, string) {
	if o.MaxSize > 0 && int64(len(content)) > o.MaxSize {
		return content, 0, SkipTooLarge
	}
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
