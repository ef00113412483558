//go:build unix

package replace

import (
	"io/fs"
	"syscall"
)

// statOf is fi's fileStat.
func statOf(fi fs.FileInfo) fileStat {
	st := fileStat{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime(), uid: -1, gid: -1}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.uid, st.gid = int(sys.Uid), int(sys.Gid)
		st.dev, st.ino = uint64(sys.Dev), uint64(sys.Ino)
	}
	return st
}

// writable reports whether we may write path (access(2) with W_OK), so a
// read-only file is reported rather than replaced behind its mode's back.
func writable(path string) error {
	if err := syscall.Access(path, 2); err != nil {
		return err // the errno alone: the caller's record names the path
	}
	return nil
}
