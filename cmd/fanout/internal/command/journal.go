package command

import (
	"path/filepath"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
)

// jobFlags are, per command, the flags that change what a record means:
// a --resume journal written with other values is another job's, and is
// refused. Flags that only change how the work is done (--workers,
// --timeout, --retries, output formats) are not here: a rerun may change
// them, as a rerun after timeouts raises --timeout. exec's command line
// is not either: the usual rerun runs a fixed script over what failed
// (GNU parallel's --resume does not compare commands); -n is, since it
// decides what a record's input is.
var jobFlags = map[string][]string{
	"check": {"method"},
	"links": {"method"},
	"get":   {"dir"},
	"exec":  {"max-args"},
}

// job is what a --resume journal's header says of this run: the command
// and its jobFlags that were set.
func (f *runFlags) job() runio.Job {
	j := runio.Job{Command: f.cmd.Name()}
	for _, name := range jobFlags[j.Command] {
		fl := f.cmd.Flags().Lookup(name)
		if fl == nil || !fl.Changed {
			continue
		}
		v := fl.Value.String()
		if name == "dir" {
			// The same directory however it is named, from wherever the
			// rerun starts.
			if abs, err := filepath.Abs(v); err == nil {
				v = abs
			}
		}
		j.Args = append(j.Args, "--"+name+"="+v)
	}
	return j
}
