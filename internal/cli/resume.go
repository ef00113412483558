package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"sync"
	"time"
)

// Journal is a --resume file: every finished record, one JSON object per
// line, appended as the run goes. A rerun with the same file skips the
// inputs it already holds, so a run killed at 90% does the last 10% only.
//
// Each record is written to the file (one write(2), so a killed process
// loses none that were handed to Append) and the file is fsynced every
// SyncEvery records or SyncInterval, whichever comes first, and on Close:
// a machine crash loses at most that much, which the rerun redoes.
//
// A kill in the middle of a write, or a crash before the data reached the
// disk, can leave a torn last line (no newline, or bytes that do not
// parse). Opening the journal detects it, drops it (truncating the file to
// the last whole line, so the next append does not glue onto it) and
// reports it in Loaded. A bad line anywhere else is not a torn write but a
// damaged or foreign file, and opening fails rather than guess.
type Journal struct {
	mu       sync.Mutex
	f        *os.File
	buf      bytes.Buffer
	done     []uint64 // sorted hashes of the inputs the file holds
	unsynced int
	lastSync time.Time
	closed   bool
}

// Loaded says what OpenJournal found in an existing file.
type Loaded struct {
	Records     int  // whole records read
	DroppedTorn bool // a torn last line was dropped
}

// How often Append fsyncs the journal.
const (
	SyncEvery    = 4096
	SyncInterval = time.Second
)

// ErrJournal marks a --resume file that is not a fanout journal.
var ErrJournal = errors.New("not a fanout resume file")

// OpenJournal opens (or creates) the journal at path and loads the inputs
// it holds. Inputs are kept as 64-bit hashes (8 bytes each, sorted): ten
// million inputs take 80 MB, and the odds that two of them collide, so
// that one is wrongly skipped, are about one in 370,000.
func OpenJournal(path string) (*Journal, Loaded, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, Loaded{}, err
	}
	j := &Journal{f: f, lastSync: time.Now()}
	loaded, good, err := j.load(bufio.NewReaderSize(f, 256<<10), path)
	if err == nil && loaded.DroppedTorn {
		err = f.Truncate(good)
	}
	if err == nil {
		_, err = f.Seek(good, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, Loaded{}, err
	}
	slices.Sort(j.done)
	return j, loaded, nil
}

// load reads the records, returning the offset just past the last good one.
func (j *Journal) load(r *bufio.Reader, path string) (Loaded, int64, error) {
	var l Loaded
	var good int64
	var rec struct {
		Input *string `json:"input"`
	}
	for n := 1; ; n++ {
		line, err := r.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) { // a record longer than the buffer
			line = slices.Clone(line) // before the next read reuses the buffer
			var more []byte
			more, err = r.ReadBytes('\n')
			line = append(line, more...)
		}
		if len(line) == 0 && err == io.EOF {
			return l, good, nil
		}
		if err != nil && err != io.EOF {
			return l, good, err
		}
		rec.Input = nil
		whole := err == nil // ends with a newline
		if !whole || json.Unmarshal(line, &rec) != nil || rec.Input == nil {
			// Torn only if nothing follows it.
			if _, perr := r.Peek(1); !whole || perr == io.EOF {
				l.DroppedTorn = true
				return l, good, nil
			}
			return l, good, fmt.Errorf("%s line %d: %w", path, n, ErrJournal)
		}
		j.done = append(j.done, hashInput(*rec.Input))
		l.Records++
		good += int64(len(line))
	}
}

func hashInput(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// Done reports whether the journal held a record for this input when it
// was opened.
func (j *Journal) Done(input string) bool {
	_, found := slices.BinarySearch(j.done, hashInput(input))
	return found
}

// Append writes rec, which must encode as a JSON object with an "input"
// field, as one line.
func (j *Journal) Append(rec any) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf) // Encode adds the newline
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		return err
	}
	if _, err := j.f.Write(j.buf.Bytes()); err != nil {
		return err
	}
	j.unsynced++
	if j.unsynced >= SyncEvery || time.Since(j.lastSync) >= SyncInterval {
		return j.sync()
	}
	return nil
}

func (j *Journal) sync() error {
	j.unsynced, j.lastSync = 0, time.Now()
	return j.f.Sync()
}

// Close syncs and closes the file; closing again does nothing.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	return errors.Join(j.sync(), j.f.Close())
}
