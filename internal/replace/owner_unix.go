//go:build unix

package replace

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives f the owner and group of the file fi describes when they
// differ from f's (as root, any owner; otherwise only a group we are in).
// Failing is an error rather than a silent change of owner.
func keepOwner(f *os.File, fi fs.FileInfo) error {
	want, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	tfi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat temporary file: %w", err)
	}
	got, ok := tfi.Sys().(*syscall.Stat_t)
	if !ok || (got.Uid == want.Uid && got.Gid == want.Gid) {
		return nil
	}
	if err := f.Chown(int(want.Uid), int(want.Gid)); err != nil {
		return fmt.Errorf("%w (owner %d:%d): %w", ErrOwner, want.Uid, want.Gid, err)
	}
	return nil
}

// writable reports whether we may write path (access(2) with W_OK), so a
// read-only file is reported rather than replaced behind its mode's back.
func writable(path string) error {
	if err := syscall.Access(path, 2); err != nil {
		return err // the errno alone: the caller's record names the path
	}
	return nil
}
