package replace

import (
	"io/fs"
	"syscall"
	"time"
)

// readFile reads a regular file into a pooled buffer in four system calls:
// open (no symlink followed, no blocking on a FIFO or device, no access
// time update), fstat, read, close. os.Open would add fcntl calls and a failing epoll registration,
// os.ReadFile another fstat and a read to see EOF. The fstat is kept as
// the reference for "changed since read". A symlink or a file that is not
// regular is not read: skip says why. Nor is a file over wholeMax bytes
// (when not 0): buf is then nil, for the caller to stream it.
func readFile(path string, maxSize, wholeMax int64) (buf *[]byte, st fileStat, skip string, err error) {
	// O_NOATIME: reading a file to search it is not using it, so its
	// access time stays (as backup tools do); with relatime, most files
	// of a tree not read for a day would otherwise have an inode to
	// write back. Only the owner (or root) may ask: for other files,
	// EPERM, and the open is done again without it.
	flags := syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NOFOLLOW | syscall.O_NONBLOCK | syscall.O_NOCTTY
	noatime := syscall.O_NOATIME
	var fd int
	for {
		fd, err = syscall.Open(path, flags|noatime, 0)
		if err == syscall.EPERM && noatime != 0 {
			noatime = 0
			continue
		}
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.ELOOP {
		return nil, st, SkipSymlink, nil
	}
	if err != nil {
		return nil, st, "", &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var sys syscall.Stat_t
	if err := syscall.Fstat(fd, &sys); err != nil {
		return nil, st, "", &fs.PathError{Op: "fstat", Path: path, Err: err}
	}
	st = fileStat{
		mode: modeOf(sys.Mode), size: sys.Size, mtime: time.Unix(sys.Mtim.Unix()),
		uid: int(sys.Uid), gid: int(sys.Gid), dev: uint64(sys.Dev), ino: uint64(sys.Ino),
	}
	switch {
	case !st.mode.IsRegular():
		return nil, st, SkipNotRegular, nil
	case maxSize > 0 && st.size > maxSize:
		return nil, st, SkipTooLarge, nil
	case wholeMax > 0 && st.size > wholeMax:
		return nil, st, "", nil // to be streamed
	}
	// The size fstat gave, no more: a file that grows meanwhile changes
	// its size and mtime, so a rewrite would stop at the check before the
	// rename. A size of 0 may be a lie (procfs): read to the end then.
	buf = getBuf(int(st.size))
	n := 0
	for {
		if n == len(*buf) {
			if st.size > 0 {
				break
			}
			*buf = append(*buf, make([]byte, 4096)...)
		}
		k, err := syscall.Read(fd, (*buf)[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			putBuf(buf)
			return nil, st, "", &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if k == 0 {
			break
		}
		n += k
	}
	*buf = (*buf)[:n]
	return buf, st, "", nil
}

// modeOf converts a stat mode as package os does.
func modeOf(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & syscall.S_IFMT {
	case syscall.S_IFBLK:
		mode |= fs.ModeDevice
	case syscall.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		mode |= fs.ModeDir
	case syscall.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		mode |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&syscall.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&syscall.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&syscall.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
