//go:build !unix

package replace

import (
	"io/fs"
	"os"
)

func statOf(fi fs.FileInfo) fileStat {
	return fileStat{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime(), uid: -1, gid: -1}
}

func writable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o200 == 0 {
		return &fs.PathError{Op: "access", Path: path, Err: fs.ErrPermission}
	}
	return nil
}
