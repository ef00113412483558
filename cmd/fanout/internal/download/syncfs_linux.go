package download

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncfsAvailable: Linux syncs a whole file system in one call.
const syncfsAvailable = true

// syncfs makes everything written to dir's file system durable.
func syncfs(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return &os.PathError{Op: "syncfs", Path: dir, Err: err}
	}
	return nil
}
