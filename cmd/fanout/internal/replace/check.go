package replace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Errors Check reports, wrapped with the cause.
var (
	ErrUnreadable  = errors.New("not readable")
	ErrDirReadOnly = errors.New("its directory is not writable")
)

// Check reports why File could not edit path, one the user named, or why
// a directory to walk could not be read: it does not exist, cannot be
// read, or (unless o.DryRun) the file or its directory cannot be written.
// It reads and writes nothing, so that every named path can be checked
// before the first is edited, as sd does. A symlink without o.Follow, a
// device or a FIFO passes: File skips them.
func Check(path string, o Options) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if !o.Follow {
			return nil
		}
		if path, err = filepath.EvalSymlinks(path); err != nil {
			return fmt.Errorf("following symlink: %w", err)
		}
		if fi, err = os.Stat(path); err != nil {
			return err
		}
	}
	switch {
	case fi.IsDir():
		if err := access(path, accessRead|accessSearch); err != nil {
			return fmt.Errorf("%w: %w", ErrUnreadable, err)
		}
		return nil
	case !fi.Mode().IsRegular():
		return nil
	}
	if err := access(path, accessRead); err != nil {
		return fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	if o.DryRun {
		return nil
	}
	if err := writable(path, fi.Mode()); err != nil {
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	if err := access(filepath.Dir(path), accessWrite|accessSearch); err != nil {
		return fmt.Errorf("%w: %w", ErrDirReadOnly, err)
	}
	return nil
}

// errNoWriteBit is a file whose mode has no write bit at all: left alone
// even by root, whom access(2) would let write it. sed -i rewrites it
// (rename needs only the directory); the mode is the owner saying "do not
// change this", and the outcome must not depend on who runs the command.
var errNoWriteBit = errors.New("its mode has no write bit")

// access(2) modes.
const (
	accessSearch = 1
	accessWrite  = 2
	accessRead   = 4
)
