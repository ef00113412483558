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
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/replace"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/walk"
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

	// spill holds the --dry-run diff until the record is printed, Diff
	// being "" until then: see writeReplace.
	spill *diffSpill
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

// replaceOptions is everything `fanout replace` needs: its flags, parsed.
type replaceOptions struct {
	run     runFlags // the run path's shared flags
	walk    walk.Options
	regex   bool // -E
	fixed   bool // -F
	across  bool // -A
	dryRun  bool
	noFsync bool
	follow  bool
	maxSize string // --max-filesize, parsed by runReplace
	// asWritten is -- before OLD: the text is meant as written, even
	// when it looks like a sed script.
	asWritten bool
}

func newReplace(e *env) *cobra.Command {
	var o replaceOptions
	c := &cobra.Command{
		Use:   "replace OLD NEW [PATH...]",
		Short: "Replace text in many files at once, safely",
		Long:  replaceLong,
		Args:  cobra.MinimumNArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			o.asWritten = c.ArgsLenAtDash() == 0
			return runReplace(c.Context(), e, &o, args)
		},
	}
	o.add(c)
	return c
}

const replaceLong = `Replace every OLD by NEW in the files under each PATH, many files at once.
Without a PATH, as in ripgrep: stdin is filtered to stdout when it is a pipe
or a file, and the current directory is walked when stdin is a terminal,
/dev/null or closed. A PATH of - filters stdin to stdout.

Every PATH named is checked before any file is written: one that does not
exist or cannot be read, or (unless --dry-run) a file or its directory that
cannot be written, stops the run with exit status 2 and nothing written,
as sd does. Files found by walking are reported one by one instead.

OLD is literal unless --regex (Go RE2 syntax). An empty OLD is refused. An
OLD shaped like a sed script ('s/foo/bar/g') is refused, with the fanout
command line meant (fanout replace -E 'foo' 'bar' FILE); -F, or -- before
OLD, replaces that text as written.

With --regex, each line is matched on its own, as sed and sd do: the
line's end (\n or \r\n) is not part of the text the pattern sees. So ^ and
$ are each line's start and end, '\s+$' trims trailing blanks and keeps
every line end (CRLF stays CRLF), '^(.*)$' -> '${1};' makes 'abc;\r\n' of
'abc\r\n', . and [^x] never reach into the next line, and there is no empty
line after the final newline for ^ or $ to match (sd#159, sd#291, sd#318).
A pattern that needs a line break, like 'a\nb', is refused in this mode.
--across (-A) matches the whole file at once instead, as 'sd -A' and
'rg -U' do: ^ and $ still match at each line and . never matches \n, but
\n, \s and [^x] do, and a \r before \n is text.
  sed -E 's/RE/NEW/g' (no -i) also works line by line, but sees the \r of
  a CRLF line as text: 's/\s+$//' turns CRLF into LF there, not here.
  sd matches line by line in its recent versions (-A/--across for the
  whole input); older sd matched the whole input, hence the issues cited.

In NEW (with --regex), $1 or ${1} is a group, $name or ${name} a named
group, $$ a dollar. A reference to no group of the pattern is an error
before any file is touched: '$1x' would be read as the group named '1x'
(write ${1}x), and '$path' or '${9}' would silently insert nothing.
Backslash escapes in NEW are sd's: \n, \r, \t, \', \", \\, \xHH and
\uHHHH are those characters, so sd's one-liner  sd '\s+' '\n'  is
fanout replace -E '\s+' '\n'; any other backslash is kept as written.
Write \\ for a backslash (\\n is a backslash and an n). Literal NEW
(without --regex, or -F) is written as given, backslashes and all.

Directories are walked like ripgrep does: .gitignore, .ignore and .gitmodules
are honoured (--no-ignore), hidden files and directories skipped (--hidden),
.git/ never entered, symlinks in them not followed, devices and FIFOs left
out. -g/--glob includes files by glob, '!GLOB' excludes (repeatable); as in
ripgrep, a glob without '/' matches a name at any depth, one with '/' is
relative to the PATH, and when several match a path the last one decides.
Files named explicitly are always edited. A symlink named explicitly is
skipped and reported, so that 'replace a b dir/*' never writes outside the
paths given; --follow edits its target, and it stays a symlink (sed -i
would replace the link by a regular file).

Skipped and reported: binary files (a NUL byte in the first 8 KiB, or
anywhere in a file with a match, as in ripgrep: a sparse file's holes are
NULs), UTF-16 and UTF-32 files (by their byte order mark), files with a
match that are not valid UTF-8, files over --max-filesize, devices and FIFOs
named explicitly. A UTF-8 byte order mark is kept.

Files are read 1 MiB of whole lines at a time (more for a longer line), as
sed does, so memory does not grow with a file's size. What must be read
whole, --across and an OLD holding a line break, skips files over 256 MiB
unless --max-filesize says otherwise. --dry-run makes a streamed file's
diff as it reads, and keeps each file's diff until it is printed: past
1 MiB in a temporary file (in $TMPDIR, deleted at once), not in memory.

Every rewrite is atomic: the new content is written to a hidden temporary
file in the same directory (".NAME" + digits), given the file's owner (root
keeps any owner; otherwise a file we cannot give back its owner is an error)
and then its mode (setuid, setgid and sticky bits included), synced
(--no-fsync skips that) and renamed over the file. If the process dies at
any instant, each file holds its old or its new content; at worst a hidden
temporary file is left, which later runs skip and report. Bytes outside the
matches are kept exactly (line endings, final newline). A file without a
match is not rewritten (its mtime is kept). A read-only file (no write bit
in its mode, even for root, where sed -i rewrites it), or one in a directory
we cannot write, is reported and left as it was; the run goes on.
Rewriting replaces the file's inode: other hard links to it keep the old
content, and extended attributes and ACLs are not copied.

With - as the PATH (alone), or no PATH and stdin a pipe or file, the result
goes to stdout (or the diff, with --dry-run) and nothing is written to disk.
Stdin is streamed like a large file, 1 MiB of whole lines at a time, each
written out before the next is read, as sed does. What a file would be
skipped for (binary, UTF-16, not UTF-8 where it matches) passes through
unchanged, as sed and sd pass their input on, and the summary on stderr
says it was skipped. Found only after edited lines went out (a NUL byte
past the first 1 MiB), it cannot be undone: from that chunk on the input
passes through unchanged, and it is an error naming the byte (exit 2),
where sed edits on through a NUL and ripgrep stops reading. What must be
read whole (--across, an OLD holding a line break, or any replacement
with --max-filesize) is held up to 256 MiB or --max-filesize: a larger
stdin is an error, and nothing is written.

--dry-run prints a unified diff per file and writes nothing.

Each line says: PATH: N replacements, PATH: skipped (why), or PATH: error:
reason. The summary on stderr counts files scanned, changed, replacements,
skipped (by reason) and errors.

Exit status: 0 when something was replaced (or would be, with --dry-run),
1 when nothing matched, 2 when any file could not be read or rewritten (2 is
also a usage error), 130 when interrupted.`

func (o *replaceOptions) add(c *cobra.Command) {
	o.run.add(c, workersFlag{def: 16, usage: "files read and rewritten at once"}, runCompare|runOutput)
	c.Flags().BoolVarP(&o.regex, "regex", "E", false, "OLD is a regular expression (RE2) matched line by line; NEW may use $1, ${name}")
	c.Flags().BoolVarP(&o.across, "across", "A", false, "with --regex: match the whole file at once, across lines (sd -A, rg -U)")
	// ripgrep's name for it, for the fingers that know rg; one name in the help.
	c.Flags().BoolVarP(&o.across, "multiline", "U", false, "same as --across")
	c.Flags().MarkHidden("multiline")
	c.Flags().BoolVarP(&o.fixed, "fixed-strings", "F", false, "OLD is text, not a pattern (the default; sd's -F): an OLD shaped like a sed script is then meant as written")
	c.Flags().BoolVarP(&o.dryRun, "dry-run", "p", false, "print a unified diff per file and the counts; write nothing (-p as in sd)")
	// sd's name for it.
	c.Flags().BoolVar(&o.dryRun, "preview", false, "same as --dry-run")
	c.Flags().MarkHidden("preview")
	c.Flags().BoolVar(&o.follow, "follow", false, "edit the target of a symlink named as a PATH (without it, such a symlink is skipped; symlinks met while walking always are)")
	c.Flags().BoolVar(&o.noFsync, "no-fsync", false, "do not sync each new file before renaming it (a killed process still loses nothing; a power loss may leave empty files)")
	c.Flags().BoolVar(&o.walk.Hidden, "hidden", false, "also walk hidden files and directories (.git/ never)")
	c.Flags().BoolVar(&o.walk.NoIgnore, "no-ignore", false, "do not honour .gitignore, .ignore and .gitmodules")
	c.Flags().StringArrayVarP(&o.walk.Globs, "glob", "g", nil, "only files matching this glob; '!GLOB' excludes; the last matching glob decides (repeatable; ripgrep's -g)")
	c.Flags().StringVar(&o.maxSize, "max-filesize", "", "skip files larger than this, e.g. 10MB or 1MiB (default no limit; 256MiB for --across)")
}

// validate refuses the flags that exclude each other, and an OLD shaped
// like a sed script (unless -F or -- says it is meant as written).
func (o *replaceOptions) validate(args []string) error {
	switch {
	case o.fixed && o.regex:
		return usagef("-F (fixed strings) and -E (regex) exclude each other")
	case o.across && !o.regex:
		return usagef("--across applies to --regex")
	case o.fixed || o.asWritten:
		return nil
	}
	// NEW was the user's first PATH.
	return checkSedScript(args[0], args[1:])
}

// replacer compiles OLD and NEW as the flags say.
func (o *replaceOptions) replacer(old, repl string) (*replace.Replacer, error) {
	var r *replace.Replacer
	var err error
	if o.regex {
		mode := replace.Lines
		if o.across {
			mode = replace.Across
		}
		r, err = replace.Regex(old, repl, mode)
	} else {
		r, err = replace.Literal(old, repl)
	}
	if err != nil {
		return nil, usageError{err}
	}
	return r, nil
}

// runReplace edits the files under the PATHs in args[2:], or filters
// stdin to stdout.
func runReplace(ctx context.Context, e *env, o *replaceOptions, args []string) error {
	if err := o.validate(args); err != nil {
		return err
	}
	old, repl, paths := args[0], args[1], args[2:]
	if len(paths) == 0 {
		paths = []string{"."}
		if stdinReadable(e.stdin) {
			paths = []string{"-"}
		}
	}
	r, err := o.replacer(old, repl)
	if err != nil {
		return err
	}
	limit, err := sizeFlag("max-filesize", o.maxSize)
	if err != nil {
		return err
	}
	if slices.Contains(paths, "-") {
		return filterStdin(e, &o.run, r, paths, replace.Options{DryRun: o.dryRun, MaxSize: limit})
	}
	if o.run.compare && !o.dryRun {
		return usagef("--compare runs the replacement twice: use it with --dry-run")
	}
	opts := replace.Options{DryRun: o.dryRun, NoFsync: o.noFsync, MaxSize: limit, Follow: o.follow}
	if err := checkPaths(e.stderr, paths, opts); err != nil {
		return err
	}
	entries, err := namedFiles(ctx, paths, o.walk, o.follow)
	if err != nil {
		return usagef("--glob: %v", err)
	}
	explicit := map[string]bool{}
	for _, p := range paths {
		explicit[p] = true
	}
	return runSpec(ctx, e, &o.run, nil, spec[replaceRecord]{
		lines: entryLines(entries),
		// A fresh job per run: --compare's first run must not leave
		// every path marked as seen for the real one.
		newJob: func(int) (job[replaceRecord], func()) {
			files := &spillFiles{}
			return replaceJob(r, opts, explicit, files), files.close
		},
		outcome:  replaceOutcome,
		outcomes: []string{resChanged, resWouldChange, resUnchanged},
		what:     "replacing",
		count:    func(t *runio.Tally, r replaceRecord) { t.Sum("replacements", int64(r.Replacements)) },
		summary:  func(w io.Writer, t *runio.Tally) { replaceSummary(w, t, o.dryRun) },
		exit:     replaceExit,
		write: func(out *runio.Writer, _ io.Writer, rec replaceRecord) error {
			return writeReplace(out, rec, !o.run.json && !o.run.csv)
		},
		// Files without a match are counted, not listed.
		show: func(r replaceRecord) bool { return r.Result != resUnchanged },
	})
}

// filterStdin is `fanout replace OLD NEW -`: stdin filtered to stdout,
// the summary (and an error, if any) on stderr. Options about files and
// records have no meaning here and are refused.
func filterStdin(e *env, f *runFlags, r *replace.Replacer, paths []string, o replace.Options) error {
	switch {
	case len(paths) > 1:
		return usagef("- (stdin to stdout) cannot be mixed with other PATHs")
	case f.json || f.csv || f.compare:
		return usagef("stdin is filtered to stdout (PATH -, or no PATH and stdin a pipe or file): --json, --csv and --compare do not apply")
	}
	tally := runio.NewTally()
	res := r.Filter(e.stdout, e.stdin, o)
	rec := newReplaceRecord(res, o.DryRun)
	tally.Add(replaceOutcome(rec))
	tally.Sum("replacements", int64(rec.Replacements))
	if res.Err != nil {
		fmt.Fprintln(e.stderr, rec.TextLine())
	}
	if !f.quiet {
		replaceSummary(e.stderr, tally, o.DryRun)
	}
	if code := replaceExit(tally); code != ExitOK {
		return exitError{code}
	}
	return nil
}

// replaceJob edits one path per line; explicit holds the PATHs as given
// (the walk yields them unchanged). With several PATHs the same file can
// come twice (a directory and a file in it, a symlink and its target): it
// is then edited once, so two workers never rewrite it at the same time.
//
// With --dry-run each file's diff goes to a diffSpill of its own, whose
// temporary file, if it needed one, is registered in files.
func replaceJob(r *replace.Replacer, o replace.Options, explicit map[string]bool, files *spillFiles) job[replaceRecord] {
	var seen sync.Map
	dedupe := len(explicit) > 1
	cwd, _ := os.Getwd()
	return job[replaceRecord]{
		do: func(ctx context.Context, l runio.Line) replaceRecord {
			fo := o
			fo.Explicit = explicit[l.Text]
			if dedupe {
				key := l.Text
				if fo.Explicit && o.Follow {
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
			if !o.DryRun {
				return newReplaceRecord(r.File(l.Text, fo), false)
			}
			d := &diffSpill{files: files}
			fo.DiffTo = d
			rec := newReplaceRecord(r.File(l.Text, fo), true)
			if rec.Result == resWouldChange {
				rec.spill = d
			} else if d.file != nil {
				d.file.Close() // skipped or failed after some hunks were out
			}
			return rec
		},
		invalid: func(l runio.Line) replaceRecord {
			return newReplaceRecord(replace.Result{Path: l.Text, Err: l.Err}, o.DryRun)
		},
		passed: func(r replaceRecord) bool { return r.Result != resError },
	}
}

// writeReplace prints a record whose diff waits in a diffSpill: in text,
// the diff a piece at a time, each escaped as the whole line would be, so
// that it is never held whole; --json and --csv need it in the record.
func writeReplace(out *runio.Writer, rec replaceRecord, text bool) error {
	if rec.spill == nil {
		return out.Write(rec)
	}
	if !text {
		var err error
		if rec.Diff, err = rec.spill.String(); err != nil {
			return fmt.Errorf("reading back the diff of %s: %w", rec.Path, err)
		}
		return out.Write(rec)
	}
	var werr error
	err := rec.spill.each(func(s string) error {
		werr = out.WriteText(runio.Scrub(s))
		return werr
	})
	switch {
	case werr != nil:
		return werr
	case err != nil:
		return fmt.Errorf("reading back the diff of %s: %w", rec.Path, err)
	}
	return out.Write(rec) // its line, after the diff
}

// namedFiles is walk.Files, except that a symlink named as a PATH is
// not followed without --follow: it comes as itself (which File skips),
// so `replace a b dir/*` cannot walk or edit what a link in dir points
// to.
func namedFiles(ctx context.Context, paths []string, o walk.Options, follow bool) (iter.Seq[walk.Entry], error) {
	var links, walked []string
	for _, p := range paths {
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 && !follow {
			links = append(links, p)
		} else {
			walked = append(walked, p)
		}
	}
	entries, err := walk.Files(ctx, walked, o)
	if err != nil {
		return nil, err
	}
	return func(yield func(walk.Entry) bool) {
		for _, l := range links {
			if !yield(walk.Entry{Path: l, Type: fs.ModeSymlink, Explicit: true}) {
				return
			}
		}
		entries(yield)
	}, nil
}

// entryLines turns the walk into the lines runJob takes.
func entryLines(entries iter.Seq[walk.Entry]) iter.Seq[runio.Line] {
	return func(yield func(runio.Line) bool) {
		n := 0
		for ent := range entries {
			n++
			if !yield(runio.Line{N: n, Text: ent.Path, Err: ent.Err}) {
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
func replaceSummary(w io.Writer, t *runio.Tally, dryRun bool) {
	verb := "changed"
	if dryRun {
		verb = "would change"
	}
	nskipped, reasons := t.Under(skippedPrefix)
	skipped := strconv.Itoa(nskipped) + " skipped"
	if len(reasons) > 0 {
		skipped += " (" + strings.Join(reasons, ", ") + ")"
	}
	fmt.Fprintf(w, "%s scanned: %d %s (%s), %s, %s in %.2fs\n", plural(t.Total(), "file"), t.Count(resChanged)+t.Count(resWouldChange), verb,
		plural(int(t.SumOf("replacements")), "replacement"), skipped, plural(t.Count(resError), "error"), t.Elapsed().Seconds())
}

// replaceExit is the exit status: errors first, then whether anything changed.
func replaceExit(t *runio.Tally) int {
	switch {
	case t.Count(resError) > 0:
		return ExitReplaceError
	case t.Count(resChanged)+t.Count(resWouldChange) > 0:
		return ExitOK
	}
	return ExitNoMatch
}
