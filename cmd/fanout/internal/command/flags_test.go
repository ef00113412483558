package command

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
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
