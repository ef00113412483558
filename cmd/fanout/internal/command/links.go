package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/httpcheck"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/linkcheck"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/links"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/runio"
	"github.com/fanout-dev/fanout/cmd/fanout/internal/walk"
	"github.com/spf13/cobra"
)

// linkRecord is one line of `fanout links` output: a link found in a
// document, or a document that could not be read.
type linkRecord struct {
	Source  string `json:"source"` // the file or page the link is in; "" for a URL given as an argument
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	URL     string `json:"url"`              // the link as written
	Target  string `json:"target,omitempty"` // what was checked: an absolute URL or path
	Result  string `json:"result"`
	Status  int    `json:"status,omitempty"`
	Error   string `json:"error,omitempty"`
	key     string // for --resume
	shown   string // the link as the text line shows it
	v       linkcheck.Verdict
	scheme  string
	follows bool       // a page whose links were taken: a rerun fetches it again
	repeat  bool       // an unresolved root-relative path shown already: listed with -v only
	style   *linkStyle // how TextLine writes it; nil: plain
}

// linkStyle is a text form of the records other than the plain lines:
// a Markdown table (a CI job's summary shows it) or GitHub's workflow
// commands (annotations on the files' lines).
type linkStyle struct {
	markdown bool // else GitHub annotations
	header   sync.Once
}

func (r linkRecord) TextLine() string {
	switch {
	case r.style == nil:
	case r.style.markdown:
		return r.markdownRow()
	case !r.passed():
		return r.annotation()
	}
	if r.v == linkcheck.Unread || r.v == linkcheck.Read {
		return r.Source + ": " + r.Result
	}
	switch {
	case r.Source == "":
		return r.shown + " - " + r.Result
	case r.Line > 0:
		// FILE:LINE: as compilers and grep -n write it, for editors to
		// jump to; a page's line too (PAGE:LINE:, view-source shows it;
		// issue 24.13).
		return r.Source + ":" + strconv.Itoa(r.Line) + ": " + r.shown + " - " + r.Result
	}
	return r.Source + ": " + r.shown + " - " + r.Result
}

// markdownRow is the record as a row of a Markdown table, the table's
// header before the first.
func (r linkRecord) markdownRow() string {
	cell := func(s string) string {
		s = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
		return s
	}
	where := r.Source
	if r.Line > 0 {
		where += ":" + strconv.Itoa(r.Line)
	}
	head := ""
	r.style.header.Do(func() { head = "| Where | Link | Result |\n| --- | --- | --- |\n" })
	return head + "| " + cell(where) + " | " + cell(r.shown) + " | " + cell(r.Result) + " |"
}

// annotation is the record as GitHub's ::error workflow command, which
// the Actions log shows on the file's line: file, line and col where the
// link is in a file (a page's link has its URL in the message only).
func (r linkRecord) annotation() string {
	data := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	prop := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	msg := r.shown + " - " + r.Result
	if r.v == linkcheck.Unread {
		msg = r.Result
	}
	if r.Source == "" || linkcheck.IsURL(r.Source) {
		if r.Source != "" {
			msg = r.Source + ": " + msg
		}
		return "::error::" + data.Replace(msg)
	}
	s := "::error file=" + prop.Replace(r.Source)
	if r.Line > 0 {
		s += ",line=" + strconv.Itoa(r.Line) + ",col=" + strconv.Itoa(r.Col)
	}
	return s + "::" + data.Replace(msg)
}

func (r linkRecord) passed() bool { return r.v != linkcheck.Broken && r.v != linkcheck.Unread }

func newLinkRecord(it linkcheck.Item, res linkcheck.Result) linkRecord {
	rec := linkRecord{Source: it.Source, Line: it.Link.Line, Col: it.Link.Col, URL: it.Link.Raw, Result: res.Word,
		Status: res.Status, key: it.Key(), shown: it.Shown(), v: res.Verdict, scheme: it.Link.Scheme, follows: it.Follows(), repeat: res.Repeat}
	if it.Doc != "" {
		rec.Source = it.Doc
	}
	if it.Link.Kind == links.HTTP || it.Link.Kind == links.File {
		rec.Target = it.Link.Target
		if it.Link.Fragment != "" {
			rec.Target += "#" + it.Link.Fragment
		}
	}
	if why, ok := strings.CutPrefix(res.Word, "error: "); ok {
		rec.Error = why
	}
	return rec
}

// Outcomes of `fanout links` in its summary.
const (
	linkOK       = "ok"
	linkBroken   = "broken"
	linkExcluded = "excluded"
	linkDoc      = "document"
	linkUnread   = "unreadable"
	linkSkipped  = "skipped: " // + scheme
)

func linkOutcome(r linkRecord) string {
	switch r.v {
	case linkcheck.OK:
		return linkOK
	case linkcheck.Skipped:
		return linkSkipped + r.scheme
	case linkcheck.Excluded:
		return linkExcluded
	case linkcheck.Read:
		return linkDoc
	case linkcheck.Unread:
		return linkUnread
	}
	return linkBroken
}

// docExtensions are the files a walk reads for links (lychee's default
// --extensions, and .xhtml); a file named explicitly is read whatever its
// name.
var docExtensions = map[string]bool{".md": true, ".mkd": true, ".mdx": true, ".mdown": true, ".mdwn": true,
	".mkdn": true, ".mkdown": true, ".markdown": true, ".qmd": true, ".rmd": true, ".html": true, ".htm": true, ".xhtml": true, ".txt": true}

// linksOptions is everything `fanout links` needs: its flags, parsed.
type linksOptions struct {
	run       runFlags  // the run path's shared flags
	http      httpFlags // the flags of every command that makes requests
	walk      walk.Options
	check     linkcheck.Options // the flags it holds, and what runLinks parses into it
	includes  []string
	excludes  []string
	remaps    []string
	verbose   bool
	maxPage   string
	format    string
	cacheFile string
	cacheAge  string
	baseURL   string
	// given reports whether a flag was on the command line.
	given func(flag string) bool
}

func newLinks(e *env) *cobra.Command {
	var o linksOptions
	c := &cobra.Command{
		Use:   "links [PATH | URL]...",
		Short: "Find the broken links in documents and sites",
		Long:  linksLong,
		RunE: func(c *cobra.Command, args []string) error {
			o.given = c.Flags().Changed
			return runLinks(c.Context(), e, &o, args)
		},
	}
	o.add(c)
	return c
}

const linksLong = `Find the broken links in Markdown, HTML and text files, and in web pages:
every link is extracted, every distinct target checked once (however many
documents link to it), and each use of a broken one reported where it is.

A PATH is a file or a directory (default: the current directory), walked
as replace walks it (.gitignore honoured, hidden files skipped, -g globs);
a walk reads the files named *.md, *.markdown, *.mdx (and the other
Markdown extensions), *.html, *.htm, *.xhtml and *.txt, and a file named
explicitly is read whatever its name (a device or FIFO up to
--max-page-size), as is any file a -g glob selects; a file is read once
however often it is named. - reads one Markdown document from stdin. A
URL's page is fetched and its links checked; with --crawl, the links to
pages on the same host are followed too (each page fetched once, --depth
links deep and --max-pages pages at most: the summary says when a limit
was reached), and links to other hosts are checked, never followed.

Markdown is parsed as GitHub renders it (links, images, autolinks,
reference definitions, bare URLs); links in code spans and code blocks are
not checked unless --include-code. HTML: every attribute that holds a link
(a href, img src and srcset, link href, script src, source srcset...),
with <base href> honoured. Text: bare URLs.

Web links are checked as 'fanout check' checks: one GET per target (with
--method HEAD: HEAD, then GET when HEAD's answer is not a 2xx), retries,
Retry-After, --rate and --per-host per host (6 unless given), --accept;
--offline checks none. Relative links in files are checked on disk (a link
to a directory is fine); root-relative ones (/docs/a.md) start at
--root-dir, else at the file's git top level (as GitHub resolves them),
else at the built site around it (the nearest folder above holding
index.html, and those above it holding one too); the summary names the
root. Without any, each such path is reported once, unresolved. With
--base-url URL (where the files are served), they resolve against URL
instead and are checked on the web.
mailto:, tel: and other schemes are counted as skipped. --include and
--exclude select links by regular expression, matched against the link as
written and a web link's absolute URL; an --include match wins over an
--exclude. A .lycheeignore in the working folder adds its lines (regular
expressions; # comments) to --exclude. --include-fragments also checks each #fragment against the
anchors of its target (ids and names in HTML, GitHub's heading slugs in
Markdown); a text fragment (#:~:text=), a hash route (#/path, #!/path) or a
code host's line number (#L20, #L10-L20), which a page's script reads, is
not checked.

Each broken link is one line: FILE:LINE: URL - does not exist (PAGE:LINE:
for a link on a web page; a web link is shown absolute, a file link as
written), a web link's with its status as 'fanout check' gives it (does
not exist (HTTP 404), blocked (HTTP 403)); -v prints every link. --json
and --csv carry source, line, col, url, target, result, status and error;
--format markdown writes a table, --format github GitHub's ::error
annotations (the default when GITHUB_ACTIONS=true). The summary on stderr
counts the links found, broken, skipped and excluded, and the distinct
targets checked.

Exit status: 0 when no link is broken, 1 when one is (or a document could
not be read), 2 for usage errors, 130 when interrupted.`

func (o *linksOptions) add(c *cobra.Command) {
	o.http.add(c)
	o.http.addMethod(c)
	o.run.add(c, o.http.workersFlag(), runResume|runOutput)
	f := c.Flags()
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print every link, not only the broken ones")
	f.StringArrayVar(&o.includes, "include", nil, "check only the links that match this regular expression (repeatable; wins over --exclude)")
	f.StringArrayVar(&o.excludes, "exclude", nil, "do not check the links that match this regular expression (repeatable)")
	f.StringVar(&o.format, "format", "", "text, json (--json), markdown (a table: a CI job summary shows it) or github (::error annotations; the default when GITHUB_ACTIONS=true)")
	f.StringArrayVar(&o.remaps, "remap", nil, "'PATTERN REPLACEMENT': check a web link whose URL matches PATTERN (a regular expression) at the URL the replacement makes ($1 for a group; file:///path for a local build) (repeatable; the first match wins)")
	f.StringVar(&o.cacheFile, "cache", "", "keep the web answers in FILE across runs and reuse those younger than --max-cache-age (lychee's .lycheecache; local files are always checked)")
	f.StringVar(&o.cacheAge, "max-cache-age", "1d", "with --cache, reuse answers this young (1d, 12h)")
	f.BoolVar(&o.check.Offline, "offline", false, "check local links only: every web link is excluded, nothing is requested")
	f.BoolVar(&o.check.Fragments, "include-fragments", false, "check each #fragment against the anchors of its target")
	f.BoolVar(&o.check.Extract.IncludeCode, "include-code", false, "also check the bare URLs in Markdown code spans and code blocks")
	f.StringVar(&o.check.Extract.RootDir, "root-dir", "", "where root-relative links in files (/docs/a.md) start: the site's root on disk (default: the file's git top level, else the top folder holding index.html above it)")
	f.StringVar(&o.baseURL, "base-url", "", "where the files are served (https://example.com/docs/): root-relative links in files resolve against it, whatever --root-dir says, and are checked on the web (lychee's --base-url)")
	f.BoolVar(&o.check.Crawl, "crawl", false, "follow the links to pages on the hosts of the URLs given, and check theirs (muffet's job)")
	// wget -r stops at depth 5; a crawl's pages are rarely more than a few
	// links from its start, and a chain of next-page links is what the
	// bound is for (issue 26.4).
	f.IntVar(&o.check.Depth, "depth", 10, "with --crawl, follow pages at most N links away from a URL given (-1: no limit)")
	f.BoolVar(&o.check.Robots, "robots", false, "with --crawl, do not follow the pages the start hosts' robots.txt disallows (they are still checked)")
	f.BoolVar(&o.check.Sitemap, "sitemap", false, "with --crawl, also follow the pages the start hosts' /sitemap.xml lists")
	f.IntVar(&o.check.MaxPages, "max-pages", 10000, "with --crawl, follow at most N pages; links to further pages are not checked (0: no limit)")
	f.StringVar(&o.maxPage, "max-page-size", "16MiB", "most of a page read for its links and anchors")
	f.BoolVar(&o.walk.Hidden, "hidden", false, "also walk hidden files and directories (.git/ never)")
	f.BoolVar(&o.walk.NoIgnore, "no-ignore", false, "do not honour .gitignore, .ignore and .gitmodules")
	f.StringArrayVarP(&o.walk.Globs, "glob", "g", nil, "only files matching this glob; '!GLOB' excludes; the last matching glob decides (repeatable; ripgrep's -g)")
}

// validate refuses the flags that do not apply, alone or to these
// arguments.
func (o *linksOptions) validate(args []string) error {
	crawlOnly := o.given("depth") || o.given("max-pages") || o.check.Robots || o.check.Sitemap
	_, urls := splitLinkArgs(args)
	switch {
	case !o.check.Crawl && crawlOnly:
		return usagef("--depth, --max-pages, --robots and --sitemap apply to --crawl")
	case o.check.MaxPages < 0:
		return usagef("--max-pages cannot be negative (0: no limit)")
	case o.check.Offline && len(urls) > 0:
		return usagef("--offline checks local links only: a URL to fetch cannot be an argument")
	case o.check.Crawl && len(urls) == 0:
		return usagef("--crawl follows the pages of the URLs given: name at least one")
	case o.cacheFile == "" && o.given("max-cache-age"):
		return usagef("--max-cache-age applies to --cache")
	}
	return nil
}

// splitLinkArgs parts the arguments into the paths to walk and the URLs
// to fetch; - (stdin) is neither.
func splitLinkArgs(args []string) (paths, urls []string) {
	for _, a := range args {
		switch {
		case linkcheck.IsURL(a):
			urls = append(urls, a)
		case a == "-":
		default:
			paths = append(paths, a)
		}
	}
	return paths, urls
}

// parse fills o.check with what the string flags say, and returns the
// text form --format asks for (nil: plain lines).
func (o *linksOptions) parse() (*linkStyle, error) {
	style, err := linkFormat(o.format, &o.run)
	if err != nil {
		return nil, err
	}
	if o.check.Include, err = regexps("include", o.includes); err != nil {
		return nil, err
	}
	if o.check.Exclude, err = regexps("exclude", o.excludes); err != nil {
		return nil, err
	}
	if o.check.Remap, err = remapRules(o.remaps); err != nil {
		return nil, err
	}
	if o.check.Extract.BaseURL, err = siteURL(o.baseURL); err != nil {
		return nil, err
	}
	ignore, err := ignoreFile(lycheeIgnore)
	if err != nil {
		return nil, err
	}
	o.check.Exclude = append(o.check.Exclude, ignore...)
	if o.check.MaxPage, err = sizeFlag("max-page-size", o.maxPage); err != nil {
		return nil, err
	}
	if !o.http.accepted.Empty() {
		o.check.Accept = o.http.accepted.Has
	}
	return style, nil
}

// runLinks checks the links of the documents, pages and sites in args
// (default: the current directory).
func runLinks(ctx context.Context, e *env, o *linksOptions, args []string) error {
	if err := o.validate(args); err != nil {
		return err
	}
	opts, err := o.http.options()
	if err != nil {
		return err
	}
	opts.Workers = o.run.workers
	if !o.given("per-host") {
		// A crawl or a tree's links ask one host many times at once: a
		// small server drops what it cannot queue (69 pages from
		// Python's http.server took 2.6-11.3 s, 0.12 s at --per-host 4,
		// issue 24.15). Browsers open 6 per host.
		opts.PerHost = linksPerHost
	}
	style, err := o.parse()
	if err != nil {
		return err
	}
	o.check.Stdin = e.stdin
	if len(args) == 0 {
		args = []string{"."}
	}
	web := httpcheck.New(opts)
	defer web.Close()
	lc := linkcheck.New(web, o.check)
	if o.cacheFile != "" {
		if err := loadCache(lc, o.cacheFile, o.cacheAge); err != nil {
			return err
		}
	}
	paths, _ := splitLinkArgs(args)
	starts, err := linkStarts(ctx, lc, args, paths, o.walk)
	if err != nil {
		return err
	}
	if o.cacheFile != "" {
		defer func() {
			if err := saveCache(lc, o.cacheFile); err != nil {
				fmt.Fprintf(e.stderr, "fanout links: --cache: %v\n", err)
			}
		}()
	}
	return o.http.settled(e.stderr, o.run.quiet, runSpec(ctx, e, &o.run, nil, linksSpec(ctx, o, lc, starts, style)))
}

// linksSpec is the run of lc over the links of starts.
func linksSpec(ctx context.Context, o *linksOptions, lc *linkcheck.Checker, starts iter.Seq[linkcheck.Item], style *linkStyle) spec[linkRecord] {
	return spec[linkRecord]{
		limiter: o.http.limiter,
		lines:   itemLines(lc.Items(ctx, starts)),
		newJob: func(int) (job[linkRecord], func()) {
			return linksJob(lc, style), func() {}
		},
		outcome:  linkOutcome,
		outcomes: []string{linkBroken, linkOK},
		what:     "checking",
		summary:  func(w io.Writer, t *runio.Tally) { linksSummary(w, t, lc.Stats(), o.check) },
		show: func(r linkRecord) bool {
			if r.v == linkcheck.Read {
				return false // a document read is counted, not listed
			}
			return (o.verbose || !r.passed() && !r.repeat) && o.http.shows(r.Status)
		},
		dropped: func(l runio.Line) { lc.Dropped(l.Item.(linkcheck.Item)) },
		journal: func(r linkRecord) any {
			if r.v == linkcheck.Read || r.v == linkcheck.Unread || r.follows {
				return nil // a rerun reads every document and page again, for its links not yet done
			}
			return struct {
				Input string `json:"input"`
				linkRecord
			}{r.key, r}
		},
	}
}

// siteURL parses --base-url: an absolute http(s) URL, as a browser's
// base; nil when not given.
func siteURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err != nil || !linkcheck.IsURL(raw) || u.Host == "" {
		return nil, usagef("--base-url %q: want an absolute http(s) URL, where the files are served (https://example.com/docs/)", raw)
	}
	return u, nil
}

// linksPerHost is links' --per-host unless one is given.
const linksPerHost = 6

func regexps(name string, exprs []string) ([]*regexp.Regexp, error) {
	var res []*regexp.Regexp
	for _, x := range exprs {
		re, err := regexp.Compile(x)
		if err != nil {
			return nil, usagef("--%s: %v", name, err)
		}
		res = append(res, re)
	}
	return res, nil
}

// loadCache reads --cache FILE, if it is there, keeping the answers
// younger than --max-cache-age (a number of days with d, or a duration).
func loadCache(lc *linkcheck.Checker, file, age string) error {
	maxAge, err := time.ParseDuration(age)
	if days, ok := strings.CutSuffix(age, "d"); ok {
		var n float64
		n, err = strconv.ParseFloat(days, 64)
		maxAge = time.Duration(n * 24 * float64(time.Hour))
	}
	if err != nil || maxAge < 0 {
		return usagef("--max-cache-age %q: a duration (1d, 12h, 30m)", age)
	}
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return usagef("--cache: %v", err)
	}
	defer f.Close()
	return lc.LoadCache(f, maxAge, time.Now())
}

// saveCache writes the cache whole beside FILE, then renames it over: a
// run killed while writing leaves the old cache.
func saveCache(lc *linkcheck.Checker, file string) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := lc.WriteCache(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// remapRules parses --remap 'PATTERN REPLACEMENT' (lychee's form).
func remapRules(rules []string) ([]linkcheck.Remap, error) {
	var res []linkcheck.Remap
	for _, r := range rules {
		f := strings.Fields(r)
		if len(f) != 2 {
			return nil, usagef("--remap %q: want 'PATTERN REPLACEMENT', a regular expression and what replaces its match", r)
		}
		re, err := regexp.Compile(f[0])
		if err != nil {
			return nil, usagef("--remap: %v", err)
		}
		res = append(res, linkcheck.Remap{Pattern: re, Replacement: f[1]})
	}
	return res, nil
}

// lycheeIgnore is lychee's exclusion file, read from the working folder
// when it is there: one regular expression a line, as --exclude takes
// them; blank lines and lines starting with # are left out. A project
// that checks its links with lychee keeps its exclusions.
const lycheeIgnore = ".lycheeignore"

func ignoreFile(name string) ([]*regexp.Regexp, error) {
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, usagef("%v", err)
	}
	var res []*regexp.Regexp
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		re, err := regexp.Compile(line)
		if err != nil {
			return nil, usagef("%s:%d: %v", name, i+1, err)
		}
		res = append(res, re)
	}
	return res, nil
}

// linkFormat applies --format: json is --json; markdown and github are
// text forms of the records (nil: plain lines). Without --format, a run
// in GitHub Actions (GITHUB_ACTIONS=true) writes its broken links as
// annotations, so that they show on the files' lines.
func linkFormat(format string, iof *runFlags) (*linkStyle, error) {
	if format == "" && !iof.json && !iof.csv && os.Getenv("GITHUB_ACTIONS") == "true" {
		format = "github"
	}
	switch format {
	case "", "text":
		return nil, nil
	case "json":
		if iof.csv {
			return nil, usagef("--format json and --csv exclude each other")
		}
		iof.json = true
		return nil, nil
	case "markdown", "github":
		if iof.json || iof.csv {
			return nil, usagef("--format %s and --json or --csv exclude each other", format)
		}
		return &linkStyle{markdown: format == "markdown"}, nil
	}
	return nil, usagef("--format %q: one of text, json, markdown, github", format)
}

// linkStarts is what the run starts from, in the order of the arguments:
// the URLs, stdin for -, and the documents the walk of the paths finds.
func linkStarts(ctx context.Context, lc *linkcheck.Checker, args, paths []string, wo walk.Options) (iter.Seq[linkcheck.Item], error) {
	entries, err := walk.Files(ctx, paths, wo)
	if err != nil {
		return nil, usagef("--glob: %v", err)
	}
	return func(yield func(linkcheck.Item) bool) {
		for _, a := range args {
			var it linkcheck.Item
			switch {
			case linkcheck.IsURL(a):
				var ok bool
				if it, ok = lc.Start(a); !ok {
					it = linkcheck.Item{Doc: a, Err: fmt.Errorf("not a URL that can be fetched")}
				}
			case a == "-":
				it = linkcheck.Item{Doc: "-"}
			default:
				continue
			}
			if !yield(it) {
				return
			}
		}
		// A -g glob of the user's chooses the files, whatever their
		// extension (lychee's test_globbed_files_are_always_checked).
		globbed := slices.ContainsFunc(wo.Globs, func(g string) bool { return !strings.HasPrefix(g, "!") })
		// A file named twice, or named and found in a directory named
		// too, is read once (lychee's
		// test_dump_inputs_does_not_include_duplicates). One walk never
		// yields a file twice: only several paths need the set.
		var seen map[string]bool
		if len(paths) > 1 {
			seen = map[string]bool{}
		}
		for ent := range entries {
			if !ent.Explicit && ent.Err == nil && !globbed && !docExtensions[strings.ToLower(extOf(ent.Path))] {
				continue
			}
			if seen != nil {
				abs, err := filepath.Abs(ent.Path)
				if err == nil && seen[abs] {
					continue
				}
				seen[abs] = true
			}
			if !yield(linkcheck.Item{Doc: ent.Path, Err: ent.Err}) {
				return
			}
		}
	}, nil
}

func extOf(path string) string {
	i := strings.LastIndexByte(path, '.')
	if i < 0 || strings.ContainsRune(path[i:], '/') {
		return ""
	}
	return path[i:]
}

// itemLines numbers the items for runJob.
func itemLines(items iter.Seq[linkcheck.Item]) iter.Seq[runio.Line] {
	return func(yield func(runio.Line) bool) {
		n := 0
		for it := range items {
			n++
			if !yield(runio.Line{N: n, Text: it.Key(), Item: it}) {
				return
			}
		}
	}
}

func linksJob(lc *linkcheck.Checker, style *linkStyle) job[linkRecord] {
	return job[linkRecord]{
		do: func(ctx context.Context, l runio.Line) linkRecord {
			it := l.Item.(linkcheck.Item)
			rec := newLinkRecord(it, lc.Do(ctx, it))
			rec.style = style
			return rec
		},
		invalid: func(l runio.Line) linkRecord {
			rec := linkRecord{Source: l.Text, Result: "error: " + l.Err.Error(), Error: l.Err.Error(), key: l.Text, v: linkcheck.Broken}
			if it, ok := l.Item.(linkcheck.Item); ok {
				rec = newLinkRecord(it, linkcheck.Result{Verdict: linkcheck.Broken, Word: rec.Result, Err: l.Err})
			}
			rec.style = style
			return rec
		},
		passed: linkRecord.passed,
	}
}

// linksSummary is e.g. "120 links in 14 documents: 3 broken, 100 ok, 15
// skipped (12 mailto, 3 tel), 2 excluded; 35 distinct targets checked (30
// web, 5 files) in 0.41s".
//
// A crawl cut by its limits says so on a line of its own.
func linksSummary(w io.Writer, t *runio.Tally, st linkcheck.Stats, o linkcheck.Options) {
	docs := t.Count(linkDoc) + t.Count(linkUnread)
	skipped, schemes := t.Under(linkSkipped)
	found := t.Total() - docs
	var in []string
	if docs > 0 || st.Pages == 0 {
		in = append(in, plural(docs, "document"))
	}
	if st.Pages > 0 {
		in = append(in, plural(st.Pages, "page"))
	}
	s := fmt.Sprintf("%s in %s", plural(found, "link"), strings.Join(in, " and "))
	s += fmt.Sprintf(": %d broken, %d ok", t.Count(linkBroken), t.Count(linkOK))
	if skipped > 0 {
		s += fmt.Sprintf(", %d skipped (%s)", skipped, strings.Join(schemes, ", "))
	}
	if n := t.Count(linkExcluded); n > 0 {
		s += fmt.Sprintf(", %d excluded", n)
	}
	if n := t.Count(linkUnread); n > 0 {
		s += fmt.Sprintf(", %s unreadable", plural(n, "document"))
	}
	s += fmt.Sprintf("; %s checked (%d web, %d %s) in %.2fs", plural(st.HTTP+st.Files, "distinct target"), st.HTTP, st.Files,
		map[bool]string{true: "file", false: "files"}[st.Files == 1], t.Elapsed().Round(time.Millisecond).Seconds())
	fmt.Fprintln(w, s)
	if st.Cached > 0 {
		fmt.Fprintf(w, "%s answered from --cache\n", plural(st.Cached, "web target"))
	}
	switch {
	case st.RootLinks > 0 && st.RootFromIndex:
		fmt.Fprintf(w, "%s resolved from %s, the site's top folder holding index.html (--root-dir to choose another)\n", plural(st.RootLinks, "root-relative link"), st.Root)
	case st.RootLinks > 0:
		fmt.Fprintf(w, "%s resolved from the git top level %s (--root-dir to choose another)\n", plural(st.RootLinks, "root-relative link"), st.Root)
	}
	if st.Unresolved > 0 {
		fmt.Fprintf(w, "%s unresolved, %s, each shown once: no git top level nor index.html above; pass --root-dir, the site's root on disk\n",
			plural(st.Unresolved, "root-relative link"), plural(st.UnresolvedTargets, "distinct path"))
	}
	if st.NotUTF8 > 0 {
		fmt.Fprintf(w, "%s not UTF-8, read as far as it decodes: %s\n",
			map[bool]string{true: "1 document", false: plural(st.NotUTF8, "document")}[st.NotUTF8 == 1],
			map[bool]string{true: st.FirstNotUTF8, false: st.FirstNotUTF8 + " and others"}[st.NotUTF8 == 1])
	}
	if st.Deeper > 0 {
		fmt.Fprintf(w, "crawl limit reached: --depth %d; %s beyond it checked, not followed\n", o.Depth, plural(st.Deeper, "page"))
	}
	if st.Robots > 0 {
		fmt.Fprintf(w, "robots.txt: %s checked, not followed\n", plural(st.Robots, "page"))
	}
	if st.Unchecked > 0 {
		fmt.Fprintf(w, "crawl limit reached: --max-pages %d; %s to further pages not checked\n", o.MaxPages, plural(st.Unchecked, "link"))
	}
}
