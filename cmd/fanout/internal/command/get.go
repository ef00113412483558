package command

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/download"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
	"github.com/spf13/cobra"
)

// getRecord is one line of `fanout get` output.
type getRecord struct {
	Input     string       `json:"input"`
	Line      int          `json:"line"`
	Path      string       `json:"path,omitempty"`
	Bytes     int64        `json:"bytes"`
	Status    int          `json:"status,omitempty"`
	ElapsedMS runio.Millis `json:"elapsed_ms"`
	Error     string       `json:"error,omitempty"`
}

func (r getRecord) TextLine() string {
	if r.Error != "" {
		return r.Input + " - error: " + r.Error
	}
	return fmt.Sprintf("%s -> %s (%d bytes, %s)", r.Input, r.Path, r.Bytes, r.ElapsedMS)
}

// getOptions is everything `fanout get` needs: its flags, parsed.
type getOptions struct {
	run     runFlags
	http    httpFlags
	dir     string
	maxSize string
	noFsync bool
	limit   int64 // --max-size, parsed by validate
}

func newGet(e *env) *cobra.Command {
	var o getOptions
	c := &cobra.Command{
		Use:   "get [--dir DIR] [URL...]",
		Short: "Download each page into a directory",
		Long: `Download each URL's page into DIR (by default the current directory, as
wget does), many at once.

Each page is saved under a path that mirrors its URL, as wget -x does:
DIR/HOST[_PORT]/path/to/page (index.html for a path ending in '/', the
query after '@': search@q=1; unsafe characters as %XX, never "..", never
outside DIR). A page whose path is also another page's directory (/docs
and /docs/intro) gets "@" added to whichever name comes second (docs@).

Each page is written to a temporary file in DIR and renamed into place
once complete and on disk (synced; in groups, so that many small pages do
not cost two fsyncs each): a reported file is whole and durable, and a
failed, interrupted or crashed download leaves the old file (or none) and
at most a temporary file, which the next run into DIR removes. --no-fsync
skips the syncing: still whole files, but a power loss may leave empty
ones. Non-2xx answers (unless --accept lists them) are not saved;
--max-size (1 GiB unless given) refuses larger bodies, counted after gzip
decoding, as pages are saved decoded. A URL repeated in the input is
fetched once.

Each line says: URL -> path (N bytes, 12ms), or URL - error: <reason>.

Exit status: 0 when every page was saved, 1 when any was not, 2 for usage
errors, 130 when interrupted.`,
		RunE: func(c *cobra.Command, args []string) error { return runGet(c.Context(), e, &o, args) },
	}
	o.add(c)
	return c
}

// add declares get's flags.
func (o *getOptions) add(c *cobra.Command) {
	o.http.add(c)
	o.http.addScheme(c)
	o.run.add(c, o.http.workersFlag(), runAll)
	c.Flags().StringVar(&o.dir, "dir", ".", "directory to save pages in (created if missing)")
	c.Flags().StringVar(&o.maxSize, "max-size", "1GiB", "largest page saved, counted after gzip decoding (a small gzip can decode to gigabytes), e.g. 10MB; 0 for no limit")
	c.Flags().BoolVar(&o.noFsync, "no-fsync", false, "do not sync the files before renaming them into place (a killed process still leaves no partial file; a power loss may leave empty ones)")
}

// validate refuses what get cannot do, before anything runs.
func (o *getOptions) validate(args []string) error {
	if o.dir == "" {
		return usagef("--dir \"\": want a directory (. for the current one)")
	}
	if err := refuseFileArgs(args); err != nil {
		return err
	}
	var err error
	o.limit, err = sizeFlag("max-size", o.maxSize)
	return err
}

// runGet downloads the page of each input the flags and args name.
func runGet(ctx context.Context, e *env, o *getOptions, args []string) error {
	if err := o.validate(args); err != nil {
		return err
	}
	sayReadingTerminal(e, &o.run, args, "URLs")
	opts, err := o.http.options()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return usageError{err}
	}
	// A run killed outright (SIGKILL, a crash) leaves its temporary
	// files; the next run into dir clears them.
	if n, err := download.SweepTemp(o.dir); err == nil && n > 0 && !o.run.quiet {
		fmt.Fprintf(e.stderr, "removed %d temporary files left by a killed run\n", n)
	}
	return o.http.settled(e.stderr, o.run.quiet, runSpec(ctx, e, &o.run, args, spec[getRecord]{
		limiter: o.http.limiter,
		host:    o.http.host(),
		newJob: func(workers int) (job[getRecord], func()) {
			opts := opts
			opts.Workers = workers
			d := download.New(download.Options{HTTP: opts, MaxSize: o.limit, Accept: o.http.accepted, NoSync: o.noFsync})
			return getJob(d, o.dir, &o.http), d.Close
		},
		show: func(r getRecord) bool { return o.http.shows(r.Status) },
		outcome: func(r getRecord) string {
			if r.Error != "" {
				return "errors"
			}
			return "saved"
		},
		outcomes: []string{"saved", "errors"},
		what:     "downloading",
		count:    func(t *runio.Tally, r getRecord) { t.Sum("bytes", r.Bytes) },
		summary: func(w io.Writer, t *runio.Tally) {
			fmt.Fprintf(w, "%d saved (%d bytes), %d errors in %.2fs\n", t.Count("saved"), t.SumOf("bytes"), t.Count("errors"), t.Elapsed().Seconds())
		},
	}))
}

// getJob downloads one line into dir, once per distinct URL among the
// recent ones.
func getJob(d *download.Downloader, dir string, hf *httpFlags) job[getRecord] {
	seen := httpcheck.NewDedup[download.Result](dedupRecent)
	return job[getRecord]{
		do: func(ctx context.Context, l runio.Line) getRecord {
			r := seen.Do(ctx, l.Text, func() (download.Result, bool) {
				r := d.Get(ctx, l.Text, dir)
				return r, ctx.Err() == nil
			})
			rec := getRecord{Input: l.Text, Line: l.N, Path: r.Path, Bytes: r.Bytes, Status: r.Status,
				ElapsedMS: runio.MS(r.Elapsed)}
			if r.Err != nil {
				rec.Error = download.Reason(r.Err)
				rec.Bytes = 0
			}
			return rec
		},
		invalid: func(l runio.Line) getRecord { return getRecord{Input: l.Text, Line: l.N, Error: l.Err.Error()} },
		passed:  func(r getRecord) bool { return r.Error == "" },
	}
}
