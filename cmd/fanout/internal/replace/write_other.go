//go:build !unix

package replace

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// writeAtomic is write_unix.go's with package os: temporary file, write,
// mode, check, sync, rename (no owner to keep).
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

type atomicFile struct {
	path string
	f    *os.File
	st   fileStat
}

func beginAtomic(path string, st fileStat) (*atomicFile, error) {
	if err := writable(path, st.mode); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	dir, base := filepath.Split(path)
	var f *os.File
	var err error
	for attempt := 0; attempt < 100; attempt++ {
		if f, err = os.OpenFile(dir+tempName(base), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); !os.IsExist(err) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("creating temporary file: %w", err)
	}
	return &atomicFile{path: path, f: f, st: st}, nil
}

func (a *atomicFile) write(b []byte) error {
	if _, err := a.f.Write(b); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	return nil
}

func (a *atomicFile) commit(sync bool) error {
	err := func() error {
		if err := a.f.Chmod(a.st.mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)); err != nil {
			return fmt.Errorf("setting mode: %w", err)
		}
		if now, err := os.Lstat(a.path); err != nil || !statOf(now).same(a.st) {
			return fmt.Errorf("%w", ErrModified)
		}
		if sync {
			if err := a.f.Sync(); err != nil {
				return fmt.Errorf("syncing: %w", err)
			}
		}
		if err := a.f.Close(); err != nil {
			return fmt.Errorf("writing: %w", err)
		}
		if err := os.Rename(a.f.Name(), a.path); err != nil {
			return fmt.Errorf("replacing: %w", err)
		}
		return nil
	}()
	if err != nil {
		a.abort()
	}
	return err
}

func (a *atomicFile) abort() {
	a.f.Close()
	os.Remove(a.f.Name())
}
