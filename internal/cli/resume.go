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
	Failed      int  // of which inputs whose last record did not pass
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
// that one is wrongly skipped, are about one in 370,000. With retryFailed,
// an input whose last record did not pass (Append's ok) is not done: the
// run does it again (GNU parallel's --resume-failed).
func OpenJournal(path string, retryFailed bool) (*Journal, Loaded, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, Loaded{}, err
	}
	j := &Journal{f: f, lastSync: time.Now()}
	loaded, good, err := j.load(bufio.NewReaderSize(f, 256<<10), path, retryFailed)
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
func (j *Journal) load(r *bufio.Reader, path string, retryFailed bool) (Loaded, int64, error) {
	var l Loaded
	var good int64
	var rec struct {
		Input *string `json:"input"`
		OK    *bool   `json:"ok"` // absent: passed
	}
	// An input retried after a failure has several records; the last
	// one counts.
	last := map[uint64]bool{}
	for n := 1; ; n++ {
		line, err := r.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) { // a record longer than the buffer
			line = slices.Clone(line) // before the next read reuses the buffer
			var more []byte
			more, err = r.ReadBytes('\n')
			line = append(line, more...)
		}
		if len(line) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return l, good, err
		}
		rec.Input, rec.OK = nil, nil
		whole := err == nil // ends with a newline
		if !whole || json.Unmarshal(line, &rec) != nil || rec.Input == nil {
			// Torn only if nothing follows it.
			if _, perr := r.Peek(1); !whole || perr == io.EOF {
				l.DroppedTorn = true
				break
			}
			return l, good, fmt.Errorf("%s line %d: %w", path, n, ErrJournal)
		}
		last[hashInput(*rec.Input)] = rec.OK == nil || *rec.OK
		l.Records++
		good += int64(len(line))
	}
	for h, ok := range last {
		if !ok {
			l.Failed++
		}
		if ok || !retryFailed {
			j.done = append(j.done, h)
		}
	}
	return l, good, nil
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
// field, as one line, with "ok":false added when the record did not pass.
func (j *Journal) Append(rec any, ok bool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf) // Encode adds the newline
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		return err
	}
	line := j.buf.Bytes()
	if !ok && len(line) > 2 && line[0] == '{' {
		line = append([]byte(`{"ok":false,`), line[1:]...)
	}
	if _, err := j.f.Write(line); err != nil {
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
