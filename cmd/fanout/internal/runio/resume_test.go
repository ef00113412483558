package runio

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type jrec struct {
	Input string `json:"input"`
	Extra string `json:"extra,omitempty"`
}

var testJob = Job{Command: "check", Args: []string{"--method=GET"}}

func TestJournalRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	j, l, err := OpenJournal(path, testJob, false)
	if err != nil || l.Records != 0 || l.DroppedTorn {
		t.Fatalf("new journal: %v %+v", err, l)
	}
	long := strings.Repeat("x", 1<<20) // longer than the read buffer
	for _, in := range []string{"a", "b <&>", long} {
		if err := j.Append(jrec{Input: in}, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, l, err = OpenJournal(path, testJob, false)
	if err != nil || l.Records != 3 || l.DroppedTorn {
		t.Fatalf("reopened: %v %+v", err, l)
	}
	defer j.Close()
	for _, in := range []string{"a", "b <&>", long} {
		if !j.Done(in) {
			t.Errorf("Done(%.10q) = false after it was appended", in)
		}
	}
	if j.Done("c") {
		t.Error("Done(c) = true for an input never appended")
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `"b <&>"`) {
		t.Errorf("HTML escaped in the journal: %.100s", data)
	}
}

// A kill in the middle of a write leaves a torn last line: it must be
// dropped, and the file cut back so the next record starts on its own line.
func TestJournalDropsTornLastLine(t *testing.T) {
	for name, tail := range map[string]string{
		"no newline":        `{"input":"c","res`,
		"zeros after crash": "\x00\x00\x00\x00\n",
		"no input field":    `{"result":"exists"}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "run.jsonl")
			head := string(testJob.header()) + `{"input":"a"}` + "\n" + `{"input":"b"}` + "\n"
			os.WriteFile(path, []byte(head+tail), 0o644)
			j, l, err := OpenJournal(path, testJob, false)
			if err != nil || l.Records != 2 || !l.DroppedTorn {
				t.Fatalf("OpenJournal = %v %+v, want 2 records and a dropped torn line", err, l)
			}
			if j.Done("c") {
				t.Error("the torn record counts as done")
			}
			j.Append(jrec{Input: "c"}, true)
			j.Close()
			data, _ := os.ReadFile(path)
			if want := head + `{"input":"c"}` + "\n"; string(data) != want {
				t.Errorf("file after append:\n%q\nwant\n%q", data, want)
			}
		})
	}
}

// Whatever its length, a file that does not start with a journal's header
// is refused and left as it was: a one-line file used to be taken for a
// journal with a torn last line, and cut to nothing.
func TestJournalRefusesAForeignFile(t *testing.T) {
	for name, content := range map[string]string{
		"URL list":             "https://a.example/\nhttps://b.example/\n",
		"ssh key, one line":    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx4 me@host\n",
		"one line, no newline": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx4 me@host",
		"one JSON line":        `{"name":"x"}` + "\n",
		"a few bytes":          "{\"",
		"JSON lines":           `{"input":"x","result":"exists"}` + "\n" + `{"inputs":1}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "file")
			os.WriteFile(path, []byte(content), 0o600)
			_, _, err := OpenJournal(path, testJob, false)
			if !errors.Is(err, ErrJournal) {
				t.Fatalf("OpenJournal = %v, want ErrJournal", err)
			}
			if data, _ := os.ReadFile(path); string(data) != content {
				t.Errorf("the foreign file was changed: %q", data)
			}
		})
	}
}

// A journal from before headers: which command wrote it is unknown, so it
// is refused, untouched, with the line that vouches for it; once added,
// the journal is taken.
func TestJournalWithoutHeaderSaysHowToContinue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.jsonl")
	old := `{"input":"a","result":"exists"}` + "\n"
	os.WriteFile(path, []byte(old), 0o644)
	_, _, err := OpenJournal(path, testJob, false)
	if !errors.Is(err, ErrJournal) || !strings.Contains(err.Error(), "sed -i '1i "+strings.TrimSpace(string(testJob.header()))+"' "+path) {
		t.Fatalf("OpenJournal(old journal) = %v, want ErrJournal with the header to add", err)
	}
	if data, _ := os.ReadFile(path); string(data) != old {
		t.Errorf("the old journal was changed: %q", data)
	}
	os.WriteFile(path, append(testJob.header(), old...), 0o644)
	j, l, err := OpenJournal(path, testJob, false)
	if err != nil || l.Records != 1 || !j.Done("a") {
		t.Fatalf("with the header: %v %+v", err, l)
	}
	j.Close()
}

// check's journal given to get (or to check with another method) would
// skip inputs get never did.
func TestJournalRefusesAnotherJob(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	j, _, err := OpenJournal(path, testJob, false)
	if err != nil {
		t.Fatal(err)
	}
	j.Append(jrec{Input: "a"}, true)
	j.Close()
	before, _ := os.ReadFile(path)
	for _, other := range []Job{{Command: "get"}, {Command: "check"}, {Command: "check", Args: []string{"--method=HEAD"}}} {
		_, _, err := OpenJournal(path, other, false)
		if !errors.Is(err, ErrJournalJob) || !strings.Contains(err.Error(), "fanout check --method=GET") {
			t.Errorf("OpenJournal as %v = %v, want ErrJournalJob naming the journal's job", other, err)
		}
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("the journal was changed: %q", after)
	}
}

// Two runs on one journal used to splice their records: the second is
// refused while the first holds it, and may go on once it is closed.
func TestJournalOneWriterAtATime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	first, _, err := OpenJournal(path, testJob, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenJournal(path, testJob, false); !errors.Is(err, ErrJournalBusy) {
		t.Fatalf("second OpenJournal = %v, want ErrJournalBusy", err)
	}
	first.Append(jrec{Input: "a"}, true)
	first.Close()
	second, l, err := OpenJournal(path, testJob, false)
	if err != nil || l.Records != 1 {
		t.Fatalf("after the first closed: %v %+v", err, l)
	}
	second.Close()
}

// A kill right after the file was made leaves it empty or with part of
// its header: it is new, not foreign.
func TestJournalCutHeaderIsNew(t *testing.T) {
	h := testJob.header()
	for _, n := range []int{0, len(headerStart), len(h) / 2, len(h) - 1} {
		path := filepath.Join(t.TempDir(), "run.jsonl")
		os.WriteFile(path, h[:n], 0o644)
		j, l, err := OpenJournal(path, testJob, false)
		if err != nil || l.Records != 0 {
			t.Fatalf("%d bytes of header: %v %+v", n, err, l)
		}
		j.Append(jrec{Input: "a"}, true)
		j.Close()
		if data, _ := os.ReadFile(path); string(data) != string(h)+`{"input":"a"}`+"\n" {
			t.Errorf("%d bytes of header, then a record: %q", n, data)
		}
	}
}

// --retry-failed: an input whose last record did not pass is done again;
// once it passes, its newer record wins.
func TestJournalRetryFailed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	j, _, _ := OpenJournal(path, testJob, false)
	j.Append(jrec{Input: "good"}, true)
	j.Append(jrec{Input: "bad"}, false)
	j.Append(jrec{Input: "flaky"}, false)
	j.Append(jrec{Input: "flaky"}, true)
	j.Close()
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), `{"ok":false,"input":"bad"}`) {
		t.Errorf("a failed record is not marked: %s", data)
	}
	for _, retry := range []bool{false, true} {
		j, l, err := OpenJournal(path, testJob, retry)
		if err != nil || l.Records != 4 || l.Failed != 1 {
			t.Fatalf("retry %v: %v %+v", retry, err, l)
		}
		if !j.Done("good") || !j.Done("flaky") || j.Done("bad") != !retry {
			t.Errorf("retry %v: done good %v flaky %v bad %v", retry, j.Done("good"), j.Done("flaky"), j.Done("bad"))
		}
		j.Close()
	}
}
