package command

import (
	"context"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/spf13/cobra"
)

// Every duration flag takes a Go duration and plain seconds, as ping,
// curl (--max-time 0.5) and timeout(1) users type them.
func TestDurationFlag(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"10": 10 * time.Second, "0.2": 200 * time.Millisecond,
		"1500ms": 1500 * time.Millisecond, "1m30s": 90 * time.Second, "0": 0} {
		var d time.Duration
		if err := (durationValue{&d}).Set(in); err != nil || d != want {
			t.Errorf("%q: %v, %v; want %v", in, d, err, want)
		}
	}
	for _, in := range []string{"soon", "-1", "-5s", "1e300", ""} {
		var d time.Duration
		if err := (durationValue{&d}).Set(in); err == nil {
			t.Errorf("accepted %q as %v", in, d)
		}
	}
}

// The same flag reads the same way on every command (issue: `--timeout 5`
// was refused by check, probe, get and exec, and taken by ping).
func TestDurationFlagsOnEveryCommand(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	dir := t.TempDir()
	for _, args := range [][]string{
		{"check", "--timeout", "5", site.WikiURL("A")},
		{"probe", "--timeout", "0.5", site.WikiURL("A")},
		{"get", "--timeout", "5", "--dir", dir, site.WikiURL("A")},
		{"exec", "--timeout", "5", "--kill-grace", "0.1", "--arg", "x", "true"},
	} {
		_, stderr, code := run(t, context.Background(), "", args...)
		if code != ExitOK {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
}

// Each command's --help lists only the flags it takes: replace walks its
// PATHs, so it has no -i, --resume, --retry-failed or --shard.
func TestHelpListsOnlyAcceptedFlags(t *testing.T) {
	t.Parallel()
	out, _, code := run(t, context.Background(), "", "replace", "--help")
	if code != ExitOK {
		t.Fatalf("replace --help: exit %d", code)
	}
	for _, flag := range []string{"--input", "--resume", "--retry-failed", "--shard"} {
		if strings.Contains(out, flag) {
			t.Errorf("replace --help lists %s, which replace does not take", flag)
		}
	}
	for _, flag := range []string{"--json", "--dry-run", "--glob"} {
		if !strings.Contains(out, flag) {
			t.Errorf("replace --help lacks %s", flag)
		}
	}
}

// -i names a file of inputs: a directory or a missing file is a usage
// error naming it, not a record with an empty input.
func TestInputFileMustBeAFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"check", "-i", dir},
		{"probe", "-i", dir + "/missing"},
		{"exec", "-i", dir, "true"},
	} {
		out, stderr, code := run(t, context.Background(), "", args...)
		if code != ExitUsage || out != "" || !strings.Contains(stderr, dir) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and a message naming the path", args, code, out, stderr)
		}
	}
}

// fanout --version, and the User-Agent carries the same version.
func TestVersion(t *testing.T) {
	t.Parallel()
	out, _, code := run(t, context.Background(), "", "--version")
	if code != ExitOK || !strings.HasPrefix(out, "fanout ") || !strings.Contains(out, "go1.") {
		t.Fatalf("--version: exit %d, %q", code, out)
	}
	site := sitetest.Start(t, demosite.Options{})
	run(t, context.Background(), "", "check", site.WikiURL("Ocean"))
	ua := site.Path("/wiki/Ocean").Last.UserAgent
	v, ok := strings.CutPrefix(ua, "fanout/")
	if !ok || v == "dev" || len(v) < 5 || !strings.Contains(out, v) {
		t.Errorf("User-Agent %q does not carry the version of --version %q", ua, out)
	}
}

// check --method GET asks with GET only, as the tutorials' requests.get and
// lychee's default do: one request per page, never a HEAD.
func TestCheckMethodGET(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, demosite.Options{})
	out, _, code := run(t, context.Background(), "", "check", "--method", "GET", site.WikiURL("M"), site.WikiURL("this_page_does_not_exist"))
	if code != ExitSome || !strings.Contains(out, "/wiki/M - exists") {
		t.Fatalf("exit %d: %q", code, out)
	}
	for _, p := range []string{"/wiki/M", "/wiki/this_page_does_not_exist"} {
		if ps := site.Path(p); ps.Hits != 1 || ps.Last.Method != "GET" {
			t.Errorf("%s: %d requests, last %q; want one GET", p, ps.Hits, ps.Last.Method)
		}
	}
	if _, _, code := run(t, context.Background(), "", "check", "--method", "POST", site.WikiURL("M")); code != ExitUsage {
		t.Errorf("--method POST: exit %d, want 2", code)
	}
}

// parseFlags declares a command's flags with add on a bare cobra command,
// as its newX does, and parses args (after the peer-flag rewriting Main
// does) into the options.
func parseFlags[O any](t *testing.T, name string, add func(*O, *cobra.Command), args ...string) *O {
	t.Helper()
	o := new(O)
	c := &cobra.Command{Use: name}
	add(o, c)
	if err := c.ParseFlags(peerArgs(c, args)); err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return o
}

// --workers is declared once, with each command's default: a request, a
// job, a host and a file are not the same load.
func TestWorkersDefaultPerCommand(t *testing.T) {
	t.Parallel()
	want := map[string]int{"check": 64, "probe": 64, "get": 64, "links": 64,
		"ping": 256, "exec": runtime.NumCPU(), "replace": 16, "demo": 64}
	root := newRoot(&env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard})
	seen := 0
	for _, c := range root.Commands() {
		def, ok := want[c.Name()]
		if !ok {
			continue
		}
		seen++
		if f := c.Flags().Lookup("workers"); f == nil || f.DefValue != strconv.Itoa(def) {
			t.Errorf("%s --workers: %+v, want default %d", c.Name(), f, def)
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d commands found", seen, len(want))
	}
	// The default is in the value the run path reads.
	for name, n := range map[string]int{
		"check": parseFlags(t, "check", (*checkOptions).add).run.workers,
		"probe": parseFlags(t, "probe", (*probeOptions).add).run.workers,
		"get":   parseFlags(t, "get", (*getOptions).add).run.workers,
		"ping":  parseFlags(t, "ping", (*pingOptions).add).run.workers,
		"exec":  parseFlags(t, "exec", (*execOptions).add).run.workers,
		"demo":  parseFlags(t, "demo", (*demoOptions).add).workers,
	} {
		if n != want[name] {
			t.Errorf("%s: %d workers, want %d", name, n, want[name])
		}
	}
}

// exec's -j and -P are --workers under GNU parallel's and xargs's names:
// one value, the last given wins (as a repeated -P does in xargs), and
// they also take 0 (as many as there are inputs); -k is --ordered.
func TestExecPeerNamesShareTheValue(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args    []string
		workers int
	}{
		{[]string{"-j", "8"}, 8},
		{[]string{"-P", "3"}, 3},
		{[]string{"--jobs=5", "--max-procs", "6"}, 6},
		{[]string{"-w", "2", "-j", "5"}, 5},
		{[]string{"-j", "5", "-w", "2"}, 2},
		{[]string{"-P", "0"}, 0},
	} {
		if o := parseFlags(t, "exec", (*execOptions).add, c.args...); o.run.workers != c.workers {
			t.Errorf("exec %v: %d workers, want %d", c.args, o.run.workers, c.workers)
		}
	}
	if o := parseFlags(t, "exec", (*execOptions).add, "-k"); !o.run.ordered {
		t.Error("exec -k: not ordered")
	}
	var o execOptions
	c := &cobra.Command{Use: "exec"}
	o.add(c)
	if err := c.ParseFlags([]string{"-w", "0"}); err == nil {
		t.Error("exec -w 0 accepted: only -j and -P take 0")
	}
}

// --workers auto is the http commands': it sets the count the executor
// holds, and a later count undoes it; ping's -w is its deadline, as
// ping's, and its workers are --workers alone; -threads and
// --max-concurrency (httpx, lychee) reach the same value.
func TestWorkersFlagPerCommand(t *testing.T) {
	t.Parallel()
	if o := parseFlags(t, "check", (*checkOptions).add, "-w", "auto"); !o.http.auto || o.run.workers != autoHold {
		t.Errorf("check -w auto: auto %v, %d workers; want true, %d", o.http.auto, o.run.workers, autoHold)
	}
	if o := parseFlags(t, "get", (*getOptions).add, "-w", "auto", "--workers", "8"); o.http.auto || o.run.workers != 8 {
		t.Errorf("get -w auto --workers 8: auto %v, %d workers; want false, 8", o.http.auto, o.run.workers)
	}
	if o := parseFlags(t, "probe", (*probeOptions).add, "-threads", "9"); o.run.workers != 9 {
		t.Errorf("probe -threads 9: %d workers", o.run.workers)
	}
	if o := parseFlags(t, "check", (*checkOptions).add, "--max-concurrency", "7"); o.run.workers != 7 {
		t.Errorf("check --max-concurrency 7: %d workers", o.run.workers)
	}
	if o := parseFlags(t, "ping", (*pingOptions).add, "-w", "5", "--workers", "3"); o.deadline != 5*time.Second || o.run.workers != 3 {
		t.Errorf("ping -w 5 --workers 3: deadline %v, %d workers", o.deadline, o.run.workers)
	}
}

// A command registers only the run flags it takes: links (documents as
// arguments, every target checked once) takes --resume and the output
// flags, not -i, --shard or --compare.
func TestRunFlagGroups(t *testing.T) {
	t.Parallel()
	var f runFlags
	c := &cobra.Command{Use: "links"}
	f.add(c, workersFlag{def: 1}, runResume|runOutput)
	for _, name := range []string{"input", "shard", "compare"} {
		if c.Flags().Lookup(name) != nil {
			t.Errorf("--%s registered", name)
		}
	}
	for _, name := range []string{"workers", "resume", "retry-failed", "json", "ordered", "timeline", "failures"} {
		if c.Flags().Lookup(name) == nil {
			t.Errorf("--%s not registered", name)
		}
	}
}
