package command

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// failWriter fails every write with err, as a full disk does.
type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// Issue 21.14: output that cannot be written was lost with exit 0. A
// write error on stdout now stops the run (as a journal error does) and
// is the error: exit 1, "write stdout: ...". Both paths: the run path's
// record writer (--json) and exec's own text output. (Peers had the same
// bug: uutils/coreutils#9877, split to /dev/full said nothing;
// util-linux#4448, hexdump went on after ENOSPC.)
func TestWriteErrorStopsTheRun(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"exec", "--", "echo", "hi", ":::", "a", "b"},
		{"exec", "--json", "--", "echo", "hi", ":::", "a", "b"},
	} {
		var stderr bytes.Buffer
		code := Main(context.Background(), nil, args, strings.NewReader(""), failWriter{syscall.ENOSPC}, &stderr)
		if code != ExitSome || !strings.Contains(stderr.String(), "fanout: write stdout: no space left on device\n") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

// The same from the binary, to /dev/full as the issue has it; and a
// closed pipe (`| head -1`) still ends the run at once and quietly: Go's
// runtime raises SIGPIPE on a write to a closed stdout, as for C tools.
func TestBinaryWriteErrors(t *testing.T) {
	t.Parallel()
	bin := buildFanout(t)
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	cmd := exec.Command(bin, "exec", "--", "echo", "hi", ":::", "a")
	cmd.Stdout = full
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitSome || stderr.String() != "fanout: write stdout: no space left on device\n" {
		t.Fatalf("to /dev/full: %v, stderr %q", err, stderr.String())
	}

	cmd = exec.Command(bin, "exec", "--", "echo")
	cmd.Stdin = strings.NewReader(strings.Repeat("line\n", 100000))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := stdout.Read(buf); err != nil {
		t.Fatal(err)
	}
	stdout.Close() // head -1 is done
	err = cmd.Wait()
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGPIPE || stderr.Len() > 0 {
		t.Fatalf("after the reader left: %v, stderr %q; want SIGPIPE and nothing said", err, stderr.String())
	}
}
