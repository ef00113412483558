package command

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// onTerminal is fanout running with stdin, stdout and stderr on a
// terminal of the given width, as at a shell.
type onTerminal struct {
	t    *testing.T
	tty  *os.File // the terminal's other end: what is typed, what is shown
	all  proctest.Buffer
	read chan struct{}
	done chan error
}

func startOnTerminal(t *testing.T, cols uint16, args ...string) *onTerminal {
	t.Helper()
	cmd := exec.Command(fanoutBin, args...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: cols})
	if err != nil {
		t.Fatal(err)
	}
	o := &onTerminal{t: t, tty: f, read: make(chan struct{}), done: make(chan error, 1)}
	go func() {
		defer close(o.read)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			o.all.Write(buf[:n])
			if err != nil { // EIO once the process is gone
				return
			}
		}
	}()
	go func() { o.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		f.Close()
	})
	return o
}

// waitShown waits until the terminal received what matches re.
func (o *onTerminal) waitShown(re string) {
	o.t.Helper()
	if !proctest.Poll(func() bool { return regexp.MustCompile(re).MatchString(o.all.String()) }) {
		o.t.Fatalf("the terminal never showed %s: %q", re, o.all.String())
	}
}

// wait returns the exit status and everything the terminal received.
func (o *onTerminal) wait() (int, string) {
	o.t.Helper()
	var err error
	select {
	case err = <-o.done:
	case <-time.After(30 * time.Second):
		o.t.Fatalf("fanout did not end; terminal: %q", o.all.String())
	}
	<-o.read
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), o.all.String()
	}
	return 0, o.all.String()
}

// screen is what a terminal width columns wide shows after out, every
// line kept: enough of a VT100 for the bar (\r, \n, ESC[K, other escape
// sequences ignored) with its automatic margins, where a character written
// past the last column goes to the next line.
func screen(out string, width int) []string {
	lines := [][]rune{nil}
	row, col := 0, 0 // col == width: the next character wraps
	down := func() {
		if row++; row == len(lines) {
			lines = append(lines, nil)
		}
	}
	rs := []rune(out)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\r':
			col = 0
		case r == '\n':
			down()
		case r == 0x1b && i+1 < len(rs) && rs[i+1] == '[':
			j := i + 2
			for j < len(rs) && (rs[j] < 0x40 || rs[j] > 0x7e) {
				j++
			}
			if j < len(rs) && rs[j] == 'K' && col < len(lines[row]) {
				lines[row] = lines[row][:col]
			}
			i = j
		case r < 0x20:
		default:
			if col == width {
				down()
				col = 0
			}
			for len(lines[row]) <= col {
				lines[row] = append(lines[row], ' ')
			}
			lines[row][col] = r
			col++
		}
	}
	s := make([]string, len(lines))
	for i, l := range lines {
		s[i] = strings.TrimRight(string(l), " ")
	}
	return s
}

// Issue 23: Ctrl-C at 80 columns left the bar's first line on screen. The
// bar was cut at 79 columns; the terminal echoes Ctrl-C as "^C" at the
// cursor, the "C" wrapped to a line of its own, and clearing the bar's
// line with \r cleared only that one (BAPCtools#18: a wrapped bar is
// only cleared on its last line; svtplay-dl#93: the bar and ^C left on
// screen). At 80 columns, with a bar longer than that, nothing of the bar
// is left after the interrupt.
func TestInterruptAt80ColumnsClearsBar(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	args := []string{"check", "--retries", "0"}
	for i := range 100 {
		args = append(args, site.WikiURL("T"+strconv.Itoa(i)))
	}
	for i := range 200 {
		args = append(args, site.URL()+"/hang?n="+strconv.Itoa(i))
	}
	o := startOnTerminal(t, 80, args...)
	// Done 100 of 300 with a rate and an ETA: well over 80 columns.
	o.waitShown(`checking \S+ 100/300 .* · ETA `)
	if _, err := o.tty.Write([]byte{3}); err != nil { // Ctrl-C, as typed
		t.Fatal(err)
	}
	code, out := o.wait()
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130; terminal %q", code, out)
	}
	lines := screen(out, 80)
	for _, l := range lines {
		if strings.Contains(l, "checking") || strings.ContainsAny(l, "█░") {
			t.Errorf("the bar is left on screen: %q", l)
		}
	}
	if last := strings.Join(lines, "\n"); !strings.Contains(last, "interrupted: 100 done, 64 cut short, 136 not started") {
		t.Errorf("screen ends %q", last[max(0, len(last)-300):])
	}
}

// Issue 23: a bare `fanout check` on a terminal sat at "checking 0 done"
// while the typed lines ran into the bar. It says that it reads URLs from
// standard input and how to end them (pasfmt#34 and flyctl#5138 did the
// same); not when the input is not a terminal, or comes from arguments.
func TestBareCheckOnTerminalSaysStdin(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	const said = "fanout: reading URLs from standard input, one per line (end with Ctrl-D)\r\n"
	o := startOnTerminal(t, 120, "check")
	o.waitShown(regexp.QuoteMeta(said))
	if _, err := o.tty.Write([]byte(site.WikiURL("A") + "\n\x04")); err != nil { // a URL, then Ctrl-D
		t.Fatal(err)
	}
	code, out := o.wait()
	if code != ExitOK || !strings.HasPrefix(out, said) || !strings.Contains(out, site.WikiURL("A")+" - exists") {
		t.Errorf("exit %d, terminal %q", code, out)
	}
	o = startOnTerminal(t, 120, "check", site.WikiURL("A"))
	if code, out := o.wait(); code != ExitOK || strings.Contains(out, "standard input") {
		t.Errorf("with an argument: exit %d, terminal %q", code, out)
	}
	if _, stderr, _ := run(t, context.Background(), site.WikiURL("A"), "check"); strings.Contains(stderr, "standard input") {
		t.Errorf("stdin not a terminal: stderr %q", stderr)
	}
}
