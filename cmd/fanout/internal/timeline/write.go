package timeline

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"
)

// ErrFormat is returned for a file name that ends neither in .svg nor in
// .html.
var ErrFormat = errors.New("timeline: the file name must end in .svg or .html")

// CheckPath reports, before a run, whether WriteFile could write name: its
// extension says the format and its directory exists. A command checks it
// with its flags, so that a typo does not cost a whole run.
func CheckPath(name string) error {
	if _, err := format(name); err != nil {
		return err
	}
	dir := filepath.Dir(name)
	if fi, err := os.Stat(dir); err != nil {
		return fmt.Errorf("timeline: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("timeline: %s is not a directory", dir)
	}
	return nil
}

func format(name string) (func(*bytes.Buffer, []Run) error, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".svg":
		return func(b *bytes.Buffer, runs []Run) error { return WriteSVG(b, runs...) }, nil
	case ".html", ".htm":
		return func(b *bytes.Buffer, runs []Run) error { return WriteHTML(b, runs...) }, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrFormat, name)
}

// WriteFile draws the runs into name, an SVG picture or an HTML page by
// its extension, stacked on one time axis. The file is replaced whole or
// not at all.
func WriteFile(name string, runs ...Run) error {
	write, err := format(name)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := write(&b, runs); err != nil {
		return err
	}
	if err := renameio.WriteFile(name, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	return nil
}
