//go:build !unix

package replace

import (
	"io/fs"
	"os"
)

func statOf(fi fs.FileInfo) fileStat {
	return fileStat{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime(), uid: -1, gid: -1}
}

func writable(path string, mode fs.FileMode) error {
	if mode.Perm()&0o222 == 0 {
		return errNoWriteBit
	}
	return nil
}

// access checks reading by opening; other modes are not checked here.
func access(path string, mode uint32) error {
	if mode&accessRead == 0 {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return f.Close()
}
