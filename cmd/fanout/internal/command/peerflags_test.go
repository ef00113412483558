package command

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
)

// Issue 23: httpx's `-sc -title -mc 200 -l urls.txt` was refused ("unknown
// shorthand flag: 's' in -sc"): pflag reads a single-dash word as a group
// of one-letter flags, where httpx (runner/options.go: "status-code", "sc")
// takes it as one flag. probe takes them: -l is -i, -mc --match-code, and
// -sc and -title ask for what probe always shows.
func TestPeerFlagsHttpxProbe(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	ok, missing := site.WikiURL("Ocean"), site.URL()+"/wiki/this_page_does_not_exist"
	list := filepath.Join(t.TempDir(), "urls.txt")
	if err := os.WriteFile(list, []byte(ok+"\n"+missing+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := run(t, context.Background(), "", "probe", "-sc", "-title", "-cl", "-ct", "-mc", "200", "-l", list)
	if code != ExitSome { // the 404 is counted, though not printed
		t.Fatalf("exit %d, want 1; stderr %q", code, stderr)
	}
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(ok) + ` \[200\] \[Ocean - Wikipedia\] \[text/html\] \[\d+ B\] \[[\d.]+ms\]\n$`).MatchString(out) {
		t.Errorf("stdout %q: want the 200 alone", out)
	}
	// The same with "=" and httpx's long names.
	out2, _, _ := run(t, context.Background(), "", "probe", "-status-code", "--fc=404", "-list="+list, "-silent")
	if strings.Count(out2, "\n") != 1 || !strings.HasPrefix(out2, ok+" [200]") {
		t.Errorf("-fc=404 -list=FILE: stdout %q", out2)
	}
}

// A peer flag fanout does not take is refused with exit 2 naming fanout's
// form, and the usage line names the subcommand's help, where that form
// is described (before: "unknown flag" and "Run 'fanout --help'").
func TestPeerFlagsRefusedNameFanoutForm(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "-rl", "5", "http://127.0.0.1:1/"}, "unknown flag -rl (httpx's); in fanout: --rate N"},
		{[]string{"check", "-sc", "http://127.0.0.1:1/"}, "unknown flag -sc (httpx's); in fanout: fanout probe"},
		{[]string{"check", "--format", "json", "http://127.0.0.1:1/"}, "unknown flag --format (lychee's); in fanout: --json or --csv"},
		{[]string{"probe", "-t", "5", "http://127.0.0.1:1/"}, "in fanout: --workers N (httpx -t), or --retries N (wget -t)"},
		{[]string{"get", "-o", "page.html", "http://127.0.0.1:1/"}, "unknown flag -o (curl's); in fanout: --dir DIR"},
		{[]string{"check", "-P", "4", "http://127.0.0.1:1/"}, "unknown flag -P (xargs's); in fanout: --workers N"},
		{[]string{"check", "-qP", "4", "http://127.0.0.1:1/"}, "unknown flag -P (xargs's); in fanout: --workers N"},
		{[]string{"replace", "--jobs", "4", "a", "b"}, "unknown flag --jobs (parallel's); in fanout: --workers N"},
	} {
		out, stderr, code := run(t, context.Background(), "", c.args...)
		if code != ExitUsage || out != "" {
			t.Errorf("%q: exit %d, stdout %q; want 2 and nothing", c.args, code, out)
		}
		if help := "Run 'fanout " + c.args[0] + " --help' for usage.\n"; !strings.Contains(stderr, c.want) || !strings.HasSuffix(stderr, help) {
			t.Errorf("%q: stderr %q, want %q and %q", c.args, stderr, c.want, help)
		}
	}
	// ping keeps fping's usage status, 3.
	_, stderr, code := run(t, context.Background(), "", "ping", "-p", "20", "127.0.0.1")
	if code != pingExitUsage || !strings.Contains(stderr, "unknown flag -p (fping's); in fanout: --interval") {
		t.Errorf("ping -p: exit %d, stderr %q", code, stderr)
	}
}

// Every usage error names the help of the command that refused it; an
// unknown command names fanout's.
func TestUsageErrorNamesSubcommandHelp(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		help string
	}{
		{[]string{"exec", "--bogus", "true"}, "fanout exec --help"},
		{[]string{"check", "--workers", "0", "http://127.0.0.1:1/"}, "fanout check --help"},
		{[]string{"links", "--bogus"}, "fanout links --help"},
		{[]string{"bogus"}, "fanout --help"},
	} {
		_, stderr, code := run(t, context.Background(), "", c.args...)
		if code != ExitUsage || !strings.HasSuffix(stderr, "Run '"+c.help+"' for usage.\n") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.help)
		}
	}
}

// Only the peer flags themselves are rewritten: never a flag's value, a
// flag the command declares, an argument after "--", nor anything on a
// command without accepted peer flags (exec's COMMAND has flags of its own).
func TestPeerArgs(t *testing.T) {
	t.Parallel()
	root := newRoot(&env{})
	for _, c := range []struct{ in, want []string }{
		{[]string{"probe", "-sc", "-mc", "200", "-l", "f"}, []string{"--match-code", "200", "--input", "f"}},
		{[]string{"probe", "-H", "-sc", "-i", "-l", "-mc=2xx"}, []string{"-H", "-sc", "-i", "-l", "--match-code=2xx"}},
		{[]string{"probe", "-qi", "-sc", "--", "-sc"}, []string{"-qi", "-sc", "--", "-sc"}},
		{[]string{"check", "-title", "-sc"}, []string{"-title", "-sc"}}, // not check's: refused with a hint
		{[]string{"get", "-P", "d", "-x"}, []string{"--dir", "d"}},
		{[]string{"exec", "-l", "x", "-mc"}, []string{"-l", "x", "-mc"}},
	} {
		sub, _, err := root.Find(c.in[:1])
		if err != nil {
			t.Fatal(err)
		}
		if got := peerArgs(sub, c.in[1:]); !slices.Equal(got, c.want) {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}

// runNetnsIn runs fanout in dir, in a network namespace of its own with
// only lo up (a user namespace too, so that it needs no root): whatever
// name it looks up, no query leaves the machine.
func runNetnsIn(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	if os.Getenv("FANOUT_NO_NETNS") == "1" {
		t.Skip("FANOUT_NO_NETNS=1: not making a network namespace")
	}
	proctest.Needs(t, "unshare", "ip")
	cmd := exec.Command("unshare", append([]string{"-rn", "sh", "-ec", "ip link set lo up\nexec \"$@\"", "sh", buildFanout(t)}, args...)...)
	cmd.Dir = dir
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code, ok := exitStatus(err)
	if !ok {
		t.Fatalf("unshare -rn (user namespaces needed; FANOUT_NO_NETNS=1 to skip): %v", err)
	}
	return out.String(), errb.String(), code
}

// Issue 23: `fanout check urls.txt`, as lychee users type it (lychee reads
// a file argument as an input), looked "urls.txt" up in the DNS. An
// argument naming a file or directory is refused, naming -i and links;
// lychee itself guessed http://urls.txt for a missing file (lychee#1595,
// lychee#660: "dns error" for a path).
func TestFileArgumentIsNotAURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "urls.txt"), []byte("http://127.0.0.1:1/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "site"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "urls.txt"}, "fanout: urls.txt is a file here, not a URL: -i urls.txt reads URLs from it, one per line"},
		{[]string{"probe", "http://127.0.0.1:1/", "urls.txt"}, "-i urls.txt reads URLs from it"},
		{[]string{"get", "urls.txt"}, "-i urls.txt reads URLs from it"},
		{[]string{"check", "site"}, "fanout: site is a directory here, not a URL: fanout links site checks the links in its files"},
	} {
		out, stderr, code := runNetnsIn(t, dir, c.args...)
		if code != ExitUsage || out != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, out, stderr, c.want)
		}
	}
	// -i reads it.
	out, _, code := runNetnsIn(t, dir, "check", "-i", "urls.txt")
	if code != ExitSome || !strings.HasPrefix(out, "http://127.0.0.1:1/ - error: ") {
		t.Errorf("check -i urls.txt: exit %d, stdout %q", code, out)
	}
}
