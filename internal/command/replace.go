package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/fanout-dev/fanout/internal/cli"
	"github.com/fanout-dev/fanout/internal/replace"
	"github.com/spf13/cobra"
)

// Exit statuses of `fanout replace` (ExitOK, ExitInterrupted as usual).
const (
	ExitNoMatch      = 1 // the run went through and nothing matched
	ExitReplaceError = 2 // some file could not be read or rewritten (2 is also a usage error)
)

// replaceRecord is one line of `fanout replace` output. Files without a
// match are counted in the summary but not listed.
type replaceRecord struct {
	Path         string `json:"path"`
	Target       string `json:"target,omitempty"` // the file edited when path is a symlink
	Result       string `json:"result"`           // changed, would change, unchanged, skipped, error
	Replacements int    `json:"replacements"`
	Reason       string `json:"reason,omitempty"` // why it was skipped
	Error        string `json:"error,omitempty"`
	Diff         string `json:"diff,omitempty"` // --dry-run
}

const (
	resChanged     = "changed"
	resWouldChange = "would change"
	resUnchanged   = "unchanged"
	resSkipped     = "skipped"
	resError       = "error"
)

func (r replaceRecord) TextLine() string {
	switch r.Result {
	case resSkipped:
		return r.Path + ": skipped (" + r.Reason + ")"
	case resError:
		return r.Path + ": error: " + r.Error
	}
	s := r.Path + ": " + plural(r.Replacements, "replacement")
	if r.Target != "" {
		s += " (in " + r.Target + ")"
	}
	if r.Result == resWouldChange {
		s = r.Diff + s + " (dry run)"
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func newReplaceRecord(res replace.Result, dryRun bool) replaceRecord {
	rec := replaceRecord{Path: res.Path, Target: res.Target, Replacements: res.Replacements, Diff: res.Diff}
	switch {
	case res.Err != nil:
		rec.Result, rec.Error = resError, errorText(res.Path, res.Err)
	case res.Skip != "":
		rec.Result, rec.Reason = resSkipped, res.Skip
	case res.Changed && dryRun:
		rec.Result = resWouldChange
	case res.Changed:
		rec.Result = resChanged
	default:
		rec.Result = resUnchanged
	}
	return rec
}

// errorText drops the path from an error about that same path: the record
// already starts with it.
func errorText(path string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path && pe == err {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

func newReplace(e *env) *cobra.Command {
	var iof ioFlags
	var wo replace.WalkOptions
	var regex, dryRun, noFsync bool
	var maxSize string
	var workers int
	c := &cobra.Command{
		Use:   "replace OLD NEW [PATH...]",
		Short: "Replace text in many files at once, safely",
		Long: `Replace every OLD by NEW in the files under each PATH (default: the current
directory), many files at once.

OLD is literal unless --regex (Go RE2 syntax; in NEW, $1 or ${1} is a group,
${name} a named group, $$ a dollar; write ${1}x, not $1x; ^ and $ match at
the file's ends unless the pattern starts with (?m)). An empty OLD is refused.

Directories are walked like ripgrep does: .gitignore, .ignore and .gitmodules
are honoured (--no-ignore), hidden files and directories skipped (--hidden),
.git/ never entered, symlinks in them not followed; -g/--glob include or
'!'-exclude by glob (repeatable). Files named explicitly are always edited,
and a symlink named explicitly stays a symlink: its target is edited.

Skipped and reported: binary files (a NUL byte in the first 8 KiB), UTF-16
and UTF-32 files (by their byte order mark), invalid UTF-8, files over
--max-filesize, devices and FIFOs. A UTF-8 byte order mark is kept.

Every rewrite is atomic: the new content is written to a hidden temporary
file in the same directory (".NAME" + digits), given the file's mode (and
owner: root keeps any owner; otherwise a file we cannot give back its owner
is an error), synced (--no-fsync skips that) and renamed over the file. If
the process dies at any instant, each file holds its old or its new content;
at worst a hidden temporary file is left, which later runs skip and report.
Bytes outside the matches are kept exactly (line endings, final newline). A
file without a match is not rewritten (its mtime is kept). A read-only file,
or one in a directory we cannot write, is reported and left as it was; the
run goes on. Rewriting replaces the file's inode: other hard links to it keep
the old content, and extended attributes and ACLs are not copied.

--dry-run prints a unified diff per file and writes nothing.

Each line says: PATH: N replacements, PATH: skipped (why), or PATH: error:
reason. The summary on stderr counts files scanned, changed, replacements,
skipped (by reason) and errors.

Exit status: 0 when something was replaced (or would be, with --dry-run),
1 when nothing matched, 2 when any file could not be read or rewritten (2 is
also a usage error), 130 when interrupted.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			old, repl, paths := args[0], args[1], args[2:]
			if len(paths) == 0 {
				paths = []string{"."}
			}
			var r *replace.Replacer
			var err error
			if regex {
				r, err = replace.Regex(old, repl)
			} else {
				r, err = replace.Literal(old, repl)
			}
			if err != nil {
				return usageError{err}
			}
			limit, err := sizeFlag("max-filesize", maxSize)
			if err != nil {
				return err
			}
			switch {
			case workers < 1:
				return usagef("--workers must be at least 1")
			case iof.compare && !dryRun:
				return usagef("--compare runs the replacement twice: use it with --dry-run")
			}
			entries, err := replace.Walk(c.Context(), paths, wo)
			if err != nil {
				return usagef("--glob: %v", err)
			}
			opts := replace.Options{DryRun: dryRun, NoFsync: noFsync, MaxSize: limit}
			explicit := map[string]bool{}
			for _, p := range paths {
				explicit[p] = true
			}
			return runSpec(c.Context(), e, &iof, nil, spec[replaceRecord]{
				workers: workers,
				lines:   entryLines(entries),
				// A fresh job per run: --compare's first run must not
				// leave every path marked as seen for the real one.
				newJob:   func(int) (job[replaceRecord], func()) { return replaceJob(r, opts, explicit), func() {} },
				outcome:  replaceOutcome,
				outcomes: []string{resChanged, resWouldChange, resUnchanged},
				what:     "replacing",
				count:    func(t *cli.Tally, r replaceRecord) { t.Sum("replacements", int64(r.Replacements)) },
				summary:  func(w io.Writer, t *cli.Tally) { replaceSummary(w, t, dryRun) },
				exit:     replaceExit,
				// Files without a match are counted, not listed.
				show: func(r replaceRecord) bool { return r.Result != resUnchanged },
			})
		},
	}
	iof.addOutput(c)
	c.Flags().BoolVarP(&regex, "regex", "E", false, "OLD is a regular expression (RE2), NEW may use $1, ${name}")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "print a unified diff per file and the counts; write nothing")
	c.Flags().BoolVar(&noFsync, "no-fsync", false, "do not sync each new file before renaming it (a killed process still loses nothing; a power loss may leave empty files)")
	c.Flags().BoolVar(&wo.Hidden, "hidden", false, "also walk hidden files and directories (.git/ never)")
	c.Flags().BoolVar(&wo.NoIgnore, "no-ignore", false, "do not honour .gitignore, .ignore and .gitmodules")
	c.Flags().StringArrayVarP(&wo.Globs, "glob", "g", nil, "only files matching this glob; '!GLOB' excludes (repeatable; ripgrep's -g)")
	c.Flags().StringVar(&maxSize, "max-filesize", "", "skip files larger than this, e.g. 10MB or 1MiB (default no limit)")
	c.Flags().IntVarP(&workers, "workers", "w", 16, "files read and rewritten at once")
	return c
}

// replaceJob edits one path per line; explicit holds the PATHs as given
// (the walk yields them unchanged). With several PATHs the same file can
// come twice (a directory and a file in it, a symlink and its target): it
// is then edited once, so two workers never rewrite it at the same time.
func replaceJob(r *replace.Replacer, o replace.Options, explicit map[string]bool) job[replaceRecord] {
	var seen sync.Map
	dedupe := len(explicit) > 1
	cwd, _ := os.Getwd()
	return job[replaceRecord]{
		do: func(ctx context.Context, l cli.Line) replaceRecord {
			fo := o
			fo.Explicit = explicit[l.Text]
			if dedupe {
				key := l.Text
				if fo.Explicit {
					if real, err := filepath.EvalSymlinks(key); err == nil {
						key = real
					}
				}
				if !filepath.IsAbs(key) {
					key = filepath.Join(cwd, key)
				}
				if _, dup := seen.LoadOrStore(filepath.Clean(key), true); dup {
					return newReplaceRecord(replace.Result{Path: l.Text, Skip: replace.SkipDuplicate}, o.DryRun)
				}
			}
			return newReplaceRecord(r.File(l.Text, fo), o.DryRun)
		},
		invalid: func(l cli.Line) replaceRecord {
			return newReplaceRecord(replace.Result{Path: l.Text, Err: l.Err}, o.DryRun)
		},
		passed: func(r replaceRecord) bool { return r.Result != resError },
	}
}

// entryLines turns the walk into the lines runJob takes.
func entryLines(entries iter.Seq[replace.Entry]) iter.Seq[cli.Line] {
	return func(yield func(cli.Line) bool) {
		n := 0
		for ent := range entries {
			n++
			if !yield(cli.Line{N: n, Text: ent.Path, Err: ent.Err}) {
				return
			}
		}
	}
}

// replaceOutcome is what the summary counts a file as.
func replaceOutcome(r replaceRecord) string {
	if r.Result == resSkipped {
		return skippedPrefix + r.Reason
	}
	return r.Result
}

const skippedPrefix = "skipped: "

// replaceSummary is e.g. "120 files scanned: 3 changed (7 replacements), 2
// skipped (1 binary, 1 invalid UTF-8), 0 errors in 0.02s".
func replaceSummary(w io.Writer, t *cli.Tally, dryRun bool) {
	verb := "changed"
	if dryRun {
		verb = "would change"
	}
	nskipped := 0
	var reasons []string
	t.Each(func(outcome string, n int) {
		if why, ok := strings.CutPrefix(outcome, skippedPrefix); ok {
			nskipped += n
			reasons = append(reasons, fmt.Sprintf("%d %s", n, why))
		}
	})
	sort.Strings(reasons)
	skipped := strconv.Itoa(nskipped) + " skipped"
	if len(reasons) > 0 {
		skipped += " (" + strings.Join(reasons, ", ") + ")"
	}
	fmt.Fprintf(w, "%s scanned: %d %s (%s), %s, %s in %.2fs\n", plural(t.Total(), "file"), t.Count(resChanged)+t.Count(resWouldChange), verb,
		plural(int(t.SumOf("replacements")), "replacement"), skipped, plural(t.Count(resError), "error"), t.Elapsed().Seconds())
}

// replaceExit is the exit status: errors first, then whether anything changed.
func replaceExit(t *cli.Tally) int {
	switch {
	case t.Count(resError) > 0:
		return ExitReplaceError
	case t.Count(resChanged)+t.Count(resWouldChange) > 0:
		return ExitOK
	}
	return ExitNoMatch
}
