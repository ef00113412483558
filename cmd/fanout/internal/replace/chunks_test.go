package replace

import (
	"bytes"
	"io"
	"testing"
	"unicode/utf8"
)

// FuzzChunks checks the one streaming loop of File and Filter against the
// whole-input replacement, with chunks of 4 to 67 bytes so that lines
// cross chunk ends and the buffer grows for long lines: the chunks tile
// the input (each but the last ends a line), joined their leads and
// outputs are the whole replacement and their counts add up; a chunk
// stops the input only for a reason the input has (a NUL byte, a UTF-16
// or UTF-32 byte order mark, a match where the text is not UTF-8), and
// what it read and left is the rest of the input.
func FuzzChunks(f *testing.F) {
	f.Add([]byte("old old\r\nold"), "old", "new", false, uint8(0))
	f.Add([]byte("\xEF\xBB\xBFold first\nplain\nlast old"), "old", "", false, uint8(3))
	f.Add([]byte("a very long line with old in it\nold\n"), "^old", "new", true, uint8(1))
	f.Add([]byte("\xEF\xBB\xBFold\nold\n"), "^old", "new", true, uint8(0))
	f.Add([]byte("1\n2\n3\n"), `^`, "p-", true, uint8(0))
	f.Add([]byte("abc\r\ndef\r\n"), `^(.*)$`, "${1};", true, uint8(2))
	f.Add([]byte("text old\ncaf\xe9 old\n"), "old", "new", false, uint8(0))
	f.Add([]byte("old\nold\x00\n"), "old", "new", false, uint8(0))
	f.Add([]byte("\xFF\xFEo\x00l\x00d\x00"), "old", "new", false, uint8(0))
	f.Fuzz(func(t *testing.T, src []byte, old, new string, regex bool, size uint8) {
		r, err := Literal(old, new)
		if regex {
			r, err = Regex(old, new, Lines)
		}
		if err != nil || !r.streams() {
			return
		}
		var got []byte
		var pos int64 // input consumed by the chunks so far
		n := 0
		in := bytes.NewReader(src)
		for c, err := range r.chunks(in, 4+int(size%64), true) {
			if err != nil {
				t.Fatal(err)
			}
			if c.off != pos {
				t.Fatalf("chunk at %d, want %d", c.off, pos)
			}
			if c.skip != "" {
				// Filter passes on rest, then what in still holds.
				if unread, _ := io.ReadAll(in); !bytes.Equal(append(c.rest, unread...), src[pos:]) {
					t.Fatalf("rest %q and %q unread, want %q", c.rest, unread, src[pos:])
				}
				checkStop(t, r, src, c.skip)
				return
			}
			pos += int64(len(c.lead) + len(c.text))
			if pos < int64(len(src)) && !bytes.HasSuffix(c.text, []byte("\n")) {
				t.Fatalf("chunk %q ends no line", c.text)
			}
			if c.changed != (c.hunks != "") || c.changed != (c.n > 0 && !bytes.Equal(c.out, c.text)) {
				t.Fatalf("changed %v, hunks %q, for %q -> %q", c.changed, c.hunks, c.text, c.out)
			}
			got = append(append(got, c.lead...), c.out...)
			n += c.n
		}
		if pos != int64(len(src)) {
			t.Fatalf("chunks ended at %d of %d", pos, len(src))
		}
		reason, bom := sniff(src)
		if reason != "" || bytes.IndexByte(src, 0) >= 0 {
			t.Fatalf("input streamed through: %q (sniffed %q)", src, reason)
		}
		want, wn := r.Replace(src[bom:])
		if want = append(src[:bom:bom], want...); !bytes.Equal(got, want) || n != wn {
			t.Fatalf("streamed %q, %d; whole %q, %d", got, n, want, wn)
		}
	})
}

// checkStop fails unless the input has what made the chunks stop.
func checkStop(t *testing.T, r *Replacer, src []byte, skip string) {
	t.Helper()
	reason, bom := sniff(src)
	switch {
	case skip == SkipBinary && bytes.IndexByte(src, 0) >= 0:
	case skip == SkipUTF16 && reason == SkipUTF16:
	case skip == SkipInvalid && !utf8.Valid(src[bom:]):
		if _, n := r.Replace(src[bom:]); n == 0 {
			t.Fatalf("%q: skipped as %s without a match", src, skip)
		}
	default:
		t.Fatalf("%q: skipped as %s", src, skip)
	}
}
