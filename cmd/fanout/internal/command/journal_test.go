package command

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// checkJournalHeader fails unless line is a --resume journal's header.
func checkJournalHeader(t *testing.T, path string, line []byte) {
	t.Helper()
	var h struct {
		Version *int   `json:"fanout_journal"`
		Command string `json:"command"`
	}
	if err := json.Unmarshal(line, &h); err != nil || h.Version == nil || h.Command == "" {
		t.Fatalf("%s line 1 is not a journal header (%v): %q", path, err, line)
	}
}

// --resume given a one-line file that is not a journal (an ssh public
// key) used to take the line for a torn record and cut the file to
// nothing; docs/reliability.md says a foreign file is not touched.
func TestResumeLeavesAForeignOneLineFile(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	for name, content := range map[string]string{
		"with newline":    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOe me@host\n",
		"without newline": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOe me@host",
	} {
		key := filepath.Join(t.TempDir(), "id_ed25519.pub")
		os.WriteFile(key, []byte(content), 0o600)
		_, stderr, code := run(t, context.Background(), "", "check", "--resume", key, site.WikiURL("A"))
		if code != ExitUsage || !strings.Contains(stderr, "not a fanout resume file") {
			t.Errorf("%s: exit %d, stderr:\n%s", name, code, stderr)
		}
		if data, _ := os.ReadFile(key); string(data) != content {
			t.Errorf("%s: the key was changed to %q", name, data)
		}
	}
}

// A journal names its job: check's journal given to get used to count
// every input as done ("2 skipped", nothing saved, exit 0).
func TestResumeRefusesAnotherJobsJournal(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	ctx := context.Background()
	urls := []string{site.WikiURL("A"), site.WikiURL("B")}
	journal := filepath.Join(t.TempDir(), "done.jsonl")
	if _, stderr, code := run(t, ctx, "", append([]string{"check", "-q", "--resume", journal}, urls...)...); code != ExitOK {
		t.Fatalf("check: exit %d\n%s", code, stderr)
	}
	before, _ := os.ReadFile(journal)
	dir := t.TempDir()
	out, stderr, code := run(t, ctx, "", append([]string{"get", "--dir", dir, "--resume", journal}, urls...)...)
	if code != ExitUsage || out != "" || !strings.Contains(stderr, "is a journal of another job (fanout check), not of this run's (fanout get --dir="+dir+")") {
		t.Errorf("get on check's journal: exit %d, out %q, stderr:\n%s", code, out, stderr)
	}
	// The same command with a flag that changes what a record means.
	_, stderr, code = run(t, ctx, "", append([]string{"check", "-X", "GET", "--resume", journal}, urls...)...)
	if code != ExitUsage || !strings.Contains(stderr, "(fanout check), not of this run's (fanout check --method=GET)") {
		t.Errorf("check -X GET on check's journal: exit %d, stderr:\n%s", code, stderr)
	}
	// And one that only changes how: the journal is taken.
	_, stderr, code = run(t, ctx, "", append([]string{"check", "--timeout", "20s", "--resume", journal}, urls...)...)
	if code != ExitOK || !strings.Contains(stderr, "2 skipped") {
		t.Errorf("check --timeout 20s on check's journal: exit %d, stderr:\n%s", code, stderr)
	}
	if after, _ := os.ReadFile(journal); string(after) != string(before) {
		t.Errorf("the journal changed:\n%s\nwas\n%s", after, before)
	}
}

// Two runs on one journal used to splice their records (6,000 records
// became 2,994 lines) and the next rerun refused the file: the second
// run is refused while the first holds the journal.
func TestResumeOneRunPerJournal(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	journal := filepath.Join(t.TempDir(), "done.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan int)
	go func() {
		_, _, code := run(t, ctx, "", "check", "-q", "--timeout", "60s", "--resume", journal, site.URL()+"/hang")
		first <- code
	}()
	// The header is written under the lock: once it is there, the first
	// run holds the journal.
	proctest.WaitFor(t, "the first run to open its journal", func() bool {
		data, _ := os.ReadFile(journal)
		return strings.HasSuffix(string(data), "\n")
	})
	out, stderr, code := run(t, context.Background(), "", "check", "--resume", journal, site.WikiURL("A"))
	if code != ExitUsage || out != "" || !strings.Contains(stderr, journal+": another fanout run is writing it") {
		t.Errorf("second run: exit %d, out %q, stderr:\n%s", code, out, stderr)
	}
	cancel()
	if code := <-first; code != ExitInterrupted {
		t.Errorf("first run: exit %d, want %d", code, ExitInterrupted)
	}
	// Once the first has ended, the journal is free.
	if _, stderr, code := run(t, context.Background(), "", "check", "-q", "--resume", journal, site.WikiURL("A")); code != ExitOK {
		t.Errorf("after the first run: exit %d\n%s", code, stderr)
	}
	if got := readJournal(t, journal); len(got) != 1 {
		t.Errorf("journal: %v", got)
	}
}
