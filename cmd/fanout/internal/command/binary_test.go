package command

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// longTests says whether to run the long forms of the soak and SIGKILL
// tests (FANOUT_LONG=1), as docs/reliability.md records them; the default
// forms prove the same properties on less data, so the suite stays quick.
func longTests() bool { return os.Getenv("FANOUT_LONG") == "1" }

// buildFanout returns the binary TestMain built, building one if the
// tests run in process.
func buildFanout(t *testing.T) string {
	t.Helper()
	if fanoutBin != "" {
		return fanoutBin
	}
	bin := filepath.Join(t.TempDir(), "fanout")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/fanout-dev/fanout/cmd/fanout")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Ctrl-C on the real process: it stops taking input, cancels what is in
// flight, keeps every finished record whole, prints the summary and exits
// 130. (GNU parallel and xargs users know the pain of half-written lines
// after an interrupt; here a record is written whole or not at all.) The
// input pipe is left open: the run must not wait for it to close.
func TestBinarySIGINT(t *testing.T) {
	t.Parallel()
	bin := buildFanout(t)
	site := sitetest.Start(t, demosite.Options{})
	cmd := exec.Command(bin, "check", "--retries", "0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdoutPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// One page that answers, then requests that never will, and the input
	// left open, as when piping from a slow producer.
	// (Distinct lines: identical ones would make one request.)
	lines := site.WikiURL("fast") + "\n" + site.URL() + "/hang?n=1\n" + site.URL() + "/hang?n=2\n" + site.URL() + "/hang?n=3\n"
	if _, err := stdin.Write([]byte(lines)); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(stdoutPipe)
	first, err := out.ReadString('\n')
	if err != nil || first != site.WikiURL("fast")+" - exists\n" {
		t.Fatalf("first record %q, %v", first, err)
	}
	proctest.WaitFor(t, "all three /hang requests in flight", func() bool { return site.Hits("/hang") == 3 })
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest, _ := out.ReadString(0)
	err = cmd.Wait()
	stdin.Close()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("exit: %v, want status 130; stderr %q", err, stderr.String())
	}
	if rest != "" {
		t.Fatalf("output after the interrupt %q: want nothing (no half lines, no records for unfinished inputs)", rest)
	}
	if !strings.Contains(stderr.String(), "1 checked: 1 exists") {
		t.Fatalf("summary %q", stderr.String())
	}
}

func TestBinaryDemoRuns(t *testing.T) {
	t.Parallel()
	bin := buildFanout(t)
	out, err := exec.Command(bin, "demo", "--latency", "10ms", "--pages", "5").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "x faster") {
		t.Fatalf("demo: %v\n%s", err, out)
	}
}
