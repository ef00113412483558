package walk

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// tree makes files under a fresh directory and returns it.
func tree(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		name, content, _ := strings.Cut(f, "=")
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// walked returns the walk's paths relative to dir, sorted, failing on
// errors.
func walked(t *testing.T, dir string, o Options, roots ...string) []string {
	t.Helper()
	if len(roots) == 0 {
		roots = []string{dir}
	}
	seq, err := Files(context.Background(), roots, o)
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

// rgFiles is `rg --files` on dir with the same options, when ripgrep is
// installed: the walk's rules are ripgrep's, so where rg runs the two
// lists must be equal. (The expected lists in the tests are checked
// either way.)
func rgFiles(t *testing.T, dir string, o Options) ([]string, bool) {
	t.Helper()
	rg, err := exec.LookPath("rg")
	if err != nil {
		return nil, false
	}
	args := []string{"--files", "--no-config", "--no-require-git"}
	if o.Hidden {
		args = append(args, "--hidden")
	}
	if o.NoIgnore {
		args = append(args, "--no-ignore")
	}
	for _, g := range o.Globs {
		args = append(args, "-g", g)
	}
	cmd := exec.Command(rg, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) { // 1: no file
		t.Fatalf("rg %q: %v", args, err)
	}
	var got []string
	for _, f := range strings.Fields(string(out)) {
		// One difference on purpose: rg --hidden outside a git repository
		// lists .git/; the walk never enters it (fastmod #37).
		if !strings.HasPrefix(f, ".git/") {
			got = append(got, f)
		}
	}
	slices.Sort(got)
	return got, true
}

func check(t *testing.T, dir string, o Options, want []string) {
	t.Helper()
	if got := walked(t, dir, o); !slices.Equal(got, want) {
		t.Errorf("%+v: %q, want %q", o, got, want)
	}
	if rg, ok := rgFiles(t, dir, o); ok && !slices.Equal(rg, want) {
		t.Errorf("%+v: rg --files lists %q, the test wants %q", o, rg, want)
	}
}

func TestIgnoresAndHidden(t *testing.T) {
	dir := tree(t,
		".gitignore=*.log\nbuild/\n", "sub/.ignore=secret.txt\n", "a.txt", "app.log", "build/out.txt",
		"sub/b.txt", "sub/secret.txt", ".env", ".hidden/c.txt", ".git/config", ".git/objects/x.txt")
	check(t, dir, Options{}, []string{"a.txt", "sub/b.txt"})
	// fastmod #25: no way to include hidden files; here --hidden. fastmod
	// #37: with --hidden, fastmod then edited files inside .git/. Never.
	check(t, dir, Options{Hidden: true}, []string{".env", ".gitignore", ".hidden/c.txt", "a.txt", "sub/.ignore", "sub/b.txt"})
	check(t, dir, Options{NoIgnore: true}, []string{"a.txt", "app.log", "build/out.txt", "sub/b.txt", "sub/secret.txt"})
}

// fastmod #30: fastmod never walked hidden files, and naming them on the
// command line was the workaround users relied on. Files named explicitly
// are always yielded: hidden, ignored, or not matching the globs (rg#725,
// rg#1202: ripgrep does the same, on purpose).
func TestExplicitFilesAlwaysCome(t *testing.T) {
	dir := tree(t, ".gitignore=*.log\n", ".env", "app.log")
	seq, _ := Files(context.Background(), []string{filepath.Join(dir, ".env"), filepath.Join(dir, "app.log")},
		Options{Globs: []string{"*.go", "!.env", "!*.log"}})
	var n int
	for e := range seq {
		if !e.Explicit || e.Err != nil || e.Type != 0 {
			t.Errorf("%+v", e)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
}

// The -g rules are ripgrep's, pinned here case by case and, where rg is
// installed, compared with `rg --files -g ...` on the same tree.
func TestGlobs(t *testing.T) {
	dir := tree(t,
		"main.go", "main_test.go", "README.md", "vendor/x/lib.go", "internal/a/b.go", "internal/a/b.ts",
		"web/src/app.ts", "web/testdata/fix.ts", "docs/guide/index.md", "docs/guide/img/x.tsx",
		"exclude/file1", "a/exclude/file2", "bar/lib.rs", "bar/wat/lib.rs", "wat/bar/lib.rs",
		"foo", "wat/foo", "baz", "baz2/a", "a.foo", "a.bar.foo", "a.baz", "dir.foo/x.c")
	cases := []struct {
		globs []string
		want  []string
	}{
		// A glob without '/' matches a name at any depth.
		{[]string{"*.go"}, []string{"internal/a/b.go", "main.go", "main_test.go", "vendor/x/lib.go"}},
		// '!' excludes; a directory excluded is not entered.
		{[]string{"*.go", "!vendor"}, []string{"internal/a/b.go", "main.go", "main_test.go"}},
		{[]string{"*.go", "!*_test.go", "!vendor/"}, []string{"internal/a/b.go", "main.go"}},
		// rg#689, rg#1478: the last glob that matches decides.
		{[]string{"!*_test.go", "*.go"}, []string{"internal/a/b.go", "main.go", "main_test.go", "vendor/x/lib.go"}},
		// ripgrep's overrides test "precedence".
		// A directory matched by an include glob is entered, but its files
		// must match one themselves: dir.foo/x.c is left out.
		{[]string{"*.foo", "!*.bar.foo"}, []string{"a.foo"}},
		{[]string{"web/**/*.ts", "!**/testdata/**"}, []string{"web/src/app.ts"}},
		{[]string{"*.{md,tsx}"}, []string{"README.md", "docs/guide/img/x.tsx", "docs/guide/index.md"}},
		{[]string{"internal/?/b.[gt][os]"}, []string{"internal/a/b.go", "internal/a/b.ts"}},
		// rg#830: a '/' in the middle anchors the glob at the walked
		// directory: only the top exclude/ is left out.
		{[]string{"!exclude/*", "!*.{go,ts,md,tsx,rs,foo,baz,c}", "!foo", "!baz*"}, []string{"a/exclude/file2"}},
		// ripgrep's overrides test "gitignore": /foo only at the top,
		// bar/*.rs anchored and one level, baz2/** what is inside baz2.
		{[]string{"/foo", "bar/*.rs", "baz2/**"}, []string{"bar/lib.rs", "baz2/a", "foo"}},
		// "baz/**" is what is inside baz, not a file named baz.
		{[]string{"baz/**"}, nil},
		// A trailing '/' matches directories only: the file "foo" stays.
		{[]string{"!foo/", "!wat", "!*.*", "!exclude", "!a", "!baz*", "!web", "!docs", "!internal", "!bar", "!vendor"}, []string{"foo"}},
		// Include globs never leave out a directory: "*.c" still finds
		// dir.foo/x.c (ripgrep's test "allow_directories").
		{[]string{"*.c"}, []string{"dir.foo/x.c"}},
		// An excluded directory is left out even if a later include
		// matches the files in it, as ripgrep prunes it.
		{[]string{"!web", "*.ts"}, []string{"internal/a/b.ts"}},
	}
	for _, c := range cases {
		check(t, dir, Options{Globs: c.globs, NoIgnore: true}, c.want)
	}
	for _, bad := range []string{"{a,b", "[ab", "!", "/"} {
		if _, err := Files(context.Background(), []string{dir}, Options{Globs: []string{bad}}); !errors.Is(err, ErrBadGlob) {
			t.Errorf("glob %q: %v, want ErrBadGlob", bad, err)
		}
	}
}

// The pruning shortcut ("!name" handed to the walker) must not drop a
// directory that a later glob takes back.
func TestGlobPruneRespectsLaterGlobs(t *testing.T) {
	for _, c := range []struct{ globs, want []string }{
		{[]string{"!vendor", "!node_modules", "vendor", "*.go", "!build", "!*.tmp"}, []string{"node_modules", "build"}},
		// src/** could take back src/node_modules: no shortcut.
		{[]string{"!node_modules", "src/**"}, nil},
		{[]string{"!node_modules", "!src/**"}, []string{"node_modules"}},
	} {
		g, err := parseGlobs(c.globs)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.prunable(); !slices.Equal(got, c.want) {
			t.Errorf("%q: prunable %q, want %q", c.globs, got, c.want)
		}
	}
}

// A symlink met while walking is yielded with its type, not followed
// (sd#94's users lost symlinks to editors that followed them); devices,
// FIFOs and sockets are left out, never opened.
func TestTypes(t *testing.T) {
	dir := tree(t, "real/t.txt", "tree/u.txt")
	if err := os.Symlink(filepath.Join(dir, "real", "t.txt"), filepath.Join(dir, "tree", "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "tree", "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	seq, _ := Files(context.Background(), []string{filepath.Join(dir, "tree")}, Options{})
	got := map[string]fs.FileMode{}
	for e := range seq {
		if e.Err != nil || e.Explicit {
			t.Fatalf("%+v", e)
		}
		got[filepath.Base(e.Path)] = e.Type
	}
	if len(got) != 2 || got["u.txt"] != 0 || got["link"] != fs.ModeSymlink {
		t.Errorf("%v, want u.txt regular and link a symlink, no fifo", got)
	}
}

func TestReportsMissingAndStops(t *testing.T) {
	dir := tree(t, "a", "b", "c", "d/e")
	seq, _ := Files(context.Background(), []string{filepath.Join(dir, "missing"), dir}, Options{})
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

func TestCancel(t *testing.T) {
	dir := tree(t, "a", "b", "c/d", "e/f")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	seq, _ := Files(ctx, []string{dir}, Options{})
	for e := range seq {
		t.Errorf("%+v after cancel", e)
	}
}

// Many directories at once, more than the cache of directory types holds:
// every file still comes once, with its type.
func TestManyDirectories(t *testing.T) {
	var files, want []string
	for i := range 300 {
		name := filepath.ToSlash(filepath.Join("d"+strings.Repeat("x", i%7), string(rune('a'+i%26))+strings.Repeat("y", i/26), "f.txt"))
		files = append(files, name)
		want = append(want, name)
	}
	slices.Sort(want)
	want = slices.Compact(want)
	dir := tree(t, files...)
	if got := walked(t, dir, Options{Globs: []string{"*.txt", "!zzz"}}); !slices.Equal(got, want) {
		t.Errorf("%d files, want %d", len(got), len(want))
	}
}
