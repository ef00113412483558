package command

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/replace"
)

// stdinReadable is ripgrep's rule for a command line without a PATH
// (grep-cli's is_readable_stdin): stdin is the input when it is a pipe, a
// socket or a regular file; a terminal, /dev/null (a character device, as
// in CI) or a closed stdin means the current directory. A reader that is
// no file (a test running the command in process) is input.
func stdinReadable(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return r != nil
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode().IsRegular() || fi.Mode()&(fs.ModeNamedPipe|fs.ModeSocket) != 0
}

// errPathsRefused is the run stopped before writing anything because a
// named path cannot be edited (each is on stderr).
var errPathsRefused = errors.New("nothing written: every PATH named must exist and be readable, and writable unless --dry-run")

// checkPaths checks every named path before any is edited, as sd does
// (its tests correctly_fails_on_missing_file and
// correctly_fails_on_unreadable_file): one missing path must not leave the
// others edited and the user to sort out which. Each failure goes to w.
func checkPaths(w io.Writer, paths []string, o replace.Options) error {
	failed := false
	for _, p := range paths {
		if err := replace.Check(p, o); err != nil {
			msg := err.Error()
			if pe := (*fs.PathError)(nil); errors.As(err, &pe) && pe == err {
				msg = pe.Err.Error() // "lstat PATH: " says nothing more
			}
			fmt.Fprintf(w, "fanout: %s: %s\n", p, msg)
			failed = true
		}
	}
	if failed {
		fmt.Fprintln(w, "fanout:", errPathsRefused)
		return exitError{ExitReplaceError}
	}
	return nil
}

// sedScriptError is OLD shaped like a sed substitution: the user meant
// sed's syntax, and fanout would take the next argument for NEW.
type sedScriptError struct {
	script string
	form   string // the fanout command line meant
}

func (e *sedScriptError) Error() string {
	return fmt.Sprintf("OLD %s is a sed script; fanout replace takes the pattern and the replacement apart:\n  %s\n"+
		"To replace the text %s itself, write -F or -- before it.", shellQuote(e.script), e.form, shellQuote(e.script))
}

// checkSedScript refuses an OLD that is a sed substitution
// (s<d>RE<d>NEW<d>[flags]): `fanout replace 's/a/b/g' f` would otherwise
// take f for NEW and walk the current directory.
func checkSedScript(old string, rest []string) error {
	re, repl, flags, ok := sedScript(old)
	if !ok {
		return nil
	}
	if strings.ContainsAny(flags, "iI") {
		re = "(?i)" + re
	}
	words := []string{"fanout", "replace", "-E", shellQuote(re), shellQuote(sedTemplate(repl))}
	for _, p := range rest {
		words = append(words, shellQuote(p))
	}
	return usageError{&sedScriptError{script: old, form: strings.Join(words, " ")}}
}

// sedScript splits a sed substitution into its parts. The delimiter is
// any character but a backslash, a newline or an alphanumeric, as in GNU
// sed; a backslash before it makes it text. flags must be sed's (g, p, i,
// I, m, M, e, a number).
func sedScript(s string) (re, repl, flags string, ok bool) {
	if len(s) < 4 || s[0] != 's' {
		return "", "", "", false
	}
	d, size := utf8.DecodeRuneInString(s[1:])
	if d == '\\' || unicode.IsLetter(d) || unicode.IsDigit(d) || unicode.IsSpace(d) {
		return "", "", "", false
	}
	var parts []string
	var cur strings.Builder
	rest := s[1+size:]
	for i := 0; i < len(rest); {
		r, n := utf8.DecodeRuneInString(rest[i:])
		switch {
		case r == '\\' && strings.HasPrefix(rest[i+n:], string(d)):
			cur.WriteRune(d)
			i += n + size
			continue
		case r == '\\' && i+n < len(rest):
			_, n2 := utf8.DecodeRuneInString(rest[i+n:])
			cur.WriteString(rest[i : i+n+n2])
			i += n + n2
			continue
		case r == d && len(parts) < 2:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteString(rest[i : i+n])
		}
		i += n
	}
	if len(parts) < 2 || strings.Trim(cur.String(), "gpiImMe0123456789") != "" {
		return "", "", "", false
	}
	return parts[0], parts[1], cur.String(), true
}

// sedTemplate turns sed's replacement into fanout's: \1 is ${1}, & the
// whole match, \& a &, and $ is written $$.
func sedTemplate(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			b.WriteString("${" + s[i+1:i+2] + "}")
			i++
		case c == '\\' && i+1 < len(s) && s[i+1] == '&':
			b.WriteByte('&')
			i++
		case c == '&':
			b.WriteString("${0}")
		case c == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell, unless it needs none.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
