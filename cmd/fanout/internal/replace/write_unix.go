//go:build unix

package replace

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// writeAtomic replaces the file at path (read as st) with head+body, in
// system calls only (no os.File: it would add four fcntl calls and an
// epoll registration per file, and os.Rename an lstat; 10% of the
// all-files benchmark with fsync):
//
//  1. a temporary file in the same directory, "." + name + 19 digits
//     (hidden; IsTempName knows it), created exclusively, mode 0600;
//  2. given the old file's owner and group when they differ (as root, any
//     owner; otherwise only a group we are in; failing is an error, not a
//     silent change of owner);
//  3. written;
//  4. given the old file's mode, setuid, setgid and sticky bits included:
//     after chown, which clears setuid and setgid, and after the writes,
//     since Linux clears them on a write by a process without
//     CAP_FSETID, that is for every user but root;
//  5. checked: the file at path is still the one read (inode, size,
//     mtime), or someone else wrote it meanwhile and theirs is kept;
//  6. synced unless told not to, and renamed over path.
//
// Until the rename the old file is untouched; a failure removes the
// temporary file.
func writeAtomic(path string, st fileStat, head, body []byte, sync bool) error {
	a, err := beginAtomic(path, st)
	if err != nil {
		return err
	}
	if err = a.write(head); err == nil {
		if err = a.write(body); err == nil {
			return a.commit(sync)
		}
	}
	a.abort()
	return err
}

// atomicFile is a rewrite under way: writeAtomic's steps 1 and 2 done by
// beginAtomic, 3 by write, 4 to 6 by commit; abort removes the temporary
// file.
type atomicFile struct {
	path, tmp string
	fd        int
	st        fileStat
}

func beginAtomic(path string, st fileStat) (*atomicFile, error) {
	if err := writable(path, st.mode); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	tmp, fd, err := createTemp(path)
	if err != nil {
		return nil, fmt.Errorf("creating temporary file: %w", err)
	}
	a := &atomicFile{path: path, tmp: tmp, fd: fd, st: st}
	if st.uid >= 0 {
		var got syscall.Stat_t
		if err := syscall.Fstat(fd, &got); err != nil {
			a.abort()
			return nil, fmt.Errorf("stat temporary file: %w", err)
		}
		if int(got.Uid) != st.uid || int(got.Gid) != st.gid {
			if err := syscall.Fchown(fd, st.uid, st.gid); err != nil {
				a.abort()
				return nil, fmt.Errorf("%w (owner %d:%d): %w", ErrOwner, st.uid, st.gid, err)
			}
		}
	}
	return a, nil
}

func (a *atomicFile) write(b []byte) error { return writeAll(a.fd, b) }

// commit gives the temporary file its mode, checks that the file is still
// the one read, syncs and renames. On error the temporary file is gone.
func (a *atomicFile) commit(sync bool) error {
	err := func() error {
		if err := syscall.Fchmod(a.fd, unixMode(a.st.mode)); err != nil {
			return fmt.Errorf("setting mode: %w", err)
		}
		if now, err := os.Lstat(a.path); err != nil || !statOf(now).same(a.st) {
			return fmt.Errorf("%w", ErrModified)
		}
		if sync {
			if err := syscall.Fsync(a.fd); err != nil {
				return fmt.Errorf("syncing: %w", err)
			}
		}
		return nil
	}()
	if err != nil {
		a.abort()
		return err
	}
	fd := a.fd
	a.fd = -1
	if err := syscall.Close(fd); err != nil {
		syscall.Unlink(a.tmp)
		return fmt.Errorf("writing: %w", err)
	}
	if err := syscall.Rename(a.tmp, a.path); err != nil {
		syscall.Unlink(a.tmp)
		return fmt.Errorf("replacing: %w", &os.LinkError{Op: "rename", Old: a.tmp, New: a.path, Err: err})
	}
	return nil
}

func (a *atomicFile) abort() {
	if a.fd >= 0 {
		syscall.Close(a.fd)
		a.fd = -1
	}
	syscall.Unlink(a.tmp)
}

// createTemp creates the temporary file for path: "." + name + 19 random
// digits, next to it.
func createTemp(path string) (string, int, error) {
	dir, base := filepath.Split(path)
	for attempt := 0; ; attempt++ {
		tmp := dir + tempName(base)
		fd, err := syscall.Open(tmp, syscall.O_RDWR|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o600)
		if err == nil {
			return tmp, fd, nil
		}
		if err != syscall.EEXIST && err != syscall.EINTR || attempt == 100 {
			return "", -1, &fs.PathError{Op: "open", Path: tmp, Err: err}
		}
	}
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("writing: %w", err)
		}
		b = b[n:]
	}
	return nil
}

// unixMode is the chmod(2) mode for m.
func unixMode(m fs.FileMode) uint32 {
	mode := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= syscall.S_ISUID
	}
	if m&fs.ModeSetgid != 0 {
		mode |= syscall.S_ISGID
	}
	if m&fs.ModeSticky != 0 {
		mode |= syscall.S_ISVTX
	}
	return mode
}
