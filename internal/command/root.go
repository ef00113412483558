// Package command is the fanout command line: one cobra command per job,
// each a thin layer over the package that does the job.
package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

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
}

// commands lists the subcommands; each command's file adds its constructor
// in an init function, so adding a command touches no shared file.
var commands []func(*env) *cobra.Command

// exitError carries a command's exit status through cobra.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError marks a usage problem: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// Main runs the fanout command line with args (without the program name)
// and returns the exit status. ctx ending (Ctrl-C) interrupts the job.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "fanout",
		Short:         "Run I/O-bound jobs concurrently: check URLs, and more",
		Long:          "fanout runs I/O-bound jobs concurrently, the way Python's ThreadPoolExecutor tutorials do, done properly.\n\nStart with `fanout demo`.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	for _, newCmd := range commands {
		root.AddCommand(newCmd(e))
	}
	err := root.ExecuteContext(ctx)
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue) || isCobraUsage(err):
		fmt.Fprintln(stderr, "fanout:", err)
		fmt.Fprintln(stderr, "Run 'fanout --help' for usage.")
		return ExitUsage
	}
	fmt.Fprintln(stderr, "fanout:", err)
	return ExitSome
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
