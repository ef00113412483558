package execjob

import (
	"errors"
	"strings"
)

// Quote is words as one line of sh: each word as it is when it holds only
// characters sh leaves alone, else in single quotes (a quote inside closes
// them, is written \' and reopens them). sh -c "$(Quote(argv))" runs argv
// exactly: what --dry-run prints, and how a job of several inputs is named
// in its record.
func Quote(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		if w != "" && strings.Trim(w, safe) == "" {
			b.WriteString(w)
			continue
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(w, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String()
}

// safe are the characters that need no quoting in any position of a word.
const safe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-"

// Unquote splits a line made by Quote back into its words. It reads only
// Quote's forms (bare words of safe characters, '...', \' between them),
// not sh's whole syntax.
func Unquote(s string) ([]string, error) {
	var words []string
	var b strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			if !inWord {
				return nil, errors.New("unquote: two spaces")
			}
			words = append(words, b.String())
			b.Reset()
			inWord = false
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unquote: unclosed quote")
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '\\' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
			inWord = true
		case strings.IndexByte(safe, c) >= 0:
			b.WriteByte(c)
			inWord = true
		default:
			return nil, errors.New("unquote: unquoted special character")
		}
	}
	if !inWord && len(words) > 0 {
		return nil, errors.New("unquote: trailing space")
	}
	if inWord {
		words = append(words, b.String())
	}
	return words, nil
}
