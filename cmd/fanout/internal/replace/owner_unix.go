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

// writable reports whether we may write path, of the given mode: it has
// a write bit, and access(2) grants W_OK. So a read-only file is
// reported rather than replaced behind its mode's back, by root too.
func writable(path string, mode fs.FileMode) error {
	if mode.Perm()&0o222 == 0 {
		return errNoWriteBit
	}
	return access(path, accessWrite)
}

// access is access(2); the errno alone: the caller's record names the path.
func access(path string, mode uint32) error {
	if err := syscall.Access(path, mode); err != nil {
		return err
	}
	return nil
}
