package replace

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// tree makes files under a fresh directory and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		write(t, filepath.Join(dir, filepath.FromSlash(name)), content, 0o644)
	}
	return dir
}

// walked returns the walk's paths relative to dir, sorted, failing on
// errors.
func walked(t *testing.T, dir string, o WalkOptions, roots ...string) []string {
	t.Helper()
	if len(roots) == 0 {
		roots = []string{dir}
	}
	seq, err := Walk(context.Background(), roots, o)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for e := range seq {
		if e.Err != nil {
			t.Fatalf("%s: %v", e.Path, e.Err)
		}
		rel, _ := filepath.Rel(dir, e.Path)
		got = append(got, filepath.ToSlash(rel))
	}
	slices.Sort(got)
	return got
}

func TestWalkIgnoresAndHidden(t *testing.T) {
	dir := tree(t, map[string]string{
		".gitignore":         "*.log\nbuild/\n",
		"sub/.ignore":        "secret.txt\n",
		"a.txt":              "",
		"app.log":            "",
		"build/out.txt":      "",
		"sub/b.txt":          "",
		"sub/secret.txt":     "",
		".env":               "",
		".hidden/c.txt":      "",
		".git/config":        "",
		".git/objects/x.txt": "",
	})
	if got, want := walked(t, dir, WalkOptions{}), []string{"a.txt", "sub/b.txt"}; !slices.Equal(got, want) {
		t.Errorf("default: %v, want %v", got, want)
	}
	// fastmod #25: no way to include hidden files; here --hidden. fastmod
	// #37: with --hidden, fastmod then edited files inside .git/. Never.
	if got, want := walked(t, dir, WalkOptions{Hidden: true}), []string{".env", ".gitignore", ".hidden/c.txt", "a.txt", "sub/.ignore", "sub/b.txt"}; !slices.Equal(got, want) {
		t.Errorf("--hidden: %v, want %v", got, want)
	}
	if got, want := walked(t, dir, WalkOptions{NoIgnore: true}), []string{"a.txt", "app.log", "build/out.txt", "sub/b.txt", "sub/secret.txt"}; !slices.Equal(got, want) {
		t.Errorf("--no-ignore: %v, want %v", got, want)
	}
}

// fastmod #30: fastmod never walked hidden files, and naming them on the
// command line was the workaround users relied on. Files named explicitly
// are always yielded: hidden, ignored, or not matching the globs.
func TestWalkExplicitFilesAlwaysCome(t *testing.T) {
	dir := tree(t, map[string]string{".gitignore": "*.log\n", ".env": "", "app.log": ""})
	seq, _ := Walk(context.Background(), []string{filepath.Join(dir, ".env"), filepath.Join(dir, "app.log")}, WalkOptions{Globs: []string{"*.go"}})
	var n int
	for e := range seq {
		if !e.Explicit || e.Err != nil {
			t.Errorf("%+v", e)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
}

func TestWalkGlobs(t *testing.T) {
	dir := tree(t, map[string]string{
		"main.go":              "",
		"main_test.go":         "",
		"README.md":            "",
		"vendor/x/lib.go":      "",
		"internal/a/b.go":      "",
		"internal/a/b.ts":      "",
		"web/src/app.ts":       "",
		"web/testdata/fix.ts":  "",
		"docs/guide/index.md":  "",
		"docs/guide/img/x.tsx": "",
	})
	cases := []struct {
		globs []string
		want  []string
	}{
		{[]string{"*.go"}, []string{"internal/a/b.go", "main.go", "main_test.go", "vendor/x/lib.go"}},
		{[]string{"*.go", "!vendor"}, []string{"internal/a/b.go", "main.go", "main_test.go"}},
		{[]string{"*.go", "!*_test.go", "!vendor/"}, []string{"internal/a/b.go", "main.go"}},
		{[]string{"web/**/*.ts", "!**/testdata/**"}, []string{"web/src/app.ts"}},
		{[]string{"*.{md,tsx}"}, []string{"README.md", "docs/guide/img/x.tsx", "docs/guide/index.md"}},
		{[]string{"!docs", "!*.go", "!vendor"}, []string{"README.md", "internal/a/b.ts", "web/src/app.ts", "web/testdata/fix.ts"}},
		{[]string{"internal/?/b.[gt][os]"}, []string{"internal/a/b.go", "internal/a/b.ts"}},
	}
	for _, c := range cases {
		if got := walked(t, dir, WalkOptions{Globs: c.globs}); !slices.Equal(got, c.want) {
			t.Errorf("%q: %v, want %v", c.globs, got, c.want)
		}
	}
	if _, err := Walk(context.Background(), []string{dir}, WalkOptions{Globs: []string{"{a,b"}}); err == nil {
		t.Error("an unclosed { was accepted")
	}
}

func TestWalkReportsMissingAndStops(t *testing.T) {
	dir := tree(t, map[string]string{"a": "", "b": "", "c": "", "d/e": ""})
	seq, _ := Walk(context.Background(), []string{filepath.Join(dir, "missing"), dir}, WalkOptions{})
	n := 0
	for e := range seq {
		if n == 0 && (e.Err == nil || !os.IsNotExist(e.Err)) {
			t.Errorf("first entry %+v, want the missing path's error", e)
		}
		n++
		if n == 2 {
			break // the walker must stop and not leak (goleak in TestMain)
		}
	}
}
