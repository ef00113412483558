// Package command is the fanout command line: one cobra command per job,
// each a thin layer over the package that does the job.
//
// Every command has one shape: xOptions holds its flags (add declares
// them, validate refuses a usage error before anything runs); newX is the
// cobra command, wiring only; runX builds the command's spec and hands it
// to runSpec, the one run path (inputs, --resume, --shard, --compare,
// output, summary, interrupts, exit status). The flags several commands
// share are declared once: runFlags (--workers and the run path's) and
// httpFlags (the requests').
package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/version"
	"github.com/spf13/cobra"
)

// Exit statuses shared by every command.
const (
	ExitOK          = 0
	ExitSome        = 1 // the job ran, and some inputs did not pass
	ExitUsage       = 2
	ExitInterrupted = 130
)

// env is what a command reads and writes, so tests can run it in process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// force is closed by a second Ctrl-C: stop at once (exec kills its
	// jobs' process groups without waiting out --kill-grace).
	force <-chan struct{}
}

// exitError carries a command's exit status through cobra.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError marks a usage problem: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// Main runs the fanout command line with args (without the program name)
// and returns the exit status. ctx ending (the first Ctrl-C) interrupts the
// run, which still writes every finished record; force closing (the
// second) makes it stop at once.
func Main(ctx context.Context, force <-chan struct{}, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	tuneGC()
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, force: force}
	root := newRoot(e)
	if len(args) > 0 {
		if c, _, err := root.Find(args[:1]); err == nil && c != root {
			args = append(args[:1:1], peerArgs(c, args[1:])...)
		}
	}
	root.SetArgs(args)
	c, err := root.ExecuteContextC(ctx)
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue) || isCobraUsage(err):
		fmt.Fprintln(stderr, "fanout:", err)
		// The help of the command that refused, where the flags are.
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", c.CommandPath())
		return ExitUsage
	}
	fmt.Fprintln(stderr, "fanout:", err)
	return ExitSome
}

// tuneGC makes the collector run less often than Go's default when the
// user has set neither GOGC nor GOMEMLIMIT: the commands stream their
// inputs, so the live heap stays at a few MB and the collector would run
// at its 4 MB minimum, hundreds of times a second in a fast check. GOGC=400
// makes that minimum 16 MB; the soft limit keeps a run with a large live
// heap (a --resume journal of millions) from growing five-fold.
func tuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(256 << 20)
}

// newRoot is the command tree.
func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "fanout",
		Short: "Run I/O-bound jobs concurrently: check URLs, and more",
		Long: `fanout runs I/O-bound jobs concurrently, the way Python's ThreadPoolExecutor
tutorials do, done properly: many at once, bounded, every result kept.
Start with ` + "`fanout demo`" + `.

Every command reads its inputs from arguments, -i FILE or stdin, as a
stream, and writes one record per input as it finishes (--ordered: in input
order), as text, --json lines or --csv, with a summary and, on a terminal, a
progress bar on stderr.

Ctrl-C stops taking input and cancels what runs, and still prints (and
journals, with --resume) every record that finished, then says what was
left: "interrupted: N done, M cut short, K not started"; exit status 130.
A second Ctrl-C stops at once.

--resume FILE continues a killed run where it stopped; --shard K/N splits the
inputs across N machines; --timeline FILE.html draws what each worker did.
Durations are Go durations or plain seconds (5, 0.5, 1m); sizes 512, 10KB,
1.5MiB.`,
		Version:       version.Long(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetVersionTemplate("fanout {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{peerFlagError(c, err)} })
	root.AddCommand(
		newCheck(e),
		newProbe(e),
		newGet(e),
		newPing(e),
		newExec(e),
		newReplace(e),
		newLinks(e),
		newDemo(e),
	)
	return root
}

// isCobraUsage recognises cobra's own complaints (unknown command, bad args).
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
