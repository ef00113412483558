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
	if err := writable(path, st.mode); err != nil {
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
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
		return fmt.Errorf("creating temporary file: %w", err)
	}
	renamed := false
	defer func() {
		if !renamed {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(append(head[:len(head):len(head)], body...)); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	if err := f.Chmod(st.mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)); err != nil {
		return fmt.Errorf("setting mode: %w", err)
	}
	if now, err := os.Lstat(path); err != nil || !statOf(now).same(st) {
		return fmt.Errorf("%w", ErrModified)
	}
	if sync {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("syncing: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("replacing: %w", err)
	}
	renamed = true
	return nil
}
