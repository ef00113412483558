package command

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/demosite"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/timeline"
	"github.com/spf13/cobra"
)

// demoOptions is everything `fanout demo` needs: its flags.
type demoOptions struct {
	latency  time.Duration
	pages    int
	workers  int
	timeline string
}

func newDemo(e *env) *cobra.Command {
	var o demoOptions
	c := &cobra.Command{
		Use:   "demo",
		Short: "The tutorials' comparison: 50 page checks, one at a time, then concurrently",
		Long: `Runs the Python tutorial's step 4 against a simulated Wikipedia that fanout
starts on loopback (no network needed): the same pages checked one at a time,
then concurrently, with both times and the speedup.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runDemo(c.Context(), e, &o) },
	}
	o.add(c)
	c.AddCommand(newDemoServe(e))
	return c
}

// add declares demo's flags.
func (o *demoOptions) add(c *cobra.Command) {
	c.Flags().DurationVar(&o.latency, "latency", 100*time.Millisecond, "simulated latency of each page")
	c.Flags().IntVar(&o.pages, "pages", 50, "how many pages to check")
	workersFlag{def: 64, usage: "workers for the concurrent half"}.add(c.Flags(), &o.workers)
	c.Flags().StringVar(&o.timeline, "timeline", "", "draw both runs, task by task on one time axis, into FILE (.html to open in a browser, or .svg)")
}

// validate refuses what demo cannot do, before the site starts.
func (o *demoOptions) validate() error {
	if o.pages < 1 {
		return usagef("--pages must be at least 1")
	}
	if o.timeline != "" {
		if err := timeline.CheckPath(o.timeline); err != nil {
			return usagef("--timeline: %v", err)
		}
	}
	return nil
}

// runDemo starts the simulated site and checks its pages with one worker,
// then with o.workers, and says how much faster that was.
func runDemo(ctx context.Context, e *env, o *demoOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	site, err := demosite.Start(demosite.Options{Latency: o.latency})
	if err != nil {
		return err
	}
	defer site.Close()
	var urls []runio.Line
	for i := range o.pages {
		urls = append(urls, runio.Line{N: i + 1, Text: site.WikiURL(strconv.Itoa(i))})
	}
	if o.pages > 2 { // as the tutorial shows, some pages do not exist
		urls[o.pages-1].Text = site.WikiURL("this_page_does_not_exist")
	}
	fmt.Fprintf(e.stdout, "Simulated site at %s, %v per page.\n\n", site.URL(), o.latency)
	d := demoRun{ctx: ctx, e: e, urls: urls, draw: o.timeline != ""}
	seq, code := d.half("One at a time (1 worker):", 1)
	if code == ExitInterrupted {
		return exitError{code}
	}
	fmt.Fprintf(e.stdout, "Without concurrency: %.2fs\n\n", seq.Seconds())
	conc, code := d.half(fmt.Sprintf("Concurrently (%d workers):", o.workers), o.workers)
	if code == ExitInterrupted {
		return exitError{code}
	}
	fmt.Fprintf(e.stdout, "With concurrency:    %.2fs\n\n", conc.Seconds())
	fmt.Fprintf(e.stdout, "%.1fx faster. Try it on your own list: fanout check -i urls.txt\n", seq.Seconds()/conc.Seconds())
	if o.timeline != "" {
		if err := timeline.WriteFile(o.timeline, d.runs...); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "\nBoth runs, task by task: %s (open it in a browser)\n", o.timeline)
	}
	return nil
}

// demoRun is the demo's two halves: the same pages, checked by runJob.
type demoRun struct {
	ctx  context.Context
	e    *env
	urls []runio.Line
	draw bool           // record each half for --timeline
	runs []timeline.Run // the halves drawn so far
}

// half checks the pages with w workers, printing each record, and returns
// the time it took and runJob's exit status.
func (d *demoRun) half(title string, w int) (time.Duration, int) {
	fmt.Fprintf(d.e.stdout, "%s\n", title)
	// GET, as the tutorial's requests.get does.
	checker := httpcheck.New(httpcheck.Options{Workers: w, Timeout: 10 * time.Second, Method: http.MethodGet})
	defer checker.Close()
	outcome := func(r checkRecord) string { return string(r.class) }
	tally := runio.NewTally(classNames()...)
	var tl *timeline.Recorder
	if d.draw {
		tl = timeline.New(w)
	}
	start := time.Now()
	r := runJob(d.ctx, w, false, nil, slices.Values(d.urls), timed(checkJob(checker), tl, outcome), func(r checkRecord, _ bool) {
		fmt.Fprintln(d.e.stdout, r.TextLine())
		tally.Add(outcome(r))
	})
	elapsed := time.Since(start)
	if tl != nil {
		d.runs = append(d.runs, tl.Finish(strings.TrimSuffix(title, ":"), tally.Summary("checked")))
	}
	return elapsed, r.code
}

func newDemoServe(e *env) *cobra.Command {
	var latency time.Duration
	var addr string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Keep the simulated site running, to try the other commands on it",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			site, err := demosite.Start(demosite.Options{Latency: latency, Addr: addr})
			if err != nil {
				return err
			}
			defer site.Close()
			fmt.Fprintf(e.stdout, "%s\n", site.URL())
			fmt.Fprintf(e.stderr, "Serving the simulated site (routes at %s/). Try:\n  fanout check %s %s\nCtrl-C to stop.\n",
				site.URL(), site.WikiURL("Ocean"), site.WikiURL("this_page_does_not_exist"))
			<-c.Context().Done()
			return nil
		},
	}
	c.Flags().DurationVar(&latency, "latency", 100*time.Millisecond, "simulated latency of each page")
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "loopback address to listen on; a name is resolved, and refused unless all its addresses are loopback")
	return c
}
