package command

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// Namespace setups for runNetns. Nothing a test pings leaves the machine:
// each runs in a network namespace of its own whose only interfaces are lo
// and, for dropHost, a bridge with no ports.
const (
	// dropHost: 127.0.0.2 stops being local and is routed into a bridge
	// with no ports, which drops every packet: a host that never answers.
	// (No iptables needed; other 127.x addresses except 127.0.0.1 become
	// unroutable, so tests use 127.0.0.1, 127.0.0.2 and ::1.)
	dropHost = `ip link add b0 type bridge; ip link set b0 up
sysctl -qw net.ipv4.conf.b0.route_localnet=1 net.ipv4.conf.all.route_localnet=1
ip route del local 127.0.0.0/8 dev lo table local
ip route add 127.0.0.2/32 dev b0 src 127.0.0.1
ip neigh add 127.0.0.2 lladdr 02:00:00:00:00:02 dev b0 nud permanent`
	// pingSockets allows unprivileged ICMP sockets in the namespace only.
	pingSockets = `sysctl -qw net.ipv4.ping_group_range="0 2147483647"`
)

// runNetns runs the fanout binary with args in a new network namespace
// prepared by the shell commands setup (lo is up), as the user asUser
// ("" for this one), and returns stdout, stderr and the exit status.
//
// It needs root, unshare (util-linux), ip (iproute2) and sysctl (procps):
// without them it skips with the reason (fails in CI, where FANOUT_CI=1),
// and FANOUT_NO_NETNS=1 skips it anyway.
func runNetns(t *testing.T, setup, asUser string, args ...string) (string, string, int) {
	t.Helper()
	if os.Getenv("FANOUT_NO_NETNS") == "1" {
		t.Skip("FANOUT_NO_NETNS=1: not making a network namespace")
	}
	tools := []string{"root", "unshare", "ip", "sysctl"}
	if asUser != "" {
		tools = append(tools, "setpriv")
	}
	proctest.Needs(t, tools...)
	bin := buildFanout(t)
	script := "ip link set lo up\n" + setup + "\n"
	if asUser != "" {
		// The binary must be readable by that user: TestMain's directory is not.
		dir, err := os.MkdirTemp("", "fanout-ping")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		os.Chmod(dir, 0o755)
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		bin = filepath.Join(dir, "fanout")
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
		script += "exec setpriv --reuid=" + asUser + " --regid=" + asUser + ` --clear-groups --inh-caps=-all --bounding-set=-all "$@"`
	} else {
		script += `exec "$@"`
	}
	cmd := exec.Command("unshare", append([]string{"-n", "sh", "-ec", script, "sh", bin}, args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code, ok := exitStatus(err)
	if !ok {
		t.Fatalf("running fanout %v in a network namespace: %v\n%s", args, err, errb.String())
	}
	return out.String(), errb.String(), code
}

// sortedLines returns out's lines, sorted (results come as they finish).
func sortedLines(out string) []string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	sort.Strings(lines)
	return lines
}

// The tutorial's lines, and fping's exit statuses: 0 all alive, 1 some
// unreachable, 2 some unresolvable, 2 winning over 1 (fping #92: exit 2
// for unresolvable names had regressed to 1). fping #357: an unresolvable
// name still gets a line of its own. Both socket kinds.
func TestPingExitStatuses(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct{ name, setup, summary string }{
		{"raw", dropHost, "one shared raw ICMP socket"},
		{"unprivileged", dropHost + "\n" + pingSockets, "unprivileged ICMP sockets"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			// The namespace has no route to any DNS server: a name fails at once.
			const bad = "no-such-host.invalid"
			for _, c := range []struct {
				hosts []string
				code  int
				lines []string
			}{
				{[]string{"127.0.0.1", "::1"}, 0, []string{"OK -> 127.0.0.1", "OK -> ::1"}},
				{[]string{"127.0.0.1", "127.0.0.2"}, 1, []string{"OK -> 127.0.0.1", "failed -> 127.0.0.2"}},
				{[]string{"127.0.0.1", bad}, 2, []string{"OK -> 127.0.0.1", "unresolvable -> " + bad}},
				{[]string{"127.0.0.2", bad, "::1"}, 2, []string{"OK -> ::1", "failed -> 127.0.0.2", "unresolvable -> " + bad}},
			} {
				args := append([]string{"ping", "-c", "2", "--interval", "0.05", "-w", "1"}, c.hosts...)
				out, stderr, code := runNetns(t, mode.setup, "", args...)
				if code != c.code {
					t.Errorf("%v: exit %d, want %d\n%s%s", c.hosts, code, c.code, out, stderr)
				}
				if got := sortedLines(out); strings.Join(got, "|") != strings.Join(c.lines, "|") {
					t.Errorf("%v: lines %q, want %q", c.hosts, got, c.lines)
				}
				if !strings.Contains(stderr, mode.summary) || !strings.Contains(stderr, "pinged:") {
					t.Errorf("%v: summary %q does not say %q", c.hosts, stderr, mode.summary)
				}
			}
		})
	}
}

// pro-bing #104 and fping #206: with many hosts in flight, a host that
// never answers must not be handed another host's reply, and every host
// that answers must be seen. 300 pings to 127.0.0.1 and ::1 around one
// silent host.
func TestPingManyAroundASilentHost(t *testing.T) {
	t.Parallel()
	args := []string{"ping", "-c", "1", "-w", "2", "-q", "--workers", "300", "127.0.0.2"}
	for i := range 300 {
		args = append(args, []string{"127.0.0.1", "::1"}[i%2])
	}
	out, _, code := runNetns(t, dropHost, "", args...)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if n := strings.Count(out, "OK -> "); n != 300 {
		t.Errorf("%d hosts answered, want 300", n)
	}
	if n := strings.Count(out, "failed -> 127.0.0.2\n"); n != 1 || strings.Count(out, "\n") != 301 {
		t.Errorf("want one failed line for 127.0.0.2 among 301:\n%s", out)
	}
}

// --json, --csv and -v carry sent, received, loss, min/avg/max and the
// address; a silent host has 100% loss and no times.
func TestPingFormats(t *testing.T) {
	t.Parallel()
	out, _, code := runNetns(t, dropHost, "", "ping", "--json", "--ordered", "-c", "2", "--interval", "0.05", "-w", "1", "127.0.0.1", "127.0.0.2", "::1")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	recs := jsonLines[pingRecord](t, out)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3:\n%s", len(recs), out)
	}
	for _, i := range []int{0, 2} {
		r := recs[i]
		if r.Result != "OK" || r.Sent != 2 || r.Received != 2 || r.LossPct != 0 || r.Address != r.Input ||
			r.MinMS <= 0 || r.MinMS > r.AvgMS || r.AvgMS > r.MaxMS {
			t.Errorf("record %+v", r)
		}
	}
	if r := recs[1]; r.Input != "127.0.0.2" || r.Result != "failed" || r.Sent != 2 || r.Received != 0 || r.LossPct != 100 || r.MinMS != 0 {
		t.Errorf("silent host's record %+v", r)
	}
	if !strings.Contains(out, `"min_ms"`) || strings.Contains(strings.Split(out, "\n")[1], `"min_ms"`) {
		t.Errorf("times must be present for answers and absent without:\n%s", out)
	}

	out, _, _ = runNetns(t, dropHost, "", "ping", "--csv", "--ordered", "-c", "1", "-w", "1", "127.0.0.1", "127.0.0.2")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("csv %v:\n%s", err, out)
	}
	want := []string{"input", "line", "result", "address", "sent", "received", "loss_pct", "min_ms", "avg_ms", "max_ms", "error", "elapsed_ms"}
	if strings.Join(rows[0], ",") != strings.Join(want, ",") {
		t.Errorf("header %v", rows[0])
	}
	if rows[1][2] != "OK" || rows[1][4] != "1" || rows[1][5] != "1" || rows[1][7] == "" {
		t.Errorf("row %v", rows[1])
	}
	if rows[2][2] != "failed" || rows[2][6] != "100" || rows[2][7] != "" {
		t.Errorf("row %v", rows[2])
	}

	out, _, _ = runNetns(t, pingSockets, "", "ping", "-v", "-c", "2", "--interval", "0.05", "localhost")
	if !strings.HasPrefix(out, "OK -> localhost (") || !strings.Contains(out, "2/2 received, 0% loss, rtt min/avg/max ") {
		t.Errorf("-v line %q", out)
	}
}

// pro-bing #83 ("socket: permission denied" with no hint): with ping
// sockets disabled and no CAP_NET_RAW, one message, not one per host, that
// names the sysctl and setcap, and exit 4 (fping's "system call failure").
func TestPingNoPermission(t *testing.T) {
	t.Parallel()
	out, stderr, code := runNetns(t, `sysctl -qw net.ipv4.ping_group_range="1 0"`, "65534", "ping", "127.0.0.1", "::1", "localhost")
	if code != 4 || out != "" {
		t.Errorf("exit %d, stdout %q; want 4 and nothing", code, out)
	}
	if n := strings.Count(stderr, "net.ipv4.ping_group_range"); n < 1 || strings.Count(stderr, "setcap cap_net_raw+ep") != 1 ||
		!strings.Contains(stderr, `sudo sysctl -w net.ipv4.ping_group_range="0 2147483647"`) || strings.Count(stderr, "fanout ping:") != 1 {
		t.Errorf("want one message naming the sysctl and setcap:\n%s", stderr)
	}
}

// Ping's usage errors exit 3 as fping's do (2 means unresolvable), flag
// syntax errors included; the other commands keep 2.
func TestPingUsageExitsThree(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"ping", "--bogus", "127.0.0.1"},
		{"ping", "-c", "x", "127.0.0.1"},
		{"ping", "-c", "0", "127.0.0.1"},
		{"ping", "-w", "0", "127.0.0.1"},
		{"ping", "--interval", "-1", "127.0.0.1"},
		{"ping", "--workers", "0", "127.0.0.1"},
		{"ping", "-4", "-6", "127.0.0.1"},
		{"ping", "--json", "--csv", "127.0.0.1"},
		{"ping", "-i", "/no/such/file"},
		{"ping", "-i", "/dev/null", "127.0.0.1"},
		{"ping", "127.0.0.0/7"},                  // over the cap
		{"ping", "127.0.0.0/33"},                 // not a block
		{"ping", "-g", "127.0.0.1"},              // not a block
		{"ping", "-g", "127.0.0.1", "::1"},       // two families
		{"ping", "-g", "127.0.0.2", "127.0.0.1"}, // backwards
		{"ping", "-g", "127.0.0.1", "127.0.0.2", "127.0.0.3"},
		{"ping", "-g", "-i", "/dev/null"},
		{"ping", "-a", "-u", "127.0.0.1"},
	} {
		out, stderr, code := run(t, context.Background(), "", args...)
		if code != pingExitUsage || out != "" || !strings.Contains(stderr, "fanout ping") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 3 and a message", args, code, out, stderr)
		}
	}
	if _, _, code := run(t, context.Background(), "", "check", "--bogus"); code != ExitUsage {
		t.Errorf("check --bogus: exit %d; the other commands keep 2", code)
	}
}

// Ctrl-C while hosts are waiting for replies: the host still waiting is
// printed with what it had (nothing: failed), the summary says
// interrupted, exit 130.
func TestPingInterrupted(t *testing.T) {
	t.Parallel()
	if os.Getenv("FANOUT_NO_NETNS") == "1" {
		t.Skip("FANOUT_NO_NETNS=1")
	}
	bin := buildFanout(t)
	proctest.Needs(t, "root", "unshare", "ip")
	cmd := exec.Command("unshare", "-n", "sh", "-ec", "ip link set lo up\n"+dropHost+"\nexec \"$@\"", "sh", bin,
		"ping", "-c", "1", "-w", "60", "127.0.0.1", "127.0.0.2")
	var out, errb proctest.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("needs root and unshare (FANOUT_NO_NETNS=1 to skip): %v", err)
	}
	// Wait for 127.0.0.1's line: 127.0.0.2 is then waiting on its deadline.
	if !proctest.Poll(func() bool { return strings.Contains(out.String(), "OK -> 127.0.0.1") }) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no result for 127.0.0.1 in %v: %q %q", proctest.Deadline, out.String(), errb.String())
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("exit %v, want 130; stderr %q", err, errb.String())
	}
	if !strings.Contains(errb.String(), "2 pinged: 1 OK, 1 failed") || !strings.Contains(out.String(), "failed -> 127.0.0.2") ||
		!strings.Contains(errb.String(), "interrupted: 1 done, 1 cut short, 0 not started") {
		t.Errorf("stdout %q, stderr %q", out.String(), errb.String())
	}
}

// A line that cannot be a host (not UTF-8) is an error record of its own,
// the run goes on, and the status is 2, as for a name with no address.
func TestPingBadInputLine(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(file, []byte("# hosts\n127.0.0.1\n\xff\xfe\n::1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := runNetns(t, "", "", "ping", "--json", "--ordered", "-c", "1", "-i", file)
	if code != pingExitUnresolved {
		t.Errorf("exit %d, want 2", code)
	}
	recs := jsonLines[pingRecord](t, out)
	if len(recs) != 3 || recs[0].Result != "OK" || recs[1].Result != "error" || recs[1].Line != 3 ||
		!strings.Contains(recs[1].Error, "not valid UTF-8") || recs[2].Result != "OK" {
		t.Errorf("records %+v", recs)
	}
}

// Issue 23: fping's users pipe `fping -a` into xargs; fanout's -a and -u
// printed "OK -> HOST". Now they print the bare host, one per line, and
// an unresolvable name on stderr only, byte for byte as fping -a and -u
// (fping#271: -a is the list of hosts alone). The same arguments, fping's
// -r and -t included, go to both, in a namespace where 127.0.0.2 never
// answers; the exit statuses agree too.
func TestPingAliveUnreachableAsFping(t *testing.T) {
	t.Parallel()
	const bad = "no-such-host.invalid"
	for _, flag := range []string{"-a", "-u"} {
		args := []string{flag, "-r", "1", "-t", "200", "127.0.0.1", "127.0.0.2", "::1", bad}
		out, stderr, code := runNetns(t, dropHost, "", append([]string{"ping"}, args...)...)
		if !strings.HasPrefix(stderr, bad+": ") {
			t.Errorf("%s: stderr %q, want the unresolvable name first", flag, stderr)
		}
		want := map[string]string{"-a": "127.0.0.1\n::1\n", "-u": "127.0.0.2\n"}[flag]
		if got := strings.Join(sortedLines(out), "\n") + "\n"; got != want || code != 2 {
			t.Errorf("%s: stdout %q, exit %d; want %q, 2", flag, out, code, want)
		}
		peer, peerCode, ok := netnsPeer(t, dropHost, append([]string{"fping"}, args...)...)
		if !ok {
			continue
		}
		if a, b := sortedLines(out), sortedLines(peer); !slices.Equal(a, b) || code != peerCode {
			t.Errorf("%s: fanout %q exit %d, fping %q exit %d", flag, a, code, b, peerCode)
		}
	}
	// -v and --json keep the whole record.
	out, _, _ := runNetns(t, dropHost, "", "ping", "-a", "--json", "-c", "1", "127.0.0.1")
	if recs := jsonLines[pingRecord](t, out); len(recs) != 1 || recs[0].Result != pingOK || recs[0].Address != "127.0.0.1" {
		t.Errorf("-a --json: %q", out)
	}
	if out, _, _ := runNetns(t, dropHost, "", "ping", "-a", "-v", "-c", "1", "127.0.0.1"); !strings.HasPrefix(out, "OK -> 127.0.0.1: 1/1 received") {
		t.Errorf("-a -v: %q", out)
	}
}

// fping's -r N: up to N+1 requests, a host done at its first reply; -t MS
// each request's wait, in milliseconds. An answering host costs one
// request, a silent one all N+1.
func TestPingFpingRetries(t *testing.T) {
	t.Parallel()
	out, stderr, code := runNetns(t, dropHost, "", "ping", "--json", "--ordered", "-r", "3", "-t", "100", "127.0.0.1", "127.0.0.2")
	recs := jsonLines[pingRecord](t, out)
	if code != ExitSome || len(recs) != 2 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if r := recs[0]; r.Result != pingOK || r.Sent != 1 || r.Received != 1 {
		t.Errorf("127.0.0.1: %+v; want 1 request, answered", r)
	}
	if r := recs[1]; r.Result != pingFailed || r.Sent != 4 || r.Received != 0 {
		t.Errorf("127.0.0.2: %+v; want 4 requests, none answered", r)
	}
}

// fping's -i MS is the interval; fanout's -i is the input file on every
// command. A number that names no file gets an error naming --interval.
// -r and -c, -t and --interval exclude each other.
func TestPingFpingUsage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ping", "-i", "10"}, "fanout ping: -i 10: no such file (-i reads hosts from a file); fping's -i, the time between requests, is --interval 10ms here\n"},
		{[]string{"ping", "-r", "1", "-c", "2", "127.0.0.1"}, "-r and -c exclude each other"},
		{[]string{"ping", "-t", "100", "--interval", "1", "127.0.0.1"}, "-t and --interval exclude each other"},
		{[]string{"ping", "-t", "0", "127.0.0.1"}, `"0" is out of range`},
		{[]string{"ping", "-r", "-1", "127.0.0.1"}, "-r cannot be negative"},
	} {
		out, stderr, code := run(t, context.Background(), "", c.args...)
		if code != pingExitUsage || out != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 3 and %q", c.args, code, out, stderr, c.want)
		}
	}
}
