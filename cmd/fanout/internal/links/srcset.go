package links

// srcsetURLs calls fn with each image candidate's URL in a srcset attribute,
// parsed as the HTML standard says ("parsing a srcset attribute"): a URL is a
// run of non-whitespace, so it may hold commas (lychee#1160: CDN URLs such as
// /cdn-cgi/image/format=webp,width=640/...); a candidate ends at a comma
// outside parentheses after its descriptors; the separating commas need no
// space after them (lychee#1890).
func srcsetURLs(s string, fn func(string) bool) bool {
	i := 0
	for {
		for i < len(s) && (isASCIISpace(s[i]) || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			return true
		}
		start := i
		for i < len(s) && !isASCIISpace(s[i]) {
			i++
		}
		u := s[start:i]
		if u[len(u)-1] == ',' {
			// "a.png,b.png 2x": the comma ends the candidate, no descriptors.
			for len(u) > 0 && u[len(u)-1] == ',' {
				u = u[:len(u)-1]
			}
		} else {
			i = skipDescriptors(s, i)
		}
		if u != "" && !fn(u) {
			return false
		}
	}
}

// skipDescriptors returns the index after the comma that ends the current
// candidate's descriptors ("100w", "1.5x", or a function such as "f(1, 2)").
func skipDescriptors(s string, i int) int {
	inParens := false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case inParens:
			if c == ')' {
				inParens = false
			}
		case c == '(':
			inParens = true
		case c == ',':
			return i + 1
		}
	}
	return i
}

func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}
