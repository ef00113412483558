package command

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A FIFO named on the command line is opened without waiting for a writer
// (open(2) on it blocks until one comes: links hung there, issue 26.6);
// with no writer it is an empty document. A pipe with a writer, as
// process substitution gives (links <(cmd)), is read: here the test's own
// pipe, named through /proc so that a child process can open it too.
func TestLinksFIFOIsNotWaitedFor(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "doc.md")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "-v", fifo)
	if code != ExitOK || out != "" || !strings.Contains(errOut, "0 links in 1 document") {
		t.Errorf("FIFO with no writer: exit %d\n%s%s", code, out, errOut)
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	srv := newHitServer(t, map[string]string{"/ok": "ok"})
	fmt.Fprintf(w, "%s/ok %s/gone\n", srv.URL, srv.URL) // no extension: plain text, bare URLs
	w.Close()
	piped := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), r.Fd())
	out, errOut, code = run(t, context.Background(), "", "links", "--no-progress", piped)
	if code != ExitSome || !strings.Contains(out, ":1: "+srv.URL+"/gone - does not exist") || !strings.Contains(errOut, "2 links in 1 document: 1 broken, 1 ok") {
		t.Errorf("pipe: exit %d\n%s%s", code, out, errOut)
	}
}

// A device named on the command line is read up to --max-page-size, then
// given up as unreadable: links /dev/zero grew to 790 MB (issue 26.6).
func TestLinksDeviceIsReadWithACap(t *testing.T) {
	t.Parallel()
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "--max-page-size", "1MiB", "/dev/zero")
	want := "/dev/zero: error: not a regular file, and larger than --max-page-size"
	if code != ExitSome || strings.TrimSpace(out) != want || !strings.Contains(errOut, "1 document unreadable") {
		t.Errorf("exit %d, want 1 and %q\n%s%s", code, want, out, errOut)
	}
}
