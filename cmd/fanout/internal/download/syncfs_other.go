//go:build !linux

package download

// syncfsAvailable: elsewhere each file and directory is synced on its own.
const syncfsAvailable = false

func syncfs(string) error { return nil }
