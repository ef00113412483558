package replace

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// finder.index is bytes.Index, on texts long enough to take its own path,
// over small alphabets so that rare bytes, false hits and the fallback
// all happen.
func TestFinderIsIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, alphabet := range []string{"ab", "abc_", "xyz\n", "the quick_brown fox"} {
		for range 2000 {
			s := make([]byte, 64+rng.IntN(400))
			for i := range s {
				s[i] = alphabet[rng.IntN(len(alphabet))]
			}
			needle := make([]byte, 1+rng.IntN(6))
			for i := range needle {
				needle[i] = alphabet[rng.IntN(len(alphabet))]
			}
			if rng.IntN(3) == 0 { // plant it
				at := rng.IntN(len(s) - len(needle) + 1)
				copy(s[at:], needle)
			}
			if got, want := newFinder(needle).index(s), bytes.Index(s, needle); got != want {
				t.Fatalf("index(%q, %q) = %d, bytes.Index = %d", s, needle, got, want)
			}
		}
	}
	// At both ends.
	s := []byte(strings.Repeat("x", 100) + "needle")
	if got := newFinder([]byte("needle")).index(s); got != 100 {
		t.Errorf("at the end: %d", got)
	}
	if got := newFinder([]byte("xx")).index(s); got != 0 {
		t.Errorf("at the start: %d", got)
	}
}

// The text of bench/replace.sh's files: a line full of o's, without the
// needle. go test -bench Finder ./internal/replace/
func BenchmarkFinder(b *testing.B) {
	text := []byte(strings.Repeat("    result = compute(value, other_value)  # some ordinary source text\n", 150))
	needle := []byte("old_function_name")
	b.Run("bytes.Index", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			bytes.Index(text, needle)
		}
	})
	b.Run("finder", func(b *testing.B) {
		f := newFinder(needle)
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			f.index(text)
		}
	})
}
