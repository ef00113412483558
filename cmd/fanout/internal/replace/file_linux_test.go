package replace

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Searching a file is not using it: a file without a match keeps its
// access time (O_NOATIME), where a plain read updates it on this file
// system (relatime: the access time is older than the change time).
func TestFileKeepsAccessTime(t *testing.T) {
	dir := t.TempDir()
	atime, mtime := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2002, 1, 1, 0, 0, 0, 0, time.UTC)
	accessed := func(path string) time.Time {
		var st syscall.Stat_t
		if err := syscall.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		return time.Unix(st.Atim.Unix())
	}
	for _, name := range []string{"control", "searched"} {
		write(t, filepath.Join(dir, name), "no match here", 0o644)
		if err := os.Chtimes(filepath.Join(dir, name), atime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	read(t, filepath.Join(dir, "control"))
	if accessed(filepath.Join(dir, "control")).Equal(atime) {
		t.Fatal("a plain read did not update the access time: this test needs a file system mounted relatime or strictatime")
	}
	if res := lit(t, "old", "new").File(filepath.Join(dir, "searched"), Options{}); res.Err != nil || res.Changed {
		t.Fatalf("%+v", res)
	}
	if got := accessed(filepath.Join(dir, "searched")); !got.Equal(atime) {
		t.Errorf("access time %v after a search, want %v kept", got, atime)
	}
}

// A file of another user can be searched: O_NOATIME is the owner's
// right only, so the open is retried without it (EPERM). As root, the
// test reruns itself as nobody to be that other user.
func TestFileOfAnotherUser(t *testing.T) {
	if os.Geteuid() == 0 {
		asNobody(t, "TestFileOfAnotherUser")
	}
	// Owned by root, readable by everyone, on every Linux system.
	if res := lit(t, "no such text \x01", "x").File("/etc/passwd", Options{}); res.Err != nil || res.Skip != "" || res.Changed {
		t.Errorf("uid %d: %+v", os.Geteuid(), res)
	}
}
