package execjob

import (
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// Job is one command to run: its inputs and its numbers.
type Job struct {
	// Args are the job's inputs: one, or several (up to -n of them, or
	// one per ::: group).
	Args []string
	Seq  int // the job's number, "{#}" (for lines of a file: the line's number)
	Slot int // its job slot, 1..workers, "{%}": no two running jobs share one
}

// mod is what a placeholder does to an input, with GNU parallel's meanings
// (its --rpl table: `s:.*/::` for {/}, `s:\.[^/.]*$::` for {.}, Perl's
// File::Basename::dirname for {//}).
type mod uint8

const (
	modNone      mod = iota // {}
	modNoExt                // {.}: without its last extension
	modBase                 // {/}: without its directory
	modDir                  // {//}: its directory
	modBaseNoExt            // {/.}: {/} then {.}
)

var mods = map[string]mod{"": modNone, ".": modNoExt, "/": modBase, "//": modDir, "/.": modBaseNoExt}

func (m mod) apply(s string) string {
	switch m {
	case modNoExt:
		return noExt(s)
	case modBase:
		return base(s)
	case modDir:
		return dirname(s)
	case modBaseNoExt:
		return noExt(base(s))
	}
	return s
}

// base is s without everything up to its last '/': "a/b/" gives "".
func base(s string) string { return s[strings.LastIndexByte(s, '/')+1:] }

// noExt is s without its last extension: a '.' after the last '/' and what
// follows it ("foo." gives "foo", ".bashrc" gives "", "a.b/c" stays).
func noExt(s string) string {
	i := strings.LastIndexByte(s, '.')
	if i < 0 || strings.IndexByte(s[i:], '/') >= 0 {
		return s
	}
	return s[:i]
}

// dirname is Perl's File::Basename::dirname, which GNU parallel's {//}
// uses: dirname(1)'s answers ("a/b/" gives "a", "b" gives ".", "/b" and
// "//a" give "/"), unlike Go's path.Dir ("a/b/" gives "a/b").
func dirname(s string) string {
	dir, file := fileparse(s)
	dir = stripSlashes(dir)
	if file == "" {
		dir, _ = fileparse(dir)
		dir = stripSlashes(dir)
	}
	return dir
}

func fileparse(s string) (dir, file string) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return "./", s
	}
	return s[:i+1], s[i+1:]
}

// stripSlashes drops trailing slashes but keeps a lone "/" (Perl's
// s{(.)/*\z}{$1}s).
func stripSlashes(s string) string {
	if t := strings.TrimRight(s, "/"); t != "" || s == "" {
		return t
	}
	return "/"
}

type phKind uint8

const (
	phAll  phKind = iota + 1 // {}, {.}...: every input of the job
	phArg                    // {1}, {2.}...: the n'th input
	phSeq                    // {#}
	phSlot                   // {%}
)

// seg is a literal piece of a word, or a placeholder.
type seg struct {
	text string // literal text (kind 0)
	kind phKind
	n    int // phArg: which input, from 1
	mod  mod
}

// syntax finds placeholders: GNU parallel's, "{n}" (and "{n.}"...) only
// for 1 <= n <= arity, the most inputs a job has, so that other braces
// ("{A}", a regex's "{12}", "{ echo") are left alone (rush #25, #68). With
// repl (xargs -I R) there is one placeholder, repl, for the input, and
// braces are plain text.
type syntax struct {
	arity int
	repl  string
}

// at reads the placeholder that starts at s[i], if any, and its length.
func (sy syntax) at(s string, i int) (seg, int, bool) {
	if sy.repl != "" {
		return seg{kind: phAll}, len(sy.repl), strings.HasPrefix(s[i:], sy.repl)
	}
	if s[i] != '{' {
		return seg{}, 0, false
	}
	end := strings.IndexByte(s[i:], '}')
	if end < 0 {
		return seg{}, 0, false
	}
	ph, ok := placeholder(s[i+1:i+end], sy.arity)
	return ph, end + 1, ok
}

// parse splits s into literal text and placeholders.
func (sy syntax) parse(s string) []seg {
	var segs []seg
	lit := 0
	for i := 0; i < len(s); i++ {
		ph, n, ok := sy.at(s, i)
		if !ok {
			continue
		}
		if lit < i {
			segs = append(segs, seg{text: s[lit:i]})
		}
		segs = append(segs, ph)
		i += n - 1
		lit = i + 1
	}
	if lit < len(s) || len(segs) == 0 {
		segs = append(segs, seg{text: s[lit:]})
	}
	return segs
}

// literal reports whether segs have no placeholder.
func literal(segs []seg) bool { return len(segs) == 1 && segs[0].kind == 0 }

// placeholder reads what stands between the braces.
func placeholder(in string, arity int) (seg, bool) {
	switch in {
	case "#":
		return seg{kind: phSeq}, true
	case "%":
		return seg{kind: phSlot}, true
	}
	digits := len(in) - len(strings.TrimLeft(in, "0123456789"))
	m, ok := mods[in[digits:]]
	if !ok {
		return seg{}, false
	}
	if digits == 0 {
		return seg{kind: phAll, mod: m}, true
	}
	n, err := strconv.Atoi(in[:digits])
	if err != nil || n < 1 || n > arity {
		return seg{}, false
	}
	return seg{kind: phArg, n: n, mod: m}, true
}

func hasKind(segs []seg, k phKind) bool {
	for _, s := range segs {
		if s.kind == k {
			return true
		}
	}
	return false
}

// Template is the command run per job.
type Template struct {
	words  [][]seg // without shell
	shell  bool
	script []shellSeg // with shell
	path   string     // the program, resolved once; "" when it depends on the input
	append bool       // no placeholder anywhere (and no --shell, no -I): the inputs go last
	files  filePool
}

// Close releases the files kept for the jobs' output.
func (t *Template) Close() { t.files.close() }

// ErrNotFound matches the error for a program that is not in PATH (or not
// executable).
var ErrNotFound = exec.ErrNotFound

// New returns the template for the command words, for jobs of up to arity
// inputs each (at least 1). Without shell, when the program itself
// (words[0]) has no placeholder it is looked up in PATH now, once: an error
// matching ErrNotFound means it is not there, which every job would
// otherwise report one by one. With shell, "sh" is looked up.
//
// Without shell, the inputs are appended as the last arguments when no
// word holds a placeholder at all ("{#}" or "{%}" alone append nothing, as
// in GNU parallel). With shell they never are: the input is "$1".
func New(words []string, shell bool, arity int) (*Template, error) {
	return newTemplate(words, shell, syntax{arity: max(arity, 1)})
}

// NewReplacing is New for xargs -I repl: repl, wherever it stands in the
// words, is the job's one input, there is no other placeholder, and the
// input is never appended.
func NewReplacing(words []string, shell bool, repl string) (*Template, error) {
	if repl == "" {
		return nil, errors.New("empty replacement string")
	}
	return newTemplate(words, shell, syntax{arity: 1, repl: repl})
}

func newTemplate(words []string, shell bool, sy syntax) (*Template, error) {
	if len(words) == 0 {
		return nil, errors.New("no command given")
	}
	startReaping()
	t := &Template{shell: shell}
	prog := words[0]
	if shell {
		t.script = sy.parseScript(strings.Join(words, " "))
		prog = "sh"
	} else {
		t.append = sy.repl == ""
		for _, w := range words {
			segs := sy.parse(w)
			t.words = append(t.words, segs)
			if !literal(segs) {
				t.append = false
			}
		}
	}
	oneLine := !shell && len(words) == 1 && strings.ContainsAny(prog, " \t\n|;&<>()$`'\"")
	if shell || literal(t.words[0]) || oneLine {
		p, err := exec.LookPath(prog)
		if err != nil {
			if oneLine {
				// A pipeline written as one word: say what to do rather
				// than guess a shell.
				return nil, fmt.Errorf("%w (a whole command line in one word? run it with --shell: fanout exec --shell %s)", err, Quote([]string{prog}))
			}
			return nil, err // exec: "prog": executable file not found in $PATH
		}
		t.path = p
	}
	return t, nil
}

// Argv returns the argument vector for one job, or an error matching
// ErrTooLong when the system would refuse it (see checkLimits).
//
// Without shell, each word has its placeholders replaced, once: text an
// input brings in is never scanned again. A word with "{}" (or "{.}",
// "{/}"...) is repeated once per input when the job has several (GNU
// parallel's -X: "x{}y" with a and b gives "xay" "xby"); "{1}", "{2}"...
// are the job's first, second... input ("" past the last one). Without any
// input placeholder, the inputs are appended, one argument each.
//
// With shell it is sh -c SCRIPT fanout INPUT SEQ [VALUES...]: see
// shellArgv.
func (t *Template) Argv(j Job) ([]string, error) {
	if len(j.Args) == 0 {
		j.Args = []string{""}
	}
	var argv []string
	if t.shell {
		argv = t.shellArgv(j)
	} else {
		argv = make([]string, 0, len(t.words)+len(j.Args))
		var b strings.Builder
		for _, w := range t.words {
			if literal(w) {
				argv = append(argv, w[0].text)
				continue
			}
			if hasKind(w, phAll) && len(j.Args) > 1 {
				for i := range j.Args {
					argv = append(argv, expand(&b, w, j, i))
				}
				continue
			}
			argv = append(argv, expand(&b, w, j, 0))
		}
		if t.append {
			argv = append(argv, j.Args...)
		}
	}
	return argv, t.checkLimits(argv)
}

// expand is word w for job j, its "{}" standing for input i.
func expand(b *strings.Builder, w []seg, j Job, i int) string {
	if len(w) == 1 && w[0].kind == phAll && w[0].mod == modNone {
		return j.Args[i] // the common "{}": no copy
	}
	b.Reset()
	for _, s := range w {
		b.WriteString(value(s, j, i))
	}
	return b.String()
}

// value is what placeholder s stands for in job j, "{}" being input i.
func value(s seg, j Job, i int) string {
	switch s.kind {
	case phAll:
		return s.mod.apply(j.Args[i])
	case phArg:
		if s.n > len(j.Args) {
			return ""
		}
		return s.mod.apply(j.Args[s.n-1])
	case phSeq:
		return strconv.Itoa(j.Seq)
	case phSlot:
		return strconv.Itoa(j.Slot)
	}
	return s.text
}

// shellSeg is a piece of a --shell script: literal text, or a placeholder
// and the quotes it stands in.
type shellSeg struct {
	seg
	quote byte // 0, '\'' or '"'
}

// parseScript finds the placeholders in script and the quoting context of
// each, following sh's quoting: backslash escapes outside single quotes,
// '...' and "...".
func (sy syntax) parseScript(script string) []shellSeg {
	var segs []shellSeg
	var quote byte
	lit := 0
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case c == '\\' && quote != '\'' && i+1 < len(script):
			i++
			continue
		case c == '\'' && quote != '"', c == '"' && quote != '\'':
			if quote == c {
				quote = 0
			} else {
				quote = c
			}
			continue
		}
		ph, n, ok := sy.at(script, i)
		if !ok {
			continue
		}
		if lit < i {
			segs = append(segs, shellSeg{seg: seg{text: script[lit:i]}})
		}
		segs = append(segs, shellSeg{seg: ph, quote: quote})
		i += n - 1
		lit = i + 1
	}
	if lit < len(script) {
		segs = append(segs, shellSeg{seg: seg{text: script[lit:]}})
	}
	return segs
}

// shellArgv is sh -c SCRIPT fanout INPUT SEQ [VALUES...]. The inputs are
// never pasted into the script: they are positional parameters ($1 is the
// first input, $2 the job's number, as before several inputs and the other
// placeholders existed; the rest follow), and each placeholder becomes a
// reference to its parameter quoted for where it stands: "${1}" outside
// quotes, ${1} inside double quotes, '"${1}"' (closing and reopening the
// quote) inside single quotes. A placeholder with several values ("{}" of
// a job with several inputs) gives one word per value outside quotes and
// the values joined by a space inside them, as "$@" and "$*" do.
func (t *Template) shellArgv(j Job) []string {
	params := []string{j.Args[0], strconv.Itoa(j.Seq)}
	type key struct {
		kind phKind
		i    int
		mod  mod
	}
	var keys []key
	param := func(k key, v string) int {
		switch {
		case k == key{phAll, 0, modNone}, k == key{phArg, 0, modNone}:
			return 1
		case k.kind == phSeq:
			return 2
		}
		if k.kind == phArg {
			k.kind = phAll // {1.} and {.} of the first input are one value
		}
		for n, have := range keys {
			if have == k {
				return n + 3
			}
		}
		keys = append(keys, k)
		params = append(params, v)
		return len(params)
	}
	var b strings.Builder
	refs := func(quote byte, ns []int) {
		if quote == '\'' {
			b.WriteString(`'"`)
		}
		for k, n := range ns {
			if k > 0 {
				b.WriteByte(' ')
			}
			if quote == 0 {
				b.WriteByte('"')
			}
			b.WriteString("${" + strconv.Itoa(n) + "}")
			if quote == 0 {
				b.WriteByte('"')
			}
		}
		if quote == '\'' {
			b.WriteString(`"'`)
		}
	}
	var ns []int
	for _, s := range t.script {
		ns = ns[:0]
		switch s.kind {
		case 0:
			b.WriteString(s.text)
			continue
		case phAll:
			for i, a := range j.Args {
				ns = append(ns, param(key{phAll, i, s.mod}, s.mod.apply(a)))
			}
		case phArg:
			ns = append(ns, param(key{phArg, s.n - 1, s.mod}, value(s.seg, j, 0)))
		case phSeq:
			ns = append(ns, 2)
		case phSlot:
			ns = append(ns, param(key{phSlot, 0, 0}, strconv.Itoa(j.Slot)))
		}
		refs(s.quote, ns)
	}
	return append([]string{"sh", "-c", b.String(), "fanout"}, params...)
}
