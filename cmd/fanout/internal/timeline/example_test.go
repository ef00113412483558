package timeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fanout-dev/fanout"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/timeline"
)

// A run timed task by task and drawn as a page. Without --timeline the
// Recorder is nil, and the same calls cost nothing.
func Example() {
	const workers = 4
	rec := timeline.New(workers) // before the run: its clock starts here
	ex := fanout.New(fanout.WithWorkers(workers))
	pages := []string{"Ocean", "Mountain", "River", "this_page_does_not_exist"}
	for range fanout.MapUnordered(context.Background(), ex, slices.Values(pages), func(ctx context.Context, page string) (string, error) {
		task := rec.Start(ctx) // the worker's id and the start time
		time.Sleep(time.Millisecond)
		outcome := "exists"
		if page == "this_page_does_not_exist" {
			outcome = "does not exist"
		}
		task.End(page, outcome)
		return outcome, nil
	}) {
	}
	ex.Shutdown()
	run := rec.Finish("4 workers", "4 checked: 3 exists, 1 does not exist")

	dir, _ := os.MkdirTemp("", "timeline")
	defer os.RemoveAll(dir)
	fmt.Println(timeline.WriteFile(filepath.Join(dir, "run.html"), run))
	fmt.Println(timeline.CheckPath("run.png")) // before the run, with the flags
	// Output:
	// <nil>
	// timeline: the file name must end in .svg or .html: "run.png"
}
