// Command fanout runs I/O-bound jobs concurrently. See `fanout --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/command"
)

func main() {
	// The first Ctrl-C (or SIGTERM) interrupts: no new input starts,
	// running work is cancelled, every finished record is still written.
	// The second forces: job process groups are killed at once. The third
	// exits on the spot.
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, interrupt := context.WithCancel(context.Background())
	force := make(chan struct{})
	go func() {
		<-sigs
		interrupt()
		<-sigs
		close(force)
		<-sigs
		os.Exit(130)
	}()
	code := command.Main(ctx, force, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	os.Exit(code)
}
