package links

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrNoIndex is the error of a link to a directory that holds none of the
// index files asked for.
var ErrNoIndex = errors.New("directory has no index file")

// Exists checks the target of a File link on disk. A file exists if it is
// there. A directory, by default, exists if it is there (lychee's default:
// a link to docs/ is fine), and then doc is "", as a directory has no
// anchors; with index names (lychee's --index-files, e.g. "index.html",
// "README.md"), it must hold one of them as a regular file, and doc is that
// file, whose anchors a #fragment names. The error of a missing target
// matches fs.ErrNotExist.
func Exists(target string, index []string) (doc string, err error) {
	fi, err := os.Stat(target)
	if errors.Is(err, syscall.ENOTDIR) {
		// a.md/x: a file stands where a directory should.
		err = &fs.PathError{Op: "stat", Path: target, Err: fs.ErrNotExist}
	}
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return target, nil
	}
	if len(index) == 0 {
		return "", nil
	}
	for _, name := range index {
		p := filepath.Join(target, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w (looked for %v)", target, ErrNoIndex, index)
}
