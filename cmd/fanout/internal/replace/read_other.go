//go:build !linux

package replace

import (
	"io"
	"io/fs"
	"os"
)

// readFile is the portable form of read_linux.go's: an lstat first, so a
// symlink, device or FIFO is never opened.
func readFile(path string, maxSize, wholeMax int64) (buf *[]byte, st fileStat, skip string, err error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, st, "", err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, st, SkipSymlink, nil
	case !fi.Mode().IsRegular():
		return nil, st, SkipNotRegular, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, st, "", err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, st, "", err
	}
	st = statOf(fi)
	if maxSize > 0 && st.size > maxSize {
		return nil, st, SkipTooLarge, nil
	}
	if wholeMax > 0 && st.size > wholeMax {
		return nil, st, "", nil // to be streamed
	}
	buf = getBuf(int(st.size))
	n, err := io.ReadFull(f, *buf)
	if err != nil && err != io.ErrUnexpectedEOF {
		putBuf(buf)
		return nil, st, "", err
	}
	*buf = (*buf)[:n]
	return buf, st, "", nil
}
