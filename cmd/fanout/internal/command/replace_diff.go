package command

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
)

// spillAt is how much of one file's --dry-run diff is held in memory;
// past it, the diff goes to a temporary file. A diff can be twice the
// file's size: the one of a 64 MiB file with every line changed (138 MB)
// took 422 MB of memory, held whole and then copied into its record.
var spillAt = 1 << 20

// diffSpill holds one file's diff as File writes it (replace.Options.DiffTo),
// until the record is printed: in memory up to spillAt bytes, then in an
// unlinked temporary file, which nothing leaves behind.
type diffSpill struct {
	mem   bytes.Buffer
	file  *os.File
	files *spillFiles // where the file is registered, to be closed at the end
}

func (d *diffSpill) Write(p []byte) (int, error) {
	if d.file == nil && d.mem.Len()+len(p) <= spillAt {
		return d.mem.Write(p)
	}
	if d.file == nil {
		f, err := os.CreateTemp("", "fanout-diff-*")
		if err != nil {
			return 0, err
		}
		d.file = f
		d.files.add(f)
		if err := os.Remove(f.Name()); err != nil {
			return 0, err
		}
		if _, err := f.Write(d.mem.Bytes()); err != nil {
			return 0, err
		}
		d.mem = bytes.Buffer{}
	}
	return d.file.Write(p)
}

// each calls fn with the diff, whole lines at a time (a unified diff is
// whole lines), so that each piece can be escaped alone as the whole
// would be, then closes the file.
func (d *diffSpill) each(fn func(string) error) error {
	if d.file == nil {
		return fn(d.mem.String())
	}
	defer d.file.Close()
	if _, err := d.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	buf := make([]byte, 0, 256<<10)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, cap(buf))...)[:len(buf)] // a line longer than buf
		}
		n, err := d.file.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) && len(buf) == 0 {
			return nil
		}
		if errors.Is(err, io.EOF) {
			return fn(string(buf)) // not a whole line: not from a diff
		}
		if err != nil {
			return err
		}
		if cut := bytes.LastIndexByte(buf, '\n') + 1; cut > 0 {
			if err := fn(string(buf[:cut])); err != nil {
				return err
			}
			buf = buf[:copy(buf, buf[cut:])]
		}
	}
}

// String is the whole diff, for --json and --csv, which hold it in their
// record.
func (d *diffSpill) String() (string, error) {
	var b bytes.Buffer
	err := d.each(func(s string) error { b.WriteString(s); return nil })
	return b.String(), err
}

// spillFiles are the temporary files of a run's diffs. Printing a record
// closes its own; close closes those of records never printed (--compare's
// first run, --failures).
type spillFiles struct {
	mu    sync.Mutex
	files []*os.File
}

func (s *spillFiles) add(f *os.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files = append(s.files, f)
}

func (s *spillFiles) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.files {
		f.Close() // most are closed already
	}
	s.files = nil
}
