package execjob

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// What --dry-run prints, run by sh, is the command fanout would run,
// argument for argument, whatever the words hold.
func TestQuoteRunsTheSameArgv(t *testing.T) {
	words := append([]string{"printf", "[%s]", ""}, hostile...)
	words = append(words, "a\nb", "tab\there", "*", "~x", "#c", "-", "é")
	out, err := exec.Command("sh", "-c", Quote(words)).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, w := range words[2:] {
		want += "[" + w + "]"
	}
	if string(out) != want {
		t.Fatalf("sh -c %q printed %q, want %q", Quote(words), out, want)
	}
	if got := Quote([]string{"echo", "a-b/c.d", "it's"}); got != `echo a-b/c.d 'it'\''s'` {
		t.Errorf("Quote: %s", got)
	}
}

func FuzzQuoteRoundTrip(f *testing.F) {
	for _, s := range []string{"", "a", "a b", "it's", "''", `\'`, "x y\x00z"} {
		f.Add(s, "second")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, words := range [][]string{{a}, {a, b}, {b, a, ""}} {
			got, err := Unquote(Quote(words))
			if err != nil || !slices.Equal(got, words) {
				t.Fatalf("Unquote(Quote(%q)) = %q, %v", words, got, err)
			}
		}
		// Unquote never panics on other input, and what it accepts quotes
		// back to something it reads the same.
		if words, err := Unquote(a); err == nil {
			if again, err := Unquote(Quote(words)); err != nil || !slices.Equal(again, words) {
				t.Fatalf("%q: %q then %q, %v", a, words, again, err)
			}
		}
	})
}

func TestUnquoteRefuses(t *testing.T) {
	for _, s := range []string{"a  b", "'open", "a ", "a;b", `a\b`} {
		if w, err := Unquote(s); err == nil {
			t.Errorf("Unquote(%q) = %q, want an error", s, w)
		}
	}
	if w, err := Unquote("''"); err != nil || !slices.Equal(w, []string{""}) || strings.Join(w, "") != "" {
		t.Errorf("Unquote('') = %q, %v", w, err)
	}
}
