package command

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/cli"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/download"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
	"github.com/spf13/cobra"
)

// getRecord is one line of `fanout get` output.
type getRecord struct {
	Input     string     `json:"input"`
	Line      int        `json:"line"`
	Path      string     `json:"path,omitempty"`
	Bytes     int64      `json:"bytes"`
	Status    int        `json:"status,omitempty"`
	ElapsedMS cli.Millis `json:"elapsed_ms"`
	Error     string     `json:"error,omitempty"`
}

func (r getRecord) TextLine() string {
	if r.Error != "" {
		return r.Input + " - error: " + r.Error
	}
	return fmt.Sprintf("%s -> %s (%d bytes, %s)", r.Input, r.Path, r.Bytes, r.ElapsedMS)
}

func newGet(e *env) *cobra.Command {
	var hf httpFlags
	var iof ioFlags
	var dir, maxSize string
	var noFsync bool
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
		RunE: func(c *cobra.Command, args []string) error {
			if dir == "" {
				return usagef("--dir \"\": want a directory (. for the current one)")
			}
			if err := refuseFileArgs(args); err != nil {
				return err
			}
			sayReadingTerminal(e, &iof, args, "URLs")
			opts, err := hf.options()
			if err != nil {
				return err
			}
			limit, err := sizeFlag("max-size", maxSize)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return usageError{err}
			}
			// A run killed outright (SIGKILL, a crash) leaves its
			// temporary files; the next run into dir clears them.
			if n, err := download.SweepTemp(dir); err == nil && n > 0 && !iof.quiet {
				fmt.Fprintf(e.stderr, "removed %d temporary files left by a killed run\n", n)
			}
			return hf.settled(e.stderr, iof.quiet, runSpec(c.Context(), e, &iof, args, spec[getRecord]{
				workers: hf.workers,
				limiter: hf.limiter,
				newJob: func(workers int) (job[getRecord], func()) {
					o := opts
					o.Workers = workers
					d := download.New(download.Options{HTTP: o, MaxSize: limit, Accept: hf.accepted, NoSync: noFsync})
					return getJob(d, dir, &hf), d.Close
				},
				show: func(r getRecord) bool { return hf.shows(r.Status) },
				outcome: func(r getRecord) string {
					if r.Error != "" {
						return "errors"
					}
					return "saved"
				},
				outcomes: []string{"saved", "errors"},
				what:     "downloading",
				count:    func(t *cli.Tally, r getRecord) { t.Sum("bytes", r.Bytes) },
				summary: func(w io.Writer, t *cli.Tally) {
					fmt.Fprintf(w, "%d saved (%d bytes), %d errors in %.2fs\n", t.Count("saved"), t.SumOf("bytes"), t.Count("errors"), t.Elapsed().Seconds())
				},
			}))
		},
	}
	hf.add(c)
	iof.add(c)
	c.Flags().StringVar(&dir, "dir", ".", "directory to save pages in (created if missing)")
	c.Flags().StringVar(&maxSize, "max-size", "1GiB", "largest page saved, counted after gzip decoding (a small gzip can decode to gigabytes), e.g. 10MB; 0 for no limit")
	c.Flags().BoolVar(&noFsync, "no-fsync", false, "do not sync the files before renaming them into place (a killed process still leaves no partial file; a power loss may leave empty ones)")
	return c
}

// getJob downloads one line into dir, once per distinct URL among the
// recent ones.
func getJob(d *download.Downloader, dir string, hf *httpFlags) job[getRecord] {
	seen := httpcheck.NewDedup[download.Result](dedupRecent)
	return job[getRecord]{
		do: func(ctx context.Context, l cli.Line) getRecord {
			r := seen.Do(ctx, l.Text, func() (download.Result, bool) {
				r := d.Get(ctx, l.Text, dir)
				return r, ctx.Err() == nil
			})
			rec := getRecord{Input: l.Text, Line: l.N, Path: r.Path, Bytes: r.Bytes, Status: r.Status,
				ElapsedMS: cli.MS(r.Elapsed)}
			if r.Err != nil {
				rec.Error = download.Reason(r.Err)
				rec.Bytes = 0
			}
			return rec
		},
		invalid: func(l cli.Line) getRecord { return getRecord{Input: l.Text, Line: l.N, Error: l.Err.Error()} },
		passed:  func(r getRecord) bool { return r.Error == "" },
	}
}
