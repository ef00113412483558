package command

import (
	"context"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/replace"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
)

// `replace --dry-run` of a 64 MiB file with every line changed held its
// 138 MB diff whole, and again in its text line: 422 MB peak RSS. The
// diff now waits in a temporary file past spillAt and is printed a piece
// at a time; what is printed must be byte for byte what printing the
// whole diff gave (the record's TextLine, escaped whole), in text, and in
// --json's diff field: for a streamed file whose diff spills (CRLF, an
// escape sequence, runes of 2 and 3 bytes, a line longer than a piece,
// no final newline) and for a small one, in one run.
func TestReplaceDryRunDiffSameBytesWhenSpilled(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("\xEF\xBB\xBFold first\n")
	for i := 0; b.Len() < 3*replace.StreamChunk; i++ {
		switch {
		case i%50 == 3:
			b.WriteString("old \x1b[31mred\x1b[0m\r\n")
		case i%77 == 5:
			b.WriteString("café old ☃\n")
		case i == 1000:
			b.WriteString(strings.Repeat("y", 300<<10) + " old\n")
		default:
			b.WriteString("old ☃☃☃ ééé\n") // a piece cut anywhere but a line end would split a rune
		}
	}
	b.WriteString("old, no final newline")
	dir := files(t, map[string]string{"big.txt": b.String(), "small.txt": "a old\nb\n"})
	lit, err := replace.Literal("old", "new")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	diffs := map[string]string{}
	for _, name := range []string{"big.txt", "small.txt"} {
		res := lit.File(filepath.Join(dir, name), replace.Options{DryRun: true}) // the diff held whole
		want.WriteString(runio.Scrub(newReplaceRecord(res, true).TextLine()) + "\n")
		diffs[name] = res.Diff
	}
	if len(diffs["big.txt"]) <= spillAt {
		t.Fatalf("the diff is %d bytes: it does not spill", len(diffs["big.txt"]))
	}
	out, stderr, code := run(t, context.Background(), "", "replace", "--dry-run", "--ordered", "old", "new",
		filepath.Join(dir, "big.txt"), filepath.Join(dir, "small.txt"))
	if code != ExitOK || out != want.String() {
		i := firstDiff(out, want.String())
		t.Errorf("exit %d, %s; %d bytes, want %d; from byte %d: %q, want %q", code, stderr, len(out), want.Len(), i,
			out[i:min(len(out), i+80)], want.String()[i:min(want.Len(), i+80)])
	}
	out, _, _ = run(t, context.Background(), "", "replace", "--dry-run", "--json", "-q", "old", "new", dir)
	recs := jsonLines[replaceRecord](t, out)
	for _, r := range recs {
		if d := diffs[filepath.Base(r.Path)]; r.Diff != d {
			t.Errorf("--json %s: diff of %d bytes, want %d", r.Path, len(r.Diff), len(d))
		}
	}
	if len(recs) != 2 {
		t.Errorf("--json: %d records", len(recs))
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// A diffSpill keeps what it is given, in memory or past spillAt in its
// file, and gives it back in whole lines, however it was written.
func TestDiffSpillGivesBackWholeLines(t *testing.T) {
	t.Parallel()
	for _, size := range []int{100, 3 * spillAt} {
		var src strings.Builder
		for src.Len() < size {
			src.WriteString(strings.Repeat("é", rand.IntN(200)) + "\n")
		}
		src.WriteString(strings.Repeat("x", 600<<10) + "\n") // longer than a piece
		files := &spillFiles{}
		d := &diffSpill{files: files}
		for rest := src.String(); rest != ""; {
			n := min(len(rest), 1+rand.IntN(64<<10))
			if _, err := io.WriteString(d, rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if spilled := d.file != nil; spilled != (size > spillAt) {
			t.Errorf("%d bytes: spilled %v", size, spilled)
		}
		var got strings.Builder
		err := d.each(func(s string) error {
			if !strings.HasSuffix(s, "\n") {
				t.Errorf("a piece ends in %q", s[max(0, len(s)-5):])
			}
			got.WriteString(s)
			return nil
		})
		if err != nil || got.String() != src.String() {
			t.Errorf("%d bytes: %v; got %d bytes back", size, err, got.Len())
		}
		files.close()
	}
}
