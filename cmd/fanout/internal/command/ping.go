package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/ping"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
	"github.com/spf13/cobra"
)

// Exit statuses of `fanout ping`, which follows fping rather than the other
// commands, so scripts written for fping read it the same way.
const (
	pingExitUnresolved = 2 // some host had no address
	pingExitUsage      = 3
	pingExitSystem     = 4 // no ICMP socket could be opened
)

// pingRecord is one line of `fanout ping` output.
type pingRecord struct {
	Input     string       `json:"input"`
	Line      int          `json:"line"`
	Result    string       `json:"result"` // OK, failed, unresolvable, error
	Address   string       `json:"address,omitempty"`
	Sent      int          `json:"sent"`
	Received  int          `json:"received"`
	LossPct   float64      `json:"loss_pct"`
	MinMS     runio.Millis `json:"min_ms,omitempty"`
	AvgMS     runio.Millis `json:"avg_ms,omitempty"`
	MaxMS     runio.Millis `json:"max_ms,omitempty"`
	Error     string       `json:"error,omitempty"`
	ElapsedMS runio.Millis `json:"elapsed_ms"`
	verbose   bool
	bare      bool // -a or -u as text: the host alone, as fping prints it
}

// The tutorial's words for the two main cases.
const (
	pingOK           = "OK"
	pingFailed       = "failed"
	pingUnresolvable = "unresolvable"
	pingError        = "error" // the input line itself was unusable
)

func (r pingRecord) TextLine() string {
	if r.bare {
		return r.Input
	}
	s := r.Result + " -> " + r.Input
	if !r.verbose {
		return s
	}
	if r.Address != "" && r.Address != r.Input {
		s += " (" + r.Address + ")"
	}
	if r.Result == pingOK || r.Result == pingFailed {
		s += fmt.Sprintf(": %d/%d received, %s%% loss", r.Received, r.Sent, strconv.FormatFloat(r.LossPct, 'f', -1, 64))
		if r.Received > 0 {
			s += fmt.Sprintf(", rtt min/avg/max %.3f/%.3f/%.3f ms", r.MinMS, r.AvgMS, r.MaxMS)
		}
	}
	if r.Error != "" {
		s += ": " + r.Error
	}
	return s
}

func newPingRecord(l runio.Line, r ping.Result, verbose bool) pingRecord {
	rec := pingRecord{Input: l.Text, Line: l.N, Sent: r.Sent, Received: r.Received, LossPct: r.Loss(),
		MinMS: runio.MS(r.MinRTT), AvgMS: runio.MS(r.AvgRTT), MaxMS: runio.MS(r.MaxRTT), ElapsedMS: runio.MS(r.Elapsed), verbose: verbose}
	if r.Addr.IsValid() {
		rec.Address = r.Addr.String()
	}
	if r.Err != nil {
		rec.Error = r.Err.Error()
	}
	switch {
	case r.Alive():
		rec.Result = pingOK
	case r.Unresolved:
		rec.Result = pingUnresolvable
	default:
		rec.Result = pingFailed
	}
	return rec
}

// pingOptions is everything `fanout ping` needs: its flags, parsed.
type pingOptions struct {
	run                          runFlags
	count                        int
	deadline, interval           time.Duration
	v4, v6, verbose              bool
	generate, alive, unreachable bool
	// fping's -t and -r, and which flags were given, as they interact.
	replyTimeout                                   time.Duration
	retries                                        int
	countSet, deadlineSet, intervalSet, retriesSet bool
	// Parsed by validate.
	network    string // ip, ip4 or ip6
	untilReply bool   // -r: a host is done at its first reply
}

func newPing(e *env) *cobra.Command {
	var o pingOptions
	c := &cobra.Command{
		Use:   "ping [HOST... | -g BLOCK | -g START END]",
		Short: "Is each host up? (ICMP echo, many at once)",
		Long: `Ping each host, many at once, as the tutorial's ` + "`ping -c 3 -w 10 host`" + ` does,
with native ICMP echo requests (no ping process per host).

Each line says OK -> HOST when at least one reply came back, failed -> HOST
when none did before the deadline, unresolvable -> HOST when the name has no
address. -v, --json and --csv add requests sent, replies received, loss,
min/avg/max round-trip time and the address pinged.

A host may be a CIDR block (127.0.0.0/28, fd00::/120), here, in -i FILE or
on stdin: it stands for its host addresses as fping -g gives them (an IPv4
block without its network and broadcast addresses, except a /31 or /32; an
IPv6 block whole), expanded one at a time as they are pinged, so a /8 never
sits in memory. -g START END pings every address from START to END. A block
or range may hold at most 16,777,216 addresses (an IPv4 /8, an IPv6 /104);
a larger one is an error.

-a prints only the hosts that answered, -u only those that did not, one
per line and nothing else, as fping's -a and -u do (so the list can go to
xargs); a name that cannot be resolved is said on stderr instead, as by
fping. With -v, --json or --csv they print those hosts' whole records.
Every host still counts for the summary and the exit status.

-c COUNT requests go to each host, --interval apart; -w DEADLINE bounds each
host's whole run, name resolution included (plain numbers are seconds, as
for ping). A host stops early once every request is answered.

fping's way: -r N sends up to N+1 requests, and a host is done at its first
reply (instead of -c); -t MS is how long each request waits for its reply
before the next (plain numbers are milliseconds, as for fping): it sets
--interval, and -w to the requests' total unless -w is given. So
"fanout ping -a -r 1 -t 200 HOST..." answers as "fping -a -r 1 -t 200"
does, without fping's backoff between retries.

-i FILE reads hosts from FILE, as for every fanout command (fping's -i, the
time between requests, is --interval here).

--interval is per host (ping's 1s by default): hosts run concurrently, so
it does not add up over many hosts; a host that never answers holds its
worker until its deadline.

Sockets: unprivileged ICMP sockets (one per host) when
net.ipv4.ping_group_range allows them, else, as root or with CAP_NET_RAW,
one raw socket shared by all hosts; the summary says which. When neither is
allowed, fanout says how to enable one and exits 4.

Exit status (as fping's, not as the other fanout commands'): 0 when every
host answered, 1 when some did not, 2 when some name could not be resolved
(or an input line was unusable; 2 wins over 1), 3 for usage errors, 4 when no
ICMP socket can be opened, 130 when interrupted. Ctrl-C prints what each
host in flight had answered so far, as fping does, then the summary.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			changed := c.Flags().Changed
			o.countSet, o.deadlineSet, o.intervalSet, o.retriesSet = changed("count"), changed("deadline"), changed("interval"), changed("retries")
			return pingUsageStatus(e, runPing(c.Context(), e, &o, args))
		},
	}
	// Flag syntax errors come here rather than to root's handler, which
	// would exit 2: for ping, 2 means an unresolvable host.
	c.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return pingUsageStatus(e, usageError{peerFlagError(c, err)})
	})
	o.add(c)
	return c
}

// add declares ping's flags.
func (o *pingOptions) add(c *cobra.Command) {
	f := c.Flags()
	f.IntVarP(&o.count, "count", "c", 3, "echo requests per host (ping -c)")
	durationVar(f, &o.deadline, "deadline", "w", 10*time.Second, "time limit per host, resolution included, in seconds or as a duration (ping -w)")
	durationVar(f, &o.interval, "interval", "", time.Second, "time between one host's requests (ping -i)")
	f.VarP(msValue{&o.replyTimeout}, "reply-timeout", "t", "fping -t: how long each request waits for its reply, in milliseconds (500) or as a duration (0.5s); sets --interval, and -w unless given")
	f.IntVarP(&o.retries, "retries", "r", 0, "fping -r: up to N+1 requests per host, done at the first reply (instead of -c)")
	f.BoolVarP(&o.v4, "ipv4", "4", false, "IPv4 only: resolve names to IPv4 addresses")
	f.BoolVarP(&o.v6, "ipv6", "6", false, "IPv6 only: resolve names to IPv6 addresses")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "text lines add sent, received, loss, round-trip times and the address")
	f.BoolVarP(&o.generate, "generate", "g", false, "the arguments are a CIDR block, or START END: ping every address of it (fping -g)")
	f.BoolVarP(&o.alive, "alive", "a", false, "print only the hosts that answered, one per line (fping -a)")
	f.BoolVarP(&o.unreachable, "unreachable", "u", false, "print only the hosts that did not answer, one per line (fping -u)")
	o.run.add(c, workersFlag{def: 256, usage: "hosts pinged at once", noShort: true}, runAll)
}

// fpingMode applies fping's -r and -t: -r N is N+1 requests, the host
// done at its first reply; -t is the wait for each reply, hence the
// interval, and the deadline of them all unless -w is given.
func (o *pingOptions) fpingMode() (untilReply bool, err error) {
	if o.retriesSet {
		switch {
		case o.countSet:
			return false, usagef("-r and -c exclude each other: -r N sends up to N+1 requests and stops at the first reply")
		case o.retries < 0:
			return false, usagef("-r cannot be negative")
		}
		o.count, untilReply = o.retries+1, true
	}
	if o.replyTimeout > 0 {
		if o.intervalSet {
			return false, usagef("-t and --interval exclude each other: -t MS sets the time between requests")
		}
		o.interval = o.replyTimeout
		if !o.deadlineSet {
			o.deadline = time.Duration(o.count) * o.replyTimeout
		}
	}
	return untilReply, nil
}

// msValue is fping's -t: plain numbers are milliseconds.
type msValue struct{ d *time.Duration }

func (v msValue) String() string {
	if v.d == nil || *v.d == 0 {
		return ""
	}
	return v.d.String()
}

func (v msValue) Type() string { return "ms" }

func (v msValue) Set(s string) error {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f <= 0 || f > float64(1<<63-1)/float64(time.Millisecond) {
			return fmt.Errorf("%q is out of range", s)
		}
		*v.d = time.Duration(f * float64(time.Millisecond))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("want milliseconds (500) or a duration (0.5s)")
	}
	*v.d = d
	return nil
}

// fpingInterval is the usage error for fping's -i MS: fanout's -i is the
// input file, everywhere; a number that names no file is fping's.
func fpingInterval(input string) error {
	if _, err := strconv.ParseFloat(input, 64); err != nil {
		return nil
	}
	if _, err := os.Stat(input); err == nil {
		return nil
	}
	return usagef("-i %s: no such file (-i reads hosts from a file); fping's -i, the time between requests, is --interval %sms here", input, input)
}

// pingUsageStatus turns a usage error into ping's exit status 3, printing
// the message as Main does for the other commands.
func pingUsageStatus(e *env, err error) error {
	var ue usageError
	if !errors.As(err, &ue) {
		return err
	}
	fmt.Fprintln(e.stderr, "fanout ping:", ue.err)
	fmt.Fprintln(e.stderr, "Run 'fanout ping --help' for usage.")
	return exitError{pingExitUsage}
}

// validate refuses what ping cannot do, before anything runs, and
// applies fping's -r and -t.
func (o *pingOptions) validate() error {
	if err := fpingInterval(o.run.input); err != nil {
		return err
	}
	var err error
	if o.untilReply, err = o.fpingMode(); err != nil {
		return err
	}
	o.network = "ip"
	switch {
	case o.count < 1:
		return usagef("-c must be at least 1")
	case o.deadline <= 0:
		return usagef("-w must be positive")
	case o.interval <= 0:
		return usagef("--interval must be positive")
	case o.v4 && o.v6:
		return usagef("-4 and -6 exclude each other")
	case o.alive && o.unreachable:
		return usagef("-a and -u exclude each other")
	case o.v4:
		o.network = "ip4"
	case o.v6:
		o.network = "ip6"
	}
	return nil
}

// runPing pings each host the flags and args name.
func runPing(ctx context.Context, e *env, o *pingOptions, args []string) error {
	if err := o.validate(); err != nil {
		return err
	}
	format, err := o.run.format()
	if err != nil {
		return err
	}
	// Input mistakes are usage errors (3) even where no ICMP socket can be
	// opened (4): check them before Detect.
	hosts, err := pingHosts(ctx, e, &o.run, args, o.generate)
	if err != nil {
		return err
	}
	defer hosts.close()
	// Once per run, not per host: one message, not a thousand.
	mode, err := ping.Detect(o.v6)
	if err != nil {
		fmt.Fprintln(e.stderr, "fanout ping:", err)
		return exitError{pingExitSystem}
	}
	if !o.generate {
		sayReadingTerminal(e, &o.run, args, "hosts")
	}
	bare := (o.alive || o.unreachable) && format == runio.Text && !o.verbose
	show, write := o.output(bare)
	return runSpec(ctx, e, &o.run, nil, spec[pingRecord]{
		write: write,
		lines: hosts.lines,
		total: func() int64 { return hosts.total },
		show:  show,
		newJob: func(int) (job[pingRecord], func()) {
			p := ping.New(ping.Options{Count: o.count, Interval: o.interval, Deadline: o.deadline, Mode: mode, Network: o.network, UntilReply: o.untilReply})
			return pingJob(p, o.verbose, bare), p.Close
		},
		outcome:  func(r pingRecord) string { return r.Result },
		outcomes: []string{pingOK, pingFailed, pingUnresolvable, pingError},
		what:     "pinging",
		summary: func(w io.Writer, t *runio.Tally) {
			fmt.Fprintf(w, "%s; %s\n", t.Summary("pinged"), mode)
		},
		// fping's statuses: an unresolvable name or unusable line (2)
		// wins over a host that did not answer (1).
		exit: func(t *runio.Tally) int {
			switch {
			case t.Count(pingUnresolvable)+t.Count(pingError) > 0:
				return pingExitUnresolved
			case t.Count(pingFailed) > 0:
				return ExitSome
			}
			return ExitOK
		},
	})
}

// output is which records -a and -u print, and, bare (the hosts alone, as
// fping prints them), how.
func (o *pingOptions) output(bare bool) (show func(pingRecord) bool, write func(*runio.Writer, io.Writer, pingRecord) error) {
	show = func(pingRecord) bool { return true }
	switch {
	case o.alive:
		show = func(r pingRecord) bool { return r.Result == pingOK }
	case o.unreachable:
		show = func(r pingRecord) bool { return r.Result != pingOK }
	}
	if !bare {
		return show, nil
	}
	// fping lists the hosts on stdout and says on stderr which could not
	// be pinged at all, whichever of -a and -u.
	shown := show
	show = func(r pingRecord) bool { return shown(r) || r.Result == pingUnresolvable || r.Result == pingError }
	write = func(out *runio.Writer, stderr io.Writer, r pingRecord) error {
		if r.Result == pingUnresolvable || r.Result == pingError {
			fmt.Fprintf(stderr, "%s: %s\n", r.Input, r.Error)
			return nil
		}
		return out.Write(r)
	}
	return show, write
}

// pingIn are ping's hosts: the lines of the arguments, -i or stdin with
// each CIDR block expanded, or -g's block or range.
type pingIn struct {
	lines iter.Seq[runio.Line]
	total int64 // -1: unknown
	close func()
}

// pingHosts reads the hosts. A CIDR block among the arguments that cannot
// be expanded is a usage error; in a file or on stdin it is an error
// record of its own, and the run goes on.
func pingHosts(ctx context.Context, e *env, rf *runFlags, args []string, generate bool) (*pingIn, error) {
	if generate {
		var b ping.Block
		var err error
		switch {
		case rf.input != "":
			return nil, usagef("-g takes its block or range as arguments, not with -i")
		case len(args) == 1:
			var ok bool
			if b, ok, err = ping.ParseBlock(args[0]); !ok {
				return nil, usagef("-g %s: want a CIDR block (127.0.0.0/28), or START END", args[0])
			}
		case len(args) == 2:
			b, err = ping.Range(args[0], args[1])
		default:
			return nil, usagef("-g takes a CIDR block, or START END (%d arguments given)", len(args))
		}
		if err != nil {
			return nil, usageError{err}
		}
		return &pingIn{lines: blockLines(1, b), total: b.Len(), close: func() {}}, nil
	}
	total := int64(len(args))
	for _, a := range args {
		if b, ok, err := ping.ParseBlock(a); err != nil {
			return nil, usageError{err}
		} else if ok {
			total += b.Len() - 1
		}
	}
	lines, done, err := rf.lines(ctx, e, args)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		total = -1
	}
	return &pingIn{lines: expandBlocks(lines), total: total, close: done}, nil
}

// expandBlocks yields lines with each CIDR block replaced by its hosts,
// which keep the block's line number.
func expandBlocks(lines iter.Seq[runio.Line]) iter.Seq[runio.Line] {
	return func(yield func(runio.Line) bool) {
		for l := range lines {
			if l.Err == nil {
				b, ok, err := ping.ParseBlock(strings.TrimSpace(l.Text))
				switch {
				case err != nil:
					l.Err = err
				case ok:
					for h := range blockLines(l.N, b) {
						if !yield(h) {
							return
						}
					}
					continue
				}
			}
			if !yield(l) {
				return
			}
		}
	}
}

// blockLines yields b's addresses as lines numbered n.
func blockLines(n int, b ping.Block) iter.Seq[runio.Line] {
	return func(yield func(runio.Line) bool) {
		for a := range b.All() {
			if !yield(runio.Line{N: n, Text: a.String()}) {
				return
			}
		}
	}
}

// pingJob pings one line's host with p.
func pingJob(p *ping.Pinger, verbose, bare bool) job[pingRecord] {
	return job[pingRecord]{
		do: func(ctx context.Context, l runio.Line) pingRecord {
			rec := newPingRecord(l, p.Ping(ctx, strings.TrimSpace(l.Text)), verbose)
			rec.bare = bare
			return rec
		},
		invalid: func(l runio.Line) pingRecord {
			return pingRecord{Input: l.Text, Line: l.N, Result: pingError, Error: l.Err.Error(), LossPct: 100, verbose: verbose, bare: bare}
		},
		passed: func(r pingRecord) bool { return r.Result == pingOK },
		// On Ctrl-C fping prints what each host answered so far.
		keepCut: true,
	}
}
