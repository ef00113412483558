package replace

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Issue 26.13: a 0444 file was rewritten when run as root (access(2) lets
// root write anything) while the docs said read-only files are left
// alone. The mode decides, for every user; sed -i rewrites it, for every
// user, since rename needs only the directory. As root this fails on the
// old access-only check; unprivileged, it holds either way.
func TestFileReadOnlyModeForEveryUser(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.txt")
	write(t, path, "old", 0o444)
	res := lit(t, "old", "new").File(path, Options{})
	if !errors.Is(res.Err, ErrReadOnly) || res.Changed || res.Replacements != 0 {
		t.Errorf("%+v: want ErrReadOnly, nothing counted", res)
	}
	if got := read(t, path); got != "old" {
		t.Errorf("a read-only file was rewritten: %q", got)
	}
	if err := Check(path, Options{}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Check: %v, want ErrReadOnly", err)
	}
	if err := Check(path, Options{DryRun: true}); err != nil {
		t.Errorf("Check with DryRun: %v", err)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "f"), "x", 0o644)
	os.Symlink("nowhere", filepath.Join(dir, "dangling"))
	os.Symlink("f", filepath.Join(dir, "link"))
	for _, c := range []struct {
		path string
		o    Options
		want error
	}{
		{"f", Options{}, nil},
		{".", Options{}, nil},
		{"missing", Options{}, fs.ErrNotExist},
		{"dangling", Options{}, nil}, // skipped by File, not followed
		{"dangling", Options{Follow: true}, fs.ErrNotExist},
		{"link", Options{Follow: true}, nil},
	} {
		err := Check(filepath.Join(dir, c.path), c.o)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("Check(%s, %+v) = %v, want %v", c.path, c.o, err, c.want)
		}
	}
}
