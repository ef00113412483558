package command

import (
	"context"
	"encoding/csv"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/replace"
)

// files writes a tree under a fresh directory and returns the directory.
func files(t *testing.T, tree map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range tree {
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

func contentOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReplaceTreeExitStatusAndSummary(t *testing.T) {
	t.Parallel()
	dir := files(t, map[string]string{
		"a.txt":       "old and old\r\n",
		"sub/b.md":    "no final newline: old",
		"sub/c.txt":   "nothing here\n",
		".gitignore":  "ignored/\n",
		"ignored/d":   "old\n",
		".hidden/e":   "old\n",
		"bin.dat":     "old\x00",
		"latin1.txt":  "old caf\xe9",
		"big.txt":     strings.Repeat("old ", 1000),
		"unicode.txt": "\xEF\xBB\xBFold café\n",
	})
	out, stderr, code := run(t, context.Background(), "", "replace", "--max-filesize", "1KB", "old", "new", dir)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s%s", code, out, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	slices.Sort(lines)
	want := []string{
		filepath.Join(dir, "a.txt") + ": 2 replacements",
		filepath.Join(dir, "big.txt") + ": skipped (larger than --max-filesize)",
		filepath.Join(dir, "bin.dat") + ": skipped (binary)",
		filepath.Join(dir, "latin1.txt") + ": skipped (invalid UTF-8)",
		filepath.Join(dir, "sub/b.md") + ": 1 replacement",
		filepath.Join(dir, "unicode.txt") + ": 1 replacement",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("output:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for name, content := range map[string]string{
		"a.txt": "new and new\r\n", "sub/b.md": "no final newline: new", "sub/c.txt": "nothing here\n",
		"ignored/d": "old\n", ".hidden/e": "old\n", "bin.dat": "old\x00", "latin1.txt": "old caf\xe9",
		"unicode.txt": "\xEF\xBB\xBFnew café\n",
	} {
		if got := contentOf(t, filepath.Join(dir, name)); got != content {
			t.Errorf("%s: %q, want %q", name, got, content)
		}
	}
	wantSummary := "7 files scanned: 3 changed (4 replacements), 3 skipped (1 binary, 1 invalid UTF-8, 1 larger than --max-filesize), 0 errors in "
	if !strings.HasPrefix(stderr, wantSummary) {
		t.Errorf("summary %q, want %q...", stderr, wantSummary)
	}
	// Again: nothing matches any more.
	_, _, code = run(t, context.Background(), "", "replace", "-q", "--max-filesize", "1KB", "old", "new", dir)
	if code != ExitNoMatch {
		t.Errorf("second run exit %d, want 1 (nothing matched)", code)
	}
}

func TestReplaceJSONAndCSV(t *testing.T) {
	t.Parallel()
	dir := files(t, map[string]string{"a": "x old", "b.bin": "\x00old", "u16": "\xFF\xFEo\x00"})
	out, _, code := run(t, context.Background(), "", "replace", "--json", "-q", "old", "new", dir)
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	got := map[string]replaceRecord{}
	for _, r := range jsonLines[replaceRecord](t, out) {
		got[filepath.Base(r.Path)] = r
	}
	if r := got["a"]; r.Result != "changed" || r.Replacements != 1 {
		t.Errorf("a: %+v", r)
	}
	if r := got["b.bin"]; r.Result != "skipped" || r.Reason != "binary" {
		t.Errorf("b.bin: %+v", r)
	}
	if r := got["u16"]; r.Result != "skipped" || r.Reason != replace.SkipUTF16 {
		t.Errorf("u16: %+v", r)
	}
	out, _, _ = run(t, context.Background(), "", "replace", "--csv", "--ordered", "-q", "new", "old", filepath.Join(dir, "a"))
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 2 || rows[0][0] != "path" || rows[1][2] != "changed" || rows[1][3] != "1" {
		t.Errorf("csv %q, %v", rows, err)
	}
}

func TestReplaceRegexAndDryRun(t *testing.T) {
	t.Parallel()
	dir := files(t, map[string]string{"f.go": "a := foo(1)\nb := foo(22)\n"})
	path := filepath.Join(dir, "f.go")
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(path, past, past)
	out, stderr, code := run(t, context.Background(), "", "replace", "--regex", "--dry-run", `foo\((?P<n>\d+)\)`, "bar(${n}, $1)", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"--- " + path, "-a := foo(1)", "+a := bar(1, 1)", "+b := bar(22, 22)", path + ": 2 replacements (dry run)"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "1 would change (2 replacements)") {
		t.Errorf("summary %q", stderr)
	}
	if fi, _ := os.Stat(path); contentOf(t, path) != "a := foo(1)\nb := foo(22)\n" || !fi.ModTime().Equal(past) {
		t.Error("--dry-run wrote the file")
	}
	if _, _, code := run(t, context.Background(), "", "replace", "-q", "-E", `foo\((\d+)\)`, "bar(${1}0)", dir); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if got := contentOf(t, path); got != "a := bar(10)\nb := bar(220)\n" {
		t.Errorf("%q", got)
	}
}

func TestReplaceUsageErrors(t *testing.T) {
	t.Parallel()
	dir := files(t, map[string]string{"a": "old"})
	for _, args := range [][]string{
		{"replace", "", "new", dir},
		{"replace", "only-old"},
		{"replace", "--regex", "(", "x", dir},
		{"replace", "-g", "{a,b", "old", "new", dir},
		{"replace", "--compare", "old", "new", dir},
		{"replace", "--max-filesize", "lots", "old", "new", dir},
		{"replace", "-i", "list.txt", "old", "new"},
	} {
		_, stderr, code := run(t, context.Background(), "", args...)
		if code != ExitUsage || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
	if contentOf(t, filepath.Join(dir, "a")) != "old" {
		t.Error("a usage error wrote a file")
	}
}

// A file in a directory we cannot write, and a read-only file, found by
// walking, are reported and left untouched, with no temporary file; the
// run goes on, and the summary counts only what was written (issue 21.4:
// it counted the replacements of the files it failed to write).
// As root (who may write anything) the binary runs as nobody.
func TestReplaceUnwritableIsReportedAndUntouched(t *testing.T) {
	t.Parallel()
	bin := buildFanout(t)
	dir := files(t, map[string]string{"rodir/f": "old", "ro.txt": "old", "ok/g": "old"})
	os.Chmod(filepath.Join(dir, "ro.txt"), 0o444)
	os.Chmod(filepath.Join(dir, "rodir"), 0o555)
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "rodir"), 0o755) })
	cmd := exec.Command(bin, "replace", "old", "new", dir)
	if os.Geteuid() == 0 {
		// nobody needs to reach a copy of the binary and the tree (all
		// under this test's temporary directory), and to own the files it
		// may edit.
		binDir := t.TempDir()
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(binDir, "fanout"), data, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command(filepath.Join(binDir, "fanout"), "replace", "old", "new", dir)
		for _, p := range []string{filepath.Dir(dir), binDir, dir} {
			os.Chmod(p, 0o755)
		}
		os.Chown(filepath.Join(dir, "ok"), 65534, 65534)
		os.Chown(filepath.Join(dir, "ok", "g"), 65534, 65534)
		os.Chown(filepath.Join(dir, "ro.txt"), 65534, 65534)
		os.Chown(filepath.Join(dir, "rodir", "f"), 65534, 65534) // writable; its directory is not
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	// runCmd: the copied binary can be "text file busy" for a moment.
	out, stderr, code := runCmd(t, cmd)
	if code != ExitReplaceError {
		t.Fatalf("exit status %d, want 2\n%s%s", code, out, stderr)
	}
	for _, want := range []string{
		filepath.Join(dir, "rodir", "f") + ": error: creating temporary file: open " + filepath.Join(dir, "rodir", ".f"),
		filepath.Join(dir, "ro.txt") + ": error: file is not writable: its mode has no write bit",
		filepath.Join(dir, "ok", "g") + ": 1 replacement",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if contentOf(t, filepath.Join(dir, "rodir", "f")) != "old" || contentOf(t, filepath.Join(dir, "ro.txt")) != "old" {
		t.Error("an unwritable file was changed")
	}
	if contentOf(t, filepath.Join(dir, "ok", "g")) != "new" {
		t.Error("the writable file was not edited: the run did not go on")
	}
	if want := "3 files scanned: 1 changed (1 replacement), 0 skipped, 2 errors in "; !strings.HasPrefix(stderr, want) {
		t.Errorf("summary %q, want %q...", stderr, want)
	}
	if names, _ := os.ReadDir(filepath.Join(dir, "rodir")); len(names) != 1 {
		t.Errorf("rodir holds %v", names)
	}
}

// Issue 26.12: `replace foo bar dir/*` edited the target of a symlink in
// dir, outside the paths given. A symlink named on the command line, to a
// file or a directory, is now skipped and reported, as one met in a walk
// is; --follow edits its target and the link stays a link (sd #94: sd
// turned the link into a regular file). Compared with GNU sed on copies
// of the tree: sed -i leaves the target as fanout does without --follow,
// but turns the link into a regular file; sed -i --follow-symlinks edits
// the target byte for byte as fanout --follow does.
func TestReplaceSymlinks(t *testing.T) {
	t.Parallel()
	tree := func() string {
		dir := files(t, map[string]string{"out/t.txt": "old 1\nold 2\n", "tree/u.txt": "old\n"})
		os.Symlink(filepath.Join(dir, "out", "t.txt"), filepath.Join(dir, "tree", "link.txt"))
		os.Symlink(filepath.Join(dir, "out"), filepath.Join(dir, "tree", "dirlink"))
		os.Symlink(filepath.Join(dir, "out", "t.txt"), filepath.Join(dir, "tree", "sub-inner"))
		return dir
	}
	isLink := func(path string) bool {
		fi, err := os.Lstat(path)
		return err == nil && fi.Mode()&fs.ModeSymlink != 0
	}
	// What the shell makes of tree/*: every entry, links included.
	dir := tree()
	named, _ := filepath.Glob(filepath.Join(dir, "tree", "*"))
	out, _, code := run(t, context.Background(), "", append([]string{"replace", "old", "new"}, named...)...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if got := contentOf(t, filepath.Join(dir, "out", "t.txt")); got != "old 1\nold 2\n" {
		t.Errorf("the file outside the named paths was edited: %q", got)
	}
	for _, name := range []string{"link.txt", "dirlink", "sub-inner"} {
		if !strings.Contains(out, filepath.Join(dir, "tree", name)+": skipped (symlink, not followed)") {
			t.Errorf("%s not reported as skipped:\n%s", name, out)
		}
		if !isLink(filepath.Join(dir, "tree", name)) {
			t.Errorf("%s is no longer a symlink", name)
		}
	}
	if contentOf(t, filepath.Join(dir, "tree", "u.txt")) != "new\n" {
		t.Error("the regular file named was not edited")
	}

	// --follow: the target is edited, the link stays.
	followed := tree()
	link := filepath.Join(followed, "tree", "link.txt")
	if _, _, code := run(t, context.Background(), "", "replace", "-q", "--follow", "old", "new", link); code != ExitOK {
		t.Fatalf("--follow: exit %d", code)
	}
	if !isLink(link) || contentOf(t, filepath.Join(followed, "out", "t.txt")) != "new 1\nnew 2\n" {
		t.Errorf("--follow: link kept %v, target %q", isLink(link), contentOf(t, filepath.Join(followed, "out", "t.txt")))
	}

	sed := proctest.Needs(t, "sed")["sed"]
	bySed := tree()
	if out, err := exec.Command(sed, "-i", "s/old/new/g", filepath.Join(bySed, "tree", "link.txt")).CombinedOutput(); err != nil {
		t.Fatalf("sed -i: %v: %s", err, out)
	}
	if got := contentOf(t, filepath.Join(bySed, "out", "t.txt")); got != contentOf(t, filepath.Join(dir, "out", "t.txt")) {
		t.Errorf("sed -i left the target as %q, fanout as %q", got, contentOf(t, filepath.Join(dir, "out", "t.txt")))
	}
	if isLink(filepath.Join(bySed, "tree", "link.txt")) {
		t.Error("sed -i kept the link: README's 'where fanout differs' is wrong")
	}
	bySed = tree()
	if out, err := exec.Command(sed, "-i", "--follow-symlinks", "s/old/new/g", filepath.Join(bySed, "tree", "link.txt")).CombinedOutput(); err != nil {
		t.Fatalf("sed -i --follow-symlinks: %v: %s", err, out)
	}
	if got, want := contentOf(t, filepath.Join(bySed, "out", "t.txt")), contentOf(t, filepath.Join(followed, "out", "t.txt")); got != want || !isLink(filepath.Join(bySed, "tree", "link.txt")) {
		t.Errorf("sed -i --follow-symlinks made the target %q, fanout --follow %q", got, want)
	}
}

// No PATH means the current directory; a hidden temporary file left by a
// killed run is not edited even with --hidden, and is reported.
func TestReplaceCurrentDirAndStaleTempFiles(t *testing.T) {
	t.Parallel()
	bin := buildFanout(t)
	dir := files(t, map[string]string{"a.txt": "old", ".a.txt5577006791947779410": "old (partial)", ".env": "old"})
	cmd := exec.Command(bin, "replace", "--hidden", "old", "new")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), ".a.txt5577006791947779410: skipped ("+replace.SkipTempFile+")") {
		t.Errorf("output %q", out)
	}
	if contentOf(t, filepath.Join(dir, ".a.txt5577006791947779410")) != "old (partial)" ||
		contentOf(t, filepath.Join(dir, "a.txt")) != "new" || contentOf(t, filepath.Join(dir, ".env")) != "new" {
		t.Error("wrong files edited")
	}
}

// The same file reached twice (its directory and itself) is edited once:
// with NEW containing OLD a second edit would be visible.
func TestReplaceSameFileOnce(t *testing.T) {
	t.Parallel()
	dir := files(t, map[string]string{"a": "x"})
	_, _, code := run(t, context.Background(), "", "replace", "-q", "x", "xx", dir, filepath.Join(dir, "a"), filepath.Join(dir, ".", "a"))
	if code != ExitOK || contentOf(t, filepath.Join(dir, "a")) != "xx" {
		t.Errorf("exit %d, content %q", code, contentOf(t, filepath.Join(dir, "a")))
	}
}

// The tutorial's program truncates each file before writing it: killed
// at the wrong instant, a file is left empty or half written. Here the real
// binary rewrites many files and is SIGKILLed at random instants; after
// each kill every file holds exactly its old or its new content, and what
// else is left is only hidden temporary files (".NAME" + digits), which the
// next run does not take for user files. The next run then finishes the
// job.
func TestReplaceSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("rewrites many files")
	}
	t.Parallel()
	bin := buildFanout(t)
	nfiles, ndirs, rounds := 400, 8, 4
	if longTests() {
		nfiles, ndirs, rounds = 1200, 12, 6
	}
	oldContent := func(i int) string {
		return fmt.Sprintf("file %d\r\n", i) + strings.Repeat(fmt.Sprintf("line OLDNAME %d of some text\n", i), 400)
	}
	newContent := func(i int) string { return strings.ReplaceAll(oldContent(i), "OLDNAME", "NEW") }
	root := t.TempDir()
	makeTree := func() string {
		dir, err := os.MkdirTemp(root, "tree")
		if err != nil {
			t.Fatal(err)
		}
		for i := range nfiles {
			sub := filepath.Join(dir, fmt.Sprintf("d%02d", i%ndirs))
			os.MkdirAll(sub, 0o755)
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%04d.txt", i)), []byte(oldContent(i)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	// check returns how many files hold new content and how many
	// temporary files are left, failing on anything else.
	check := func(dir string) (changed, temps int) {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			if d.IsDir() {
				return nil
			}
			var i int
			if _, err := fmt.Sscanf(d.Name(), "f%04d.txt", &i); err != nil || d.Name() != fmt.Sprintf("f%04d.txt", i) {
				if !strings.HasPrefix(d.Name(), ".") || !replace.IsTempName(path) {
					t.Errorf("unexpected file %s", path)
				}
				temps++
				return nil
			}
			switch contentOf(t, path) {
			case oldContent(i):
			case newContent(i):
				changed++
			default:
				t.Errorf("%s holds neither its old nor its new content", path)
			}
			return nil
		})
		return changed, temps
	}
	// One run to the end, timed, to know when to kill the others.
	dir := makeTree()
	start := time.Now()
	if out, err := exec.Command(bin, "replace", "-q", "OLDNAME", "NEW", dir).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	full := time.Since(start)
	if changed, temps := check(dir); changed != nfiles || temps != 0 {
		t.Fatalf("full run: %d changed, %d temporary files", changed, temps)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("full run %v; seed %d", full, seed)
	for round := range rounds {
		dir := makeTree()
		args := []string{"replace", "-q", "OLDNAME", "NEW", dir}
		if round%2 == 1 {
			args = append(args, "--no-fsync") // a killed process loses nothing either way
		}
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		after := time.Duration(rng.Int64N(int64(full)))
		time.Sleep(after)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		changed, temps := check(dir)
		t.Logf("round %d: killed after %v: %d of %d files changed, %d temporary files left", round, after, changed, nfiles, temps)
		// The next run completes the job and leaves the old temporary
		// files alone (hidden: not walked).
		if out, err := exec.Command(bin, "replace", "-q", "OLDNAME", "NEW", dir).CombinedOutput(); err != nil && changed != nfiles {
			t.Fatalf("rerun: %v: %s", err, out)
		}
		if changed2, temps2 := check(dir); changed2 != nfiles || temps2 != temps {
			t.Fatalf("after the rerun: %d of %d changed, %d temporary files (was %d)", changed2, nfiles, temps2, temps)
		}
	}
}

// --compare (with --dry-run: a real run twice would replace twice) runs
// the same files twice; the second run must see them all, not take them
// for duplicates of the first. Globs apply to walked files only.
func TestReplaceCompareDryRunAndGlobs(t *testing.T) {
	t.Parallel()
	dir := files(t, map[string]string{"a.go": "old", "b.txt": "old", "vendor/c.go": "old", "d.txt": "old"})
	out, stderr, code := run(t, context.Background(), "", "replace", "--compare", "--dry-run", "--ordered",
		"-g", "*.go", "-g", "!vendor", "old", "new", dir, filepath.Join(dir, "d.txt"))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "1 worker: ") || !strings.Contains(stderr, "2 files scanned: 2 would change (2 replacements)") {
		t.Errorf("stderr %q", stderr)
	}
	for _, want := range []string{filepath.Join(dir, "a.go") + ": 1 replacement (dry run)", filepath.Join(dir, "d.txt") + ": 1 replacement (dry run)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "b.txt") || strings.Contains(out, "vendor") {
		t.Errorf("globs not applied:\n%s", out)
	}
	for _, name := range []string{"a.go", "b.txt", "vendor/c.go", "d.txt"} {
		if contentOf(t, filepath.Join(dir, name)) != "old" {
			t.Errorf("%s written by a dry run", name)
		}
	}
}
