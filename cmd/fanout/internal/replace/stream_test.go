package replace

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bigText is a file of more than three chunks: CRLF and LF lines, a BOM,
// a line longer than a chunk, no final newline.
func bigText() string {
	var b strings.Builder
	b.WriteString("\xEF\xBB\xBFold first\n")
	for i := 0; b.Len() < 3*StreamChunk; i++ {
		switch {
		case i%1000 == 7:
			b.WriteString("café old here  \r\n")
		case i == 20000:
			b.WriteString(strings.Repeat("x", StreamChunk+100) + " old\n")
		default:
			b.WriteString("plain text line\n")
		}
	}
	b.WriteString("last old")
	return b.String()
}

// Issue 26.5: a file was read whole (a 512 MiB file took 1.06 GB). Over
// StreamChunk, it is edited a chunk of whole lines at a time, as sed
// does: the result must be byte for byte what the whole-file replacement
// gives, the dry run's diff must turn the old content into the new, and
// a file without a match keeps its mtime and leaves no temporary file.
func TestFileStreamsLikeWhole(t *testing.T) {
	src := bigText()
	for _, c := range []struct {
		name string
		r    *Replacer
	}{
		{"literal", lit(t, "old", "new")},
		{"literal to a longer text with a line break", lit(t, "old", "n\new\n")},
		{"regex lines", must(Regex(`\s+$`, "", Lines))},
		{"regex lines, groups", must(Regex(`(o)ld (\w+)`, "${2}-$1\\n", Lines))},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "big.txt")
			write(t, path, src, 0o640)
			// The whole-file result: Replace after the BOM.
			out, n := c.r.Replace([]byte(src[3:]))
			want := src[:3] + string(out)

			dry := c.r.File(path, Options{DryRun: true})
			if dry.Err != nil || !dry.Changed || dry.Replacements != n {
				t.Fatalf("dry run: %+v, want %d replacements", dry, n)
			}
			// GNU patch, since go-udiff's ApplyUnified refuses even its
			// own whole-file diff of this text.
			if patch, err := exec.LookPath("patch"); err == nil {
				tmp := t.TempDir()
				os.WriteFile(filepath.Join(tmp, "d"), []byte(dry.Diff), 0o644)
				// In a directory of ours: patch makes its temporary file in
				// the current one.
				cmd := exec.Command(patch, "-s", "-o", "out", path, "d")
				cmd.Dir = tmp
				if msg, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("patch: %v: %s", err, msg)
				} else if got, _ := os.ReadFile(filepath.Join(tmp, "out")); string(got) != want {
					t.Error("patch with the dry run's diff does not make the new content")
				}
			} else {
				t.Log("no patch(1) here: the dry run's diff is not applied")
			}
			res := c.r.File(path, Options{NoFsync: true})
			if res.Err != nil || !res.Changed || res.Replacements != n {
				t.Fatalf("%+v, want %d replacements", res, n)
			}
			if got := read(t, path); got != want {
				t.Errorf("streamed result differs from the whole-file one (%d bytes, want %d)", len(got), len(want))
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
				t.Errorf("mode %v", fi.Mode())
			}
			onlyFiles(t, dir, "big.txt")
		})
	}
	t.Run("no match", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "big.txt")
		write(t, path, src, 0o644)
		past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		os.Chtimes(path, past, past)
		if res := lit(t, "absent", "x").File(path, Options{}); res.Changed || res.Err != nil || res.Replacements != 0 {
			t.Errorf("%+v", res)
		}
		if fi, _ := os.Stat(path); !fi.ModTime().Equal(past) {
			t.Error("mtime changed")
		}
		onlyFiles(t, dir, "big.txt")
	})
}

func must(r *Replacer, err error) *Replacer {
	if err != nil {
		panic(err)
	}
	return r
}

// A NUL byte past the first chunk (a sparse file's hole, ripgrep's binary
// rule) and invalid UTF-8 past the first match skip the file even though
// the start was already replaced: the file is untouched, no temporary
// file is left, and nothing is counted. (The sparse file of 512
// MiB became 513 MB on disk, its holes filled.)
func TestFileStreamSkipsLateBinaryAndInvalid(t *testing.T) {
	for name, c := range map[string]struct{ tail, skip string }{
		"sparse": {"", SkipBinary},
		"NUL":    {"old\x00\n", SkipBinary},
		"Latin1": {"old caf\xe9\n", SkipInvalid},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "f")
		head := strings.Repeat("old line\n", 2*StreamChunk/9)
		write(t, path, head+c.tail, 0o644)
		if name == "sparse" {
			if err := os.Truncate(path, 64<<20); err != nil {
				t.Fatal(err)
			}
		}
		before, _ := os.ReadFile(path)
		res := lit(t, "old", "new").File(path, Options{})
		if res.Skip != c.skip || res.Changed || res.Replacements != 0 || res.Err != nil {
			t.Errorf("%s: %+v, want skipped (%s)", name, res, c.skip)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Errorf("%s: the file changed", name)
		}
		onlyFiles(t, dir, "f")
	}
}

// What must be read whole (--across, a literal holding a line break) is
// bounded: over WholeFileLimit by default, or MaxSize when set, a file is
// skipped as too large without being read. The file is sparse: nothing
// is written to disk.
func TestFileWholeReadIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge")
	write(t, path, "old\n", 0o644)
	if err := os.Truncate(path, WholeFileLimit+1); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Replacer{must(Regex(`old`, "new", Across)), lit(t, "old\n", "new\n")} {
		if res := r.File(path, Options{}); res.Skip != SkipTooLarge {
			t.Errorf("%+v, want skipped as too large", res)
		}
	}
	small := filepath.Join(t.TempDir(), "small")
	write(t, small, "old\nold\n", 0o644)
	if res := must(Regex(`old\nold`, "x", Across)).File(small, Options{MaxSize: 4}); res.Skip != SkipTooLarge {
		t.Errorf("MaxSize: %+v", res)
	}
}

// A first line longer than a chunk, after a UTF-8 BOM: the BOM is still
// kept out of the text matched once the buffer has grown (it was matched
// as text, so ^ missed the first line), for a file as for stdin.
func TestStreamBOMBeforeALongFirstLine(t *testing.T) {
	r := must(Regex(`^old`, "new", Lines))
	long := strings.Repeat("x", StreamChunk+10)
	src := "\xEF\xBB\xBFold" + long + "\nold\n"
	want := "\xEF\xBB\xBFnew" + long + "\nnew\n"
	path := filepath.Join(t.TempDir(), "bom.txt")
	write(t, path, src, 0o644)
	if res := r.File(path, Options{}); res.Err != nil || res.Replacements != 2 {
		t.Errorf("file: %+v, want 2 replacements", res)
	}
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Errorf("file: first 10 bytes %q", got[:10])
	}
	var out bytes.Buffer
	if res := r.Filter(&out, strings.NewReader(src), Options{}); res.Err != nil || res.Replacements != 2 || out.String() != want {
		t.Errorf("stdin: %+v, first 10 bytes %q", res, out.Bytes()[:min(10, out.Len())])
	}
}

// A UTF-16 or UTF-32 file is skipped for its byte order mark whatever its
// size: streamed (over StreamChunk), its NULs made it "binary", while a
// small one said UTF-16, as stdin does. ripgrep too reads the BOM before
// it looks for NULs (ripgrep#1207: it transcodes such a file; rg 13 counts
// the 600,000 matches of a 4.8 MB UTF-16LE file, not "binary").
func TestFileStreamedUTF16IsSkippedAsUTF16(t *testing.T) {
	dir := t.TempDir()
	for name, bom := range map[string]string{"LE": "\xFF\xFE", "BE": "\xFE\xFF", "UTF-32BE": "\x00\x00\xFE\xFF"} {
		for _, size := range []int{100, 2 * StreamChunk} {
			path := filepath.Join(dir, name)
			write(t, path, bom+strings.Repeat("o\x00l\x00d\x00\n\x00", size/8), 0o644)
			if res := lit(t, "old", "new").File(path, Options{}); res.Skip != SkipUTF16 {
				t.Errorf("%s, %d bytes: %+v, want skipped (%s)", name, size, res, SkipUTF16)
			}
		}
	}
}

// Options.DiffTo gets, byte for byte, the diff Result.Diff holds without
// it, for a file read whole and one streamed (its hunks written as each
// chunk is made, not held), and Result.Diff is then empty.
func TestFileDiffToIsResultDiff(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{"small": "\xEF\xBB\xBFa old\r\nb\nold", "streamed": bigText()} {
		path := filepath.Join(dir, name)
		write(t, path, src, 0o644)
		r := lit(t, "old", "new")
		want := r.File(path, Options{DryRun: true})
		var got bytes.Buffer
		res := r.File(path, Options{DryRun: true, DiffTo: &got})
		if want.Diff == "" || got.String() != want.Diff || res.Diff != "" || res.Replacements != want.Replacements || !res.Changed {
			t.Errorf("%s: %d bytes to DiffTo, Result.Diff %d bytes; %+v, want %d replacements",
				name, got.Len(), len(want.Diff), res, want.Replacements)
		}
		// A diff that cannot be written is an error, and nothing counted.
		if res := r.File(path, Options{DryRun: true, DiffTo: failWriter{}}); res.Err == nil || res.Changed || res.Replacements != 0 {
			t.Errorf("%s: DiffTo failing: %+v", name, res)
		}
	}
}
