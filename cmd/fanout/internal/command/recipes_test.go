package command

// The scale-out recipes of docs/scale-out.md, run as written: each test
// reads its recipe from the page (the fenced block after a
// "<!-- recipe: NAME -->" marker), so the page and the tests cannot drift,
// and checks that the shards' outputs hold every input exactly once.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite/sitetest"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/proctest"
	"sigs.k8s.io/yaml"
)

const scaleOutDoc = "../../../../docs/scale-out.md"

// oldParallelRecipe is the GNU parallel recipe the README had: run for
// real, it lost a quarter of the inputs. --cleanup removes the
// --transferfile after each job, while other jobs on the same host may not
// have opened it yet.
const oldParallelRecipe = `parallel --sshloginfile hosts.txt --transferfile urls.txt --return out-{}.jsonl --cleanup \
  'fanout check -i urls.txt --shard {}/8 --json -q > out-{}.jsonl' ::: 1 2 3 4 5 6 7 8`

// docRecipe returns the fenced block that follows "<!-- recipe: name -->"
// in docs/scale-out.md.
func docRecipe(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(scaleOutDoc)
	if err != nil {
		t.Fatal(err)
	}
	marker := "<!-- recipe: " + name + " -->\n"
	if n := bytes.Count(data, []byte(marker)); n != 1 {
		t.Fatalf("%s: %d markers %q, want 1", scaleOutDoc, n, strings.TrimSpace(marker))
	}
	_, rest, _ := strings.Cut(string(data), marker)
	fence, rest, ok := strings.Cut(rest, "\n")
	if !ok || !strings.HasPrefix(fence, "```") {
		t.Fatalf("%s: the line after the %s marker is %q, want a fence", scaleOutDoc, name, fence)
	}
	block, _, ok := strings.Cut(rest, "\n```\n")
	if !ok || strings.TrimSpace(block) == "" {
		t.Fatalf("%s: the %s block is empty or not closed", scaleOutDoc, name)
	}
	return block + "\n"
}

// needRecipeTools skips the test unless it runs as root (mount
// namespaces, sshd) with the named programs, and returns their paths (a
// failure instead under FANOUT_CI=1).
func needRecipeTools(t *testing.T, progs ...string) map[string]string {
	t.Helper()
	return proctest.Needs(t, append([]string{"root"}, progs...)...)
}

// recipeURLs writes n URLs of site to urls.txt in a new directory, every
// 50th a page that does not exist (so a shard's fanout exits 1, which the
// recipes must take as done), and returns the directory and the inputs.
func recipeURLs(t *testing.T, site *demosite.Site, n int) (string, map[string]bool) {
	t.Helper()
	path, want := writeURLs(t, n, func(i int) string {
		if i%50 == 0 {
			return site.WikiURL(fmt.Sprintf("this_page_does_not_exist_%d", i))
		}
		return site.WikiURL(fmt.Sprintf("R_%d", i))
	})
	return filepath.Dir(path), want
}

// shardOutputs reads the files that match pattern strictly (each line a
// whole record with an input and a result, after the journal header when
// the files are --resume journals) and returns each input's results.
func shardOutputs(t *testing.T, pattern string, journals bool) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			if n == 1 && journals {
				checkJournalHeader(t, file, sc.Bytes())
				continue
			}
			var rec struct {
				Input  *string `json:"input"`
				Result string  `json:"result"`
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Input == nil || rec.Result == "" {
				f.Close()
				t.Fatalf("%s line %d is not a whole record (%v): %q", file, n, err, sc.Text())
			}
			got[*rec.Input] = append(got[*rec.Input], rec.Result)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

// lostInputs checks that got holds nothing but inputs of want, none twice,
// and the right result for the pages that do not exist; it returns the
// inputs of want that got lacks.
func lostInputs(t *testing.T, got map[string][]string, want map[string]bool) []string {
	t.Helper()
	for in, results := range got {
		switch {
		case !want[in]:
			t.Errorf("%q in the outputs is not an input", in)
		case len(results) != 1:
			t.Errorf("%q is in the outputs %d times: %q", in, len(results), results)
		case strings.Contains(in, "this_page_does_not_exist") != (results[0] == "does not exist"):
			t.Errorf("%q: %q", in, results[0])
		}
	}
	var lost []string
	for in := range want {
		if got[in] == nil {
			lost = append(lost, in)
		}
	}
	return lost
}

// exactlyOnce fails the test unless the out-*.jsonl in dir hold every
// input of want exactly once, and nothing else.
func exactlyOnce(t *testing.T, dir string, want map[string]bool) {
	t.Helper()
	if lost := lostInputs(t, shardOutputs(t, filepath.Join(dir, "out-*.jsonl"), true), want); len(lost) > 0 {
		slices.Sort(lost)
		t.Errorf("%d of %d inputs are in no output, e.g. %q", len(lost), len(want), lost[0])
	}
}

// shellCmd is sh -c script in dir, in its own process group (so a kill or
// the deadline reaches every process the script starts).
func shellCmd(ctx context.Context, dir string, env []string, shell ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, shell[0], shell[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// runShell runs the command to its end (at most two minutes) and returns
// its output, both streams, and its exit status; -1 if it could not run or
// was stopped at the deadline (the output then says why). It may be called
// from any goroutine.
func runShell(dir string, env []string, shell ...string) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := shellCmd(ctx, dir, env, shell...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return fmt.Sprintf("%s\n(stopped: still running after 2 minutes)", out), -1
	}
	if code, ok := exitStatus(err); ok {
		return string(out), code
	}
	return fmt.Sprintf("%s\n(%v)", out, err), -1
}

// watchWriter keeps what a process writes and closes ready at the first
// write that contains want.
type watchWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	want  string
	ready chan struct{}
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := strings.Contains(w.buf.String(), w.want)
	w.buf.Write(p)
	if !seen && strings.Contains(w.buf.String(), w.want) {
		close(w.ready)
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// sshHosts are "machines" for GNU parallel: sshd on loopback ports, each
// in its own mount namespace with a private tmpfs on the login user's
// home, so each has its own working folder as two machines would.
type sshHosts struct {
	key     string   // the throwaway client key
	control string   // the directory of the ssh connection masters' sockets
	logins  []string // 127.0.0.1:PORT, in parallel's sshlogin format
}

// startSSHHosts starts n hosts whose PATH is path (so the remote finds
// fanout there) and stops them when the test ends.
func startSSHHosts(t *testing.T, tools map[string]string, n int, path string) *sshHosts {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, d := range append(filepath.SplitList(path), dir) {
		if d == u.HomeDir || strings.HasPrefix(d, u.HomeDir+"/") {
			t.Fatalf("%s is under the login home %s, which each host hides under its own tmpfs", d, u.HomeDir)
		}
	}
	key, hostKey := filepath.Join(dir, "key"), filepath.Join(dir, "host_key")
	for _, k := range []string{key, hostKey} {
		if out, err := exec.Command(tools["ssh-keygen"], "-q", "-t", "ed25519", "-N", "", "-C", "fanout-test", "-f", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	// A short directory: a socket's path must fit in 108 bytes.
	control, err := os.MkdirTemp("", "ssh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(control) })
	h := &sshHosts{key: key, control: control}
	for i := range n {
		h.logins = append(h.logins, startSSHD(t, tools["sshd"], filepath.Join(dir, fmt.Sprintf("sshd%d.conf", i)), u.HomeDir, hostKey, authorized, path))
	}
	// Before the hosts stop (cleanups run last first): end the connection
	// masters, which ssh leaves running in the background.
	t.Cleanup(func() {
		for _, l := range h.logins {
			host, port, _ := strings.Cut(l, ":")
			exec.Command("sh", "-c", h.sshCommand()+` -p "$1" -O exit "$2"`, "sh", port, host).Run()
		}
	})
	return h
}

// startSSHD starts one host and returns its login. The port is a free one
// picked by the kernel; another process may take it before sshd binds it,
// so a bind failure is retried on a new port.
func startSSHD(t *testing.T, sshd, conf, home, hostKey, authorized, path string) string {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		cfg := fmt.Sprintf(`ListenAddress 127.0.0.1
Port %d
HostKey %s
AuthorizedKeysFile %s
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
PidFile none
MaxStartups 100
MaxSessions 100
SetEnv PATH=%s
`, port, hostKey, authorized, path)
		if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		// unshare execs sh, which execs sshd: one process, ours to stop.
		// /run/sshd is sshd's privilege separation directory (the ssh
		// service makes it at boot).
		cmd := exec.Command("unshare", "-m", "sh", "-c",
			`mkdir -p /run/sshd && mount -t tmpfs tmpfs "$1" && exec "$2" -D -e -f "$3"`, "sh", home, sshd, conf)
		w := &watchWriter{want: "Server listening on", ready: make(chan struct{})}
		cmd.Stdout, cmd.Stderr = w, w
		cmd.WaitDelay = 5 * time.Second
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case <-w.ready:
			t.Cleanup(func() {
				cmd.Process.Signal(syscall.SIGTERM)
				<-exited
				if t.Failed() {
					t.Logf("sshd on port %d:\n%s", port, w.String())
				}
			})
			return fmt.Sprintf("127.0.0.1:%d", port)
		case err := <-exited:
			if attempt < 3 && strings.Contains(w.String(), "Address already in use") {
				continue
			}
			t.Fatalf("sshd: %v\n%s", err, w.String())
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Fatalf("sshd did not start in 30 s\n%s", w.String())
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := strings.Cut(ln.Addr().String(), ":")
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sshCommand is how parallel, and the test, reach the hosts: the
// throwaway key, host keys neither checked nor remembered, and one
// connection to each host that the others share (as parallel's own
// --controlmaster does): the same jobs and files, with a third of the
// logins' time and CPU.
func (h *sshHosts) sshCommand() string {
	return "ssh -i " + h.key + " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes" +
		" -o ControlMaster=auto -o ControlPersist=yes -o ControlPath=" + h.control + "/%p"
}

// parallelEnv is what the recipe runs with: PARALLEL_SSH gives parallel
// (and the rsync it runs) the test's ssh options, PARALLEL_HOME keeps its
// state out of the real home.
func (h *sshHosts) parallelEnv(t *testing.T) []string {
	return []string{"PARALLEL_SSH=" + h.sshCommand(), "PARALLEL_HOME=" + t.TempDir()}
}

// writeHosts writes hosts.txt in dir, each login prefixed by prefix (for
// example "4/": four job slots on that host).
func (h *sshHosts) writeHosts(t *testing.T, dir, prefix string) {
	t.Helper()
	var b strings.Builder
	for _, l := range h.logins {
		b.WriteString(prefix + l + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "hosts.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ls lists the files in a host's working folder.
func (h *sshHosts) ls(t *testing.T, login string) []string {
	t.Helper()
	host, port, _ := strings.Cut(login, ":")
	out, code := runShell("", nil, "sh", "-c", h.sshCommand()+` -p "$1" "$2" ls -A`, "sh", port, host)
	if code != 0 {
		t.Fatalf("ssh %s ls: exit %d\n%s", login, code, out)
	}
	return strings.Fields(out)
}

// lateReader is fanout as a slow host starts it: the job of shard 8 opens
// its input only after another job on its host has finished (its output
// seen, then gone: returned and removed by --cleanup, which removes a
// --transferfile just before). The race that the old recipe lost by chance
// (a job's ssh login, rsync and start against the other jobs' cleanup) is
// then lost every time. After 20 s without such a finish it runs anyway,
// and says so: a broken setup shows as a failed test, not a hang.
const lateReader = `#!/bin/sh
late() {
	seen= n=0
	while [ $n -lt 400 ]; do
		for f in out-*.jsonl; do
			case $f in out-8.jsonl | "out-*.jsonl") ;; *) case " $seen " in *" $f "*) ;; *) seen="$seen $f" ;; esac ;; esac
		done
		for f in $seen; do [ -e "$f" ] || return 0; done
		n=$((n + 1))
		sleep 0.05
	done
	echo "late reader: no other job on this host finished in 20 s" >&2
}
case " $* " in *" --shard 8/8 "*) late ;; esac
exec %s "$@"
`

// GNU parallel over ssh, the recipe as the page writes it, on two hosts
// with four job slots each, so all 8 shards run at once, 4 in each working
// folder, and shard 8 a late reader: every one of 20,000 inputs is exactly
// once in the returned outputs, and --cleanup leaves the hosts clean. The
// old --transferfile recipe, on the same kind of hosts, loses shard 8:
// the test can fail, and parallel's exit status is the only sign the user
// gets.
func TestScaleOutParallelSSH(t *testing.T) {
	t.Parallel()
	tools := needRecipeTools(t, "parallel", "ssh", "ssh-keygen", "sshd", "rsync", "unshare", "perl")
	recipe := docRecipe(t, "parallel-ssh")
	bin := buildFanout(t)
	wrapDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(wrapDir, "fanout"), fmt.Appendf(nil, lateReader, bin), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, recipe string
		urls         int
		latency      time.Duration // so that a shard lasts a second or more
		lose         bool
	}{
		{"doc", recipe, 20_000, 0, false},
		{"old-transferfile", oldParallelRecipe, 1_600, 250 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, demosite.Options{Latency: tc.latency})
			hosts := startSSHHosts(t, tools, 2, wrapDir+":/usr/bin:/bin")
			dir, want := recipeURLs(t, site, tc.urls)
			hosts.writeHosts(t, dir, "4/")
			out, code := runShell(dir, hosts.parallelEnv(t), "sh", "-c", tc.recipe)
			if strings.Contains(out, "late reader:") {
				t.Fatalf("shard 8 did not start late: the test proves nothing\n%s", out)
			}
			if !tc.lose {
				if code != 0 {
					t.Errorf("parallel: exit %d (failed jobs), want 0\n%s", code, out)
				}
				exactlyOnce(t, dir, want)
				for _, login := range hosts.logins {
					for _, f := range hosts.ls(t, login) {
						if f == "urls.txt" || strings.HasPrefix(f, "out-") {
							t.Errorf("%s left on %s after --cleanup", f, login)
						}
					}
				}
				return
			}
			// Without "|| [ $? -eq 1 ]" every shard with a dead link counts
			// as failed too, so parallel's exit status says little here.
			lost := lostInputs(t, shardOutputs(t, filepath.Join(dir, "out-*.jsonl"), false), want)
			if len(lost) == 0 {
				t.Fatalf("the old recipe lost no input: want shard 8 lost\n%s", out)
			}
			if late := shardOutputs(t, filepath.Join(dir, "out-8.jsonl"), false); len(late) > 0 {
				t.Errorf("shard 8 has %d records: want none (it is the one that lost its input)", len(late))
			}
			if !strings.Contains(out, "open urls.txt: no such file") {
				t.Errorf("parallel's output does not say why:\n%s", out)
			}
			t.Logf("as expected, the old recipe lost %d of %d inputs (parallel exit %d)", len(lost), len(want), code)
		})
	}
}

// asJSON is v as JSON, for messages ("null", not a pointer).
func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// jobManifest is the part of a Kubernetes Job the page's manifest uses.
// Every field is here, so that decoding and encoding again gives the
// manifest back: a field this type lacks, or a name in the wrong case
// (which encoding/json takes, and Kubernetes' case-sensitive decoder does
// not), shows as a difference.
type jobManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Completions    *int   `json:"completions,omitempty"`
		Parallelism    *int   `json:"parallelism,omitempty"`
		CompletionMode string `json:"completionMode,omitempty"`
		Template       struct {
			Spec struct {
				RestartPolicy string `json:"restartPolicy,omitempty"`
				Containers    []struct {
					Name         string   `json:"name"`
					Image        string   `json:"image"`
					Command      []string `json:"command,omitempty"`
					VolumeMounts []struct {
						Name      string `json:"name"`
						MountPath string `json:"mountPath"`
					} `json:"volumeMounts,omitempty"`
				} `json:"containers"`
				Volumes []struct {
					Name                  string `json:"name"`
					PersistentVolumeClaim *struct {
						ClaimName string `json:"claimName"`
					} `json:"persistentVolumeClaim,omitempty"`
				} `json:"volumes,omitempty"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

// parseJob parses the manifest the way kubectl reads YAML (sigs.k8s.io/yaml:
// YAML to JSON, duplicate keys refused) and checks that it holds nothing
// jobManifest does not know.
func parseJob(t *testing.T, manifest string) jobManifest {
	t.Helper()
	js, err := yaml.YAMLToJSONStrict([]byte(manifest))
	if err != nil {
		t.Fatalf("the manifest is not valid YAML: %v", err)
	}
	var job jobManifest
	if err := json.Unmarshal(js, &job); err != nil {
		t.Fatalf("the manifest does not decode as a Job: %v", err)
	}
	again, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	var orig, back any
	if err := json.Unmarshal(js, &orig); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(orig, back) {
		t.Fatalf("the manifest has fields the test does not know, or misspelt:\n have %s\n know %s", js, again)
	}
	return job
}

// The Kubernetes Indexed Job of the page: parsed and checked as a Job, then
// its container command run with sh -c for JOB_COMPLETION_INDEX = 0..N-1,
// the volume mapped to a temporary directory; together the shards take
// every input exactly once (the $((JOB_COMPLETION_INDEX+1))/N arithmetic).
// One shard is SIGKILLed midway and run again, as restartPolicy would:
// --resume makes it continue, and the union is still exactly once.
func TestScaleOutKubernetesJob(t *testing.T) {
	t.Parallel()
	job := parseJob(t, docRecipe(t, "kubernetes"))
	spec, pod := job.Spec, job.Spec.Template.Spec
	if job.APIVersion != "batch/v1" || job.Kind != "Job" {
		t.Fatalf("apiVersion %q, kind %q: want batch/v1 Job", job.APIVersion, job.Kind)
	}
	if spec.CompletionMode != "Indexed" {
		t.Fatalf("completionMode %q, want Indexed (JOB_COMPLETION_INDEX is set only then)", spec.CompletionMode)
	}
	if spec.Completions == nil || spec.Parallelism == nil || *spec.Completions != *spec.Parallelism || *spec.Completions < 2 {
		t.Fatalf("completions %s, parallelism %s: want the same N > 1", asJSON(spec.Completions), asJSON(spec.Parallelism))
	}
	n := *spec.Completions
	if pod.RestartPolicy != "OnFailure" && pod.RestartPolicy != "Never" {
		t.Fatalf("restartPolicy %q: a Job takes OnFailure or Never", pod.RestartPolicy)
	}
	if len(pod.Containers) != 1 || len(pod.Volumes) != 1 || len(pod.Containers[0].VolumeMounts) != 1 {
		t.Fatalf("want one container with one volume: %+v", pod)
	}
	c, vol := pod.Containers[0], pod.Volumes[0]
	mount := c.VolumeMounts[0]
	if mount.Name != vol.Name || vol.PersistentVolumeClaim == nil || vol.PersistentVolumeClaim.ClaimName == "" {
		t.Fatalf("volume mount %+v does not name the claim's volume %+v", mount, vol)
	}
	if len(c.Command) != 3 || c.Command[0] != "sh" || c.Command[1] != "-c" {
		t.Fatalf("command %q: want sh -c SCRIPT", c.Command)
	}
	if !strings.Contains(c.Command[2], mount.MountPath+"/") {
		t.Fatalf("the command %q does not use the volume %s", c.Command[2], mount.MountPath)
	}
	bin := buildFanout(t)
	// A shard (250 URLs, 200 ms each, 64 at a time) takes about a second:
	// time to kill it midway.
	site := sitetest.Start(t, demosite.Options{Latency: 200 * time.Millisecond})
	data, want := recipeURLs(t, site, 2_000)
	script := strings.ReplaceAll(c.Command[2], mount.MountPath+"/", data+"/")
	workdir := t.TempDir() // the container's, not the volume
	env := func(i int) []string {
		return []string{fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i), "PATH=" + filepath.Dir(bin) + ":" + os.Getenv("PATH")}
	}
	killed := n / 2
	var wg sync.WaitGroup
	for i := range n {
		if i == killed {
			continue
		}
		wg.Go(func() {
			if out, code := runShell(workdir, env(i), c.Command[0], c.Command[1], script); code != 0 {
				t.Errorf("index %d: exit %d, want 0 (a dead link is a result, not a failure)\n%s", i, code, out)
			}
		})
	}
	wg.Go(func() {
		killAndRerun(t, workdir, env(killed), filepath.Join(data, fmt.Sprintf("out-%d.jsonl", killed)), c.Command[0], c.Command[1], script)
	})
	wg.Wait()
	exactlyOnce(t, data, want)

	// Index N would be shard N+1 of N: it must fail, not pass for done.
	if out, code := runShell(workdir, env(n), c.Command[0], c.Command[1], script); code == 0 || !strings.Contains(out, "K must be from 1 to") {
		t.Errorf("index %d (out of range): exit %d, want a failure\n%s", n, code, out)
	}
}

// killAndRerun starts the shard, SIGKILLs its process group once its
// journal holds a record, then runs it again to the end: the rerun must
// skip what the first run finished and do the rest.
func killAndRerun(t *testing.T, dir string, env []string, journal string, shell ...string) {
	cmd := shellCmd(context.Background(), dir, env, shell...)
	var first bytes.Buffer
	cmd.Stdout, cmd.Stderr = &first, &first
	if err := cmd.Start(); err != nil {
		t.Error(err)
		return
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	proctest.Poll(func() bool { // until the header and a record are written (or the deadline)
		b, _ := os.ReadFile(journal)
		return bytes.Count(b, []byte("\n")) >= 2
	})
	select {
	case <-exited: // ended first: reported below
	default:
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Errorf("the shard was not killed midway (it ended first: %v)\n%s", cmd.ProcessState, first.String())
		return
	}
	out, code := runShell(dir, env, shell...)
	skipped := regexp.MustCompile(`(?m)^(\d+) skipped: already in`).FindStringSubmatch(out)
	checked := regexp.MustCompile(`(?m)^(\d+) checked`).FindStringSubmatch(out)
	if code != 0 || skipped == nil || skipped[1] == "0" || checked == nil || checked[1] == "0" {
		t.Errorf("rerun after SIGKILL: exit %d, want 0, some inputs skipped and some checked\n%s", code, out)
	}
}

// sbatch stands in for Slurm's, as far as the page's line uses it:
// --array=FIRST-LAST and --wrap CMD. Like sbatch's wrapper script, each
// task runs CMD with sh, in the directory sbatch was run from, with
// SLURM_ARRAY_TASK_ID set and its output in slurm-JOB_TASK.out; here all at
// once, and sbatch waits for them (the real one queues them and returns).
// Any other option is refused, so the page cannot grow one that this
// ignores. The exit status is the number of tasks that failed.
const sbatch = `#!/bin/sh
array= wrap=
while [ $# -gt 0 ]; do
	case $1 in
	--array=*) array=${1#--array=} ;;
	--wrap) [ $# -ge 2 ] || { echo "sbatch: --wrap needs a command" >&2; exit 100; }; wrap=$2; shift ;;
	--wrap=*) wrap=${1#--wrap=} ;;
	*) echo "sbatch (the test's stand-in): unsupported argument: $1" >&2; exit 100 ;;
	esac
	shift
done
first=${array%%-*} last=${array#*-}
case $first$last in "" | *[!0-9]*) echo "sbatch: --array=$array: want FIRST-LAST" >&2; exit 100 ;; esac
[ -n "$wrap" ] || { echo "sbatch: no --wrap" >&2; exit 100; }
pids= i=$first
while [ "$i" -le "$last" ]; do
	SLURM_ARRAY_JOB_ID=1 SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_MIN=$first SLURM_ARRAY_TASK_MAX=$last sh -c "$wrap" >"slurm-1_$i.out" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
exit $failed
`

// The Slurm array job of the page, run through the stand-in sbatch: the
// tasks' outputs hold every input exactly once (the --array range matches
// --shard K/N) and every task succeeds, dead links and all.
func TestScaleOutSlurmArray(t *testing.T) {
	t.Parallel()
	recipe := docRecipe(t, "slurm")
	bin := buildFanout(t)
	site := sitetest.Start(t, demosite.Options{})
	dir, want := recipeURLs(t, site, 2_000)
	fake := t.TempDir()
	if err := os.WriteFile(filepath.Join(fake, "sbatch"), []byte(sbatch), 0o755); err != nil {
		t.Fatal(err)
	}
	out, code := runShell(dir, []string{"PATH=" + fake + ":" + filepath.Dir(bin) + ":" + os.Getenv("PATH")}, "sh", "-c", recipe)
	if code != 0 {
		logs, _ := filepath.Glob(filepath.Join(dir, "slurm-*.out"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			out += "\n" + filepath.Base(l) + ": " + string(b)
		}
		t.Errorf("sbatch: %d tasks failed (exit %d)\n%s", code, code, out)
	}
	exactlyOnce(t, dir, want)
	if logs, _ := filepath.Glob(filepath.Join(dir, "slurm-*.out")); len(logs) < 2 {
		t.Errorf("%d tasks ran, want one per shard", len(logs))
	}
}
