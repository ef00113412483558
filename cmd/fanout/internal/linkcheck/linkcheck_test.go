package linkcheck

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/links"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newChecker(t *testing.T, o Options) *Checker {
	t.Helper()
	web := httpcheck.New(httpcheck.Options{Workers: 1})
	t.Cleanup(web.Close)
	return New(web, o)
}

// Items and Do feed each other: a document's links come after it, and
// the stream ends once nothing that can find links runs, even when the
// consumer does each item as it comes (the run path's executor does them
// concurrently; the order of the words is the same either way here).
func TestItemsYieldTheLinksOfEachDocument(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"a.md": "[b](b.md) [c](c.md) [m](mailto:x@y.z)\n",
		"b.md": "[a](a.md#nope)\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := newChecker(t, Options{Fragments: true})
	starts := slices.Values([]Item{{Doc: filepath.Join(dir, "a.md")}, {Doc: filepath.Join(dir, "b.md")}})
	var got []string
	for it := range c.Items(context.Background(), starts) {
		r := c.Do(context.Background(), it)
		got = append(got, filepath.Base(it.Key())+" "+r.Word)
	}
	want := []string{
		"a.md read",
		"a.md:1:1 b.md exists",
		"a.md:1:11 c.md does not exist",
		"a.md:1:21 mailto:x@y.z skipped (mailto)",
		"b.md read",
		"b.md:1:1 a.md#nope no anchor #nope",
	}
	if !slices.Equal(got, want) {
		t.Errorf("items:\n%q\nwant:\n%q", got, want)
	}
	if st := c.Stats(); st.Files != 3 || st.HTTP != 0 {
		t.Errorf("stats %+v, want 3 distinct files", st)
	}
}

// An item yielded but never done (the run was interrupted before it
// started) must not make Items wait forever: ctx ending ends it.
func TestItemsEndWhenTheRunIsInterrupted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newChecker(t, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range c.Items(ctx, slices.Values([]Item{{Doc: "never-read.md"}})) {
				n++ // never passed to Do
			}
		}()
		synctest.Wait() // Items waits for the document
		select {
		case <-done:
			t.Fatal("Items ended while a document it yielded had not been done")
		default:
		}
		cancel()
		<-done
		if n != 1 {
			t.Errorf("%d items, want 1", n)
		}
	})
}

// A link selected by Include wins over Exclude (lychee's rule); without
// an Include match, Exclude removes it; with Include given, a link that
// matches none is left out.
func TestSelection(t *testing.T) {
	re := func(s string) []*regexp.Regexp {
		if s == "" {
			return nil
		}
		return []*regexp.Regexp{regexp.MustCompile(s)}
	}
	for _, tc := range []struct {
		include, exclude string
		raw              string
		want             bool
	}{
		{"", "", "https://a.example/x", true},
		{"", "a\\.example", "https://a.example/x", false},
		{"/x$", "a\\.example", "https://a.example/x", true},
		{"/y$", "", "https://a.example/x", false},
	} {
		c := &Checker{o: Options{Include: re(tc.include), Exclude: re(tc.exclude)}}
		it := Item{Link: links.Link{Raw: tc.raw, Kind: links.HTTP, Target: tc.raw}}
		if got := c.selected(it); got != tc.want {
			t.Errorf("include %q exclude %q: %s selected %v, want %v", tc.include, tc.exclude, tc.raw, got, tc.want)
		}
	}
}

// Fragments that name no anchor a page's HTML holds are not looked for.
func TestIsAnchor(t *testing.T) {
	for frag, want := range map[string]bool{
		"usage": true, "L": true, "Lx1": true, "clear--": true, "method.summary": true, "L10a": true,
		":~:text=Usage": false, "/route": false, "!/route": false,
		"L20": false, "L10-L20": false, "L10-20": false, "L3C5": false, "L3C5-L4C1": false,
	} {
		if got := isAnchor(frag); got != want {
			t.Errorf("isAnchor(%q) = %v, want %v", frag, got, want)
		}
	}
}
