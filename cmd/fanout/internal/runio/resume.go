package runio

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
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Journal is a --resume file: a header naming the job, then every
// finished record, one JSON object per line, appended as the run goes. A
// rerun with the same file skips the inputs it already holds, so a run
// killed at 90% does the last 10% only.
//
// The file is only ever taken when its first line is the header of the
// same job: any other file (a URL list, an ssh key, another command's
// journal) is refused before a byte of it is changed. One run at a time
// writes it: opening takes an exclusive flock(2), held until Close.
//
// Each record is written to the file whole (one write(2) in O_APPEND
// mode, so a killed process loses none that were handed to Append) and
// the file is fsynced every SyncEvery records or SyncInterval, whichever
// comes first, and on Close: a machine crash loses at most that much,
// which the rerun redoes.
//
// A kill in the middle of a write, or a crash before the data reached the
// disk, can leave a torn last line (no newline, or bytes that do not
// parse). Opening the journal detects it, drops it (truncating the file to
// the last whole line, so the next append does not glue onto it) and
// reports it in Loaded. A bad line anywhere else is not a torn write but a
// damaged file, and opening fails rather than guess.
type Journal struct {
	mu       sync.Mutex
	f        *os.File
	buf      bytes.Buffer
	done     []uint64 // sorted hashes of the inputs the file holds
	unsynced int
	lastSync time.Time
	closed   bool
}

// Job is what a journal's header says about the run that wrote it: two
// runs may share a journal only when their Jobs are equal.
type Job struct {
	// Command is the fanout command: "check", "get".
	Command string `json:"command"`
	// Args are the arguments that change what a record means (get's
	// --dir, exec's command line), as the command chooses them.
	Args []string `json:"args"`
}

// headerStart is how every header starts.
const headerStart = `{"fanout_journal":`

// header is a journal's first line.
type header struct {
	Version int `json:"fanout_journal"`
	Job
}

func (j Job) String() string {
	return strings.Join(append([]string{"fanout", j.Command}, j.Args...), " ")
}

func (j Job) header() []byte {
	if j.Args == nil {
		j.Args = []string{} // [] rather than null: the line reads the same
	}
	b, _ := json.Marshal(header{1, j})
	return append(b, '\n')
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

var (
	// ErrJournal marks a --resume file that is not a fanout journal.
	ErrJournal = errors.New("not a fanout resume file")
	// ErrJournalBusy marks a journal another run is writing.
	ErrJournalBusy = errors.New("another fanout run is writing it")
	// ErrJournalJob marks a journal written by another job.
	ErrJournalJob = errors.New("a journal of another job")
)

// OpenJournal opens (or creates) the journal of job at path and loads the
// inputs it holds. Inputs are kept as 64-bit hashes (8 bytes each,
// sorted): ten million inputs take 80 MB, and the odds that two of them
// collide, so that one is wrongly skipped, are about one in 370,000. With
// retryFailed, an input whose last record did not pass (Append's ok) is
// not done: the run does it again (GNU parallel's --resume-failed).
func OpenJournal(path string, job Job, retryFailed bool) (*Journal, Loaded, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, Loaded{}, err
	}
	j := &Journal{f: f, lastSync: time.Now()}
	loaded, err := j.open(path, job, retryFailed)
	if err != nil {
		f.Close()
		return nil, Loaded{}, err
	}
	slices.Sort(j.done)
	return j, loaded, nil
}

func (j *Journal) open(path string, job Job, retryFailed bool) (Loaded, error) {
	// Locked before it is read, so that two runs never both take the
	// file for new, nor read what the other is writing.
	switch err := unix.Flock(int(j.f.Fd()), unix.LOCK_EX|unix.LOCK_NB); {
	case errors.Is(err, unix.EWOULDBLOCK):
		return Loaded{}, fmt.Errorf("%s: %w: wait for it to end, or give this run another FILE", path, ErrJournalBusy)
	case errors.Is(err, unix.ENOLCK), errors.Is(err, unix.EOPNOTSUPP):
		// A file system without locks (some NFS setups): run unlocked.
	case err != nil:
		return Loaded{}, err
	}
	want := job.header()
	st, err := j.f.Stat()
	if err != nil {
		return Loaded{}, err
	}
	if st.Size() < int64(len(want)) {
		// New, or a header cut short by a crash at the start of its run;
		// a few bytes may be anything, so what is there must name the
		// format.
		b := make([]byte, st.Size())
		if _, err := j.f.ReadAt(b, 0); err != nil && err != io.EOF {
			return Loaded{}, err
		}
		if len(b) == 0 || len(b) >= len(headerStart) && bytes.HasPrefix(want, b) {
			if err := j.f.Truncate(0); err != nil {
				return Loaded{}, err
			}
			_, err := j.f.Write(want)
			return Loaded{}, err
		}
	}
	r := bufio.NewReaderSize(io.NewSectionReader(j.f, 0, st.Size()), 256<<10)
	head, err := checkHeader(r, path, job)
	if err != nil {
		return Loaded{}, err
	}
	loaded, good, err := j.load(r, path, retryFailed)
	if err == nil && loaded.DroppedTorn {
		err = j.f.Truncate(int64(head) + good)
	}
	return loaded, err
}

// checkHeader reads the first line and fails unless it is job's header;
// it returns the line's length.
func checkHeader(r *bufio.Reader, path string, job Job) (int, error) {
	line, err := r.ReadSlice('\n')
	var h header
	if err != nil || json.Unmarshal(line, &h) != nil || h.Version == 0 {
		var rec struct {
			Input *string `json:"input"`
		}
		if err == nil && json.Unmarshal(line, &rec) == nil && rec.Input != nil {
			// A journal of fanout before headers. Which command wrote it
			// cannot be known, so it is refused rather than guessed;
			// the message says how to vouch for it.
			return 0, fmt.Errorf("%s has no header (written by an older fanout): %w; if it is this job's, "+
				"add the header and rerun: sed -i '1i %s' %s", path, ErrJournal, strings.TrimSpace(string(job.header())), path)
		}
		return 0, fmt.Errorf("%s line 1: %w", path, ErrJournal)
	}
	if h.Version != 1 {
		return 0, fmt.Errorf("%s: journal version %d, this fanout reads version 1: %w", path, h.Version, ErrJournal)
	}
	if h.Command != job.Command || !slices.Equal(h.Args, job.Args) {
		return 0, fmt.Errorf("%s is %w (%s), not of this run's (%s): give this run another FILE", path, ErrJournalJob, h.Job, job)
	}
	return len(line), nil
}

// load reads the records after the header, returning how many bytes of
// them are good.
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
