package cli

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

func TestJournalRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	j, l, err := OpenJournal(path, false)
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
	j, l, err = OpenJournal(path, false)
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
			head := `{"input":"a"}` + "\n" + `{"input":"b"}` + "\n"
			os.WriteFile(path, []byte(head+tail), 0o644)
			j, l, err := OpenJournal(path, false)
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

func TestJournalRefusesAForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "urls.txt")
	os.WriteFile(path, []byte("https://a.example/\nhttps://b.example/\n"), 0o644)
	_, _, err := OpenJournal(path, false)
	if !errors.Is(err, ErrJournal) || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("OpenJournal(a URL list) = %v, want ErrJournal at line 1", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "https://a.example/\nhttps://b.example/\n" {
		t.Errorf("the foreign file was changed: %q", data)
	}
}

// --retry-failed: an input whose last record did not pass is done again;
// once it passes, its newer record wins.
func TestJournalRetryFailed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	j, _, _ := OpenJournal(path, false)
	j.Append(jrec{Input: "good"}, true)
	j.Append(jrec{Input: "bad"}, false)
	j.Append(jrec{Input: "flaky"}, false)
	j.Append(jrec{Input: "flaky"}, true)
	j.Close()
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), `{"ok":false,"input":"bad"}`) {
		t.Errorf("a failed record is not marked: %s", data)
	}
	for _, retry := range []bool{false, true} {
		j, l, err := OpenJournal(path, retry)
		if err != nil || l.Records != 4 || l.Failed != 1 {
			t.Fatalf("retry %v: %v %+v", retry, err, l)
		}
		if !j.Done("good") || !j.Done("flaky") || j.Done("bad") != !retry {
			t.Errorf("retry %v: done good %v flaky %v bad %v", retry, j.Done("good"), j.Done("flaky"), j.Done("bad"))
		}
		j.Close()
	}
}
