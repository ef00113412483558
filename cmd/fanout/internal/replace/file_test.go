package replace

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func write(t *testing.T, path, content string, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// noTempFiles fails if dir holds anything but the names given.
func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want %v (a temporary file left behind?)", dir, got, names)
	}
}

func lit(t *testing.T, old, new string) *Replacer {
	t.Helper()
	r, err := Literal(old, new)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Bytes outside the matches stay exactly as they were: CRLF, a UTF-8 BOM,
// no final newline, trailing spaces, mixed line endings.
func TestFileKeepsEveryOtherByte(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][2]string{
		"crlf.txt":  {"one old\r\ntwo old\r\n", "one new\r\ntwo new\r\n"},
		"bom.txt":   {"\xEF\xBB\xBFold\n", "\xEF\xBB\xBFnew\n"},
		"nofinal":   {"x old", "x new"},
		"mixed.txt": {"old\r\nold\nold\r  \t\n", "new\r\nnew\nnew\r  \t\n"},
	}
	for name, c := range cases {
		write(t, filepath.Join(dir, name), c[0], 0o644)
		res := lit(t, "old", "new").File(filepath.Join(dir, name), Options{})
		if res.Err != nil || !res.Changed {
			t.Fatalf("%s: %+v", name, res)
		}
		if got := read(t, filepath.Join(dir, name)); got != c[1] {
			t.Errorf("%s: %q, want %q", name, got, c[1])
		}
	}
}

// A regex ^ matches after a UTF-8 BOM, which is kept.
func TestFileRegexAfterBOM(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	write(t, path, "\xEF\xBB\xBFkey=1\r\n", 0o644)
	r, _ := Regex(`^(\w+)=`, "${1}: ", Lines)
	if res := r.File(path, Options{}); res.Replacements != 1 {
		t.Fatalf("%+v", res)
	}
	if got := read(t, path); got != "\xEF\xBB\xBFkey: 1\r\n" {
		t.Errorf("%q", got)
	}
}

// sd #14: sd's atomic rewrite reset the file's mode (0777 became 0644).
// The mode is kept, setuid, setgid and sticky bits included, for every
// user: Linux clears setuid and setgid when a process without
// CAP_FSETID writes a file, so the mode must be set after the write; as
// root the bits survive either way, which hid the bug. Run as root (as CI
// is), the test runs the cases as root, then reruns itself as nobody.
func TestFileKeepsMode(t *testing.T) {
	if os.Geteuid() == 0 {
		asNobody(t, "TestFileKeepsMode")
	}
	dir := t.TempDir()
	for _, mode := range []fs.FileMode{
		0o755, 0o600, 0o640, 0o777, 0o755 | fs.ModeSetuid, 0o750 | fs.ModeSetgid, 0o644 | fs.ModeSticky,
		0o755 | fs.ModeSetuid | fs.ModeSetgid,
	} {
		path := filepath.Join(dir, "f")
		write(t, path, "old", mode.Perm())
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(path); fi.Mode() != mode {
			t.Fatalf("setting up: mode %v became %v", mode, fi.Mode())
		}
		if res := lit(t, "old", "new").File(path, Options{}); !res.Changed || res.Err != nil {
			t.Fatalf("%+v", res)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("uid %d: mode %v became %v", os.Geteuid(), mode, fi.Mode())
		}
	}
}

// asNobody reruns the test named test, in a copy of this test binary, as
// the user nobody (setpriv from util-linux: new uid and gid, no
// supplementary groups, so no capability is left), in a temporary
// directory nobody owns. It fails the test if that run fails, skips or
// cannot start: as root, this is the only way the unprivileged case runs.
func asNobody(t *testing.T, test string) {
	t.Helper()
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Fatalf("running as root, the unprivileged case needs setpriv (util-linux): %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A directory nobody can reach and write: the copy of the binary, and
	// TMPDIR for the run's own temporary files.
	base := t.TempDir()
	for p := base; p != filepath.Dir(p) && p != os.TempDir(); p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(base, "replace.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(base, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(tmp, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--",
		bin, "-test.run=^"+test+"$", "-test.count=1", "-test.v")
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	t.Logf("as nobody:\n%s", out)
}

// As root, the owner and group are kept (chown of the temporary file
// before the rename).
func TestFileKeepsOwnerAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file another owner")
	}
	path := filepath.Join(t.TempDir(), "f")
	write(t, path, "old", 0o644)
	if err := os.Chown(path, 65534, 65533); err != nil {
		t.Fatal(err)
	}
	if res := lit(t, "old", "new").File(path, Options{}); !res.Changed || res.Err != nil {
		t.Fatalf("%+v", res)
	}
	fi, _ := os.Stat(path)
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != 65534 || st.Gid != 65533 {
		t.Errorf("owner %d:%d, want 65534:65533", st.Uid, st.Gid)
	}
}

// sd #94: sd replaced a symlink with a regular file holding the target's
// new content. Here the link stays a link and its target is edited, when
// the link is named explicitly with Follow; found by walking, or named
// without Follow (issue 26.12: nothing outside the named paths), it is
// skipped.
func TestFileSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real", "target.txt")
	write(t, target, "old", 0o644)
	link := filepath.Join(dir, "link")
	if err := os.Symlink("real/target.txt", link); err != nil {
		t.Fatal(err)
	}
	if res := lit(t, "old", "new").File(link, Options{}); res.Skip != SkipSymlink || read(t, target) != "old" {
		t.Fatalf("walked symlink: %+v", res)
	}
	if res := lit(t, "old", "new").File(link, Options{Explicit: true}); res.Skip != SkipSymlink || read(t, target) != "old" {
		t.Fatalf("named symlink without Follow: %+v", res)
	}
	res := lit(t, "old", "new").File(link, Options{Explicit: true, Follow: true})
	if !res.Changed || res.Err != nil || res.Target != target {
		t.Fatalf("%+v", res)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link is no longer a symlink: %v, %v", fi.Mode(), err)
	}
	if dest, _ := os.Readlink(link); dest != "real/target.txt" {
		t.Errorf("link now points to %q", dest)
	}
	if got := read(t, target); got != "new" {
		t.Errorf("target holds %q", got)
	}
	onlyFiles(t, filepath.Join(dir, "real"), "target.txt")
}

// sd #165: sd touched every file it was given, changed or not. A file
// without a match (or whose replacement is identical) is not rewritten:
// same inode, same mtime.
func TestFileUnchangedIsNotRewritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	write(t, path, "same old", 0o644)
	past := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(path, past, past); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(path)
	for _, r := range []*Replacer{lit(t, "absent", "x"), lit(t, "old", "old")} {
		res := r.File(path, Options{})
		if res.Changed || res.Err != nil {
			t.Fatalf("%+v", res)
		}
	}
	after, _ := os.Stat(path)
	if !after.ModTime().Equal(past) || !os.SameFile(before, after) {
		t.Errorf("rewritten: mtime %v, same inode %v", after.ModTime(), os.SameFile(before, after))
	}
}

// Binary, UTF-16 and invalid UTF-8 files are skipped with a reason and
// left byte for byte as they were. (sd #312: sd reads patterns and files as
// Unicode text, so the bytes 0x80-0xFF of a binary file cannot even be
// matched as themselves; rather than half-edit such files, they are
// reported.)
func TestFileSkipsWhatIsNotUTF8Text(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"bin":     "old\x00old",
		"utf16":   "\xFF\xFEo\x00l\x00d\x00",
		"latin1":  "old caf\xe9",
		"toolong": strings.Repeat("old ", 100),
	}
	want := map[string]string{"bin": SkipBinary, "utf16": SkipUTF16, "latin1": SkipInvalid, "toolong": SkipTooLarge}
	for name, content := range cases {
		path := filepath.Join(dir, name)
		write(t, path, content, 0o644)
		res := lit(t, "old", "new").File(path, Options{MaxSize: 200})
		if res.Skip != want[name] || res.Changed || res.Err != nil {
			t.Errorf("%s: %+v, want skipped as %q", name, res, want[name])
		}
		if read(t, path) != content {
			t.Errorf("%s was modified", name)
		}
	}
}

func TestFileSkipsFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skip(err)
	}
	// Opening it would block forever: it must be skipped before.
	if res := lit(t, "a", "b").File(path, Options{Explicit: true}); res.Skip != SkipNotRegular {
		t.Errorf("%+v", res)
	}
}

func TestFileDryRunWritesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	write(t, path, "a\nold\nb\n", 0o644)
	res := lit(t, "old", "new").File(path, Options{DryRun: true})
	if !res.Changed || res.Replacements != 1 {
		t.Fatalf("%+v", res)
	}
	if !strings.Contains(res.Diff, "-old\n+new\n") || !strings.HasPrefix(res.Diff, "--- "+path) {
		t.Errorf("diff %q", res.Diff)
	}
	if read(t, path) != "a\nold\nb\n" {
		t.Error("dry run wrote the file")
	}
	onlyFiles(t, dir, "f")
}

// A file that cannot be rewritten is reported and left as it was, with no
// temporary file behind.
func TestFileNotWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may write anything; the command test runs this as nobody")
	}
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro.txt")
	write(t, ro, "old", 0o444)
	res := lit(t, "old", "new").File(ro, Options{})
	if !errors.Is(res.Err, ErrReadOnly) || read(t, ro) != "old" {
		t.Errorf("read-only file: %+v", res)
	}
	sub := filepath.Join(dir, "rodir")
	write(t, filepath.Join(sub, "f"), "old", 0o644)
	if err := os.Chmod(sub, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(sub, 0o755) })
	res = lit(t, "old", "new").File(filepath.Join(sub, "f"), Options{})
	if res.Err == nil || !errors.Is(res.Err, fs.ErrPermission) || read(t, filepath.Join(sub, "f")) != "old" {
		t.Errorf("file in a read-only directory: %+v", res)
	}
	onlyFiles(t, sub, "f")
}

// Someone else writes the file between our read and our rename (an
// editor saving, in place or by renaming a new file over it): their
// change is kept and ours reported. The fstat taken when reading is the
// reference: size, mtime and inode.
func TestFileChangedMeanwhileIsLeftAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	past := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	for name, edit := range map[string]func(){
		"written in place": func() { write(t, path, "their old text", 0o644) },
		"renamed over, same size and mtime": func() {
			write(t, path+".new", "old", 0o644)
			os.Chtimes(path+".new", past, past)
			if err := os.Rename(path+".new", path); err != nil {
				t.Fatal(err)
			}
		},
	} {
		write(t, path, "old", 0o644)
		os.Chtimes(path, past, past)
		buf, st, skip, err := readFile(path, 0, 0)
		if err != nil || skip != "" || string(*buf) != "old" {
			t.Fatalf("%s: read %q, %q, %v", name, *buf, skip, err)
		}
		putBuf(buf)
		edit()
		theirs := read(t, path)
		if err := writeAtomic(path, st, nil, []byte("new"), false); !errors.Is(err, ErrModified) {
			t.Errorf("%s: %v, want ErrModified", name, err)
		}
		if got := read(t, path); got != theirs {
			t.Errorf("%s: their %q became %q", name, theirs, got)
		}
		onlyFiles(t, dir, "f")
	}
}

// A symlink met while walking is not opened (O_NOFOLLOW: one failed open,
// no lstat); an empty file and a FIFO found by walking are handled
// without blocking.
func TestFileWalkedOddFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "empty"), "", 0o644)
	if res := lit(t, "a", "b").File(filepath.Join(dir, "empty"), Options{}); res.Err != nil || res.Skip != "" || res.Changed {
		t.Errorf("empty: %+v", res)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := lit(t, "a", "b").File(filepath.Join(dir, "fifo"), Options{}); res.Skip != SkipNotRegular {
		t.Errorf("fifo: %+v", res)
	}
	if err := os.Symlink("empty", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if res := lit(t, "a", "b").File(filepath.Join(dir, "link"), Options{}); res.Skip != SkipSymlink {
		t.Errorf("link: %+v", res)
	}
}

func TestFileMissing(t *testing.T) {
	res := lit(t, "a", "b").File(filepath.Join(t.TempDir(), "nope"), Options{Explicit: true})
	if !errors.Is(res.Err, fs.ErrNotExist) {
		t.Errorf("%+v", res)
	}
}

func TestIsTempName(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.txt"), "", 0o644)
	cases := map[string]bool{
		".a.txt1234567890123456789": true,
		".a.txt123":                 false, // too few digits to be renameio's
		".b.txt1234567890123456789": false, // no sibling b.txt
		"a.txt1234567890123456789":  false, // not hidden
		".bashrc":                   false,
	}
	for name, want := range cases {
		if got := IsTempName(filepath.Join(dir, name)); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}
