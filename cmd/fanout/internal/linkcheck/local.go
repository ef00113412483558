package linkcheck

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"regexp"
	"strings"

	"github.com/fanout-dev/fanout/cmd/fanout/internal/links"
)

// file checks a local target on disk, and its fragment.
func (c *Checker) file(ctx context.Context, it Item) Result {
	e := c.acquire(ctx, it.Link.Target, links.File)
	if e == nil {
		return Result{Verdict: Broken, Word: "error: " + errCut.Error(), Err: errCut}
	}
	defer c.release(e)
	if !e.checked {
		doc, err := links.Exists(it.Link.Target, nil)
		e.checked, e.doc, e.err, e.ok = true, doc, err, err == nil
		e.word = "exists"
		if err != nil {
			e.word = "does not exist"
			if !errors.Is(err, fs.ErrNotExist) {
				e.word = "error: " + reason(err)
			}
		}
	}
	if !e.ok {
		word := e.word
		if errors.Is(e.err, fs.ErrNotExist) && emailLike.MatchString(it.Link.Raw) {
			// href="foo@bar.com" is a relative file to a browser; the
			// author meant mail (issue 24.12).
			word += " (an e-mail address? write mailto:" + it.Link.Raw + ")"
		}
		return Result{Verdict: Broken, Word: word, Err: e.err}
	}
	if it.Link.Fragment == "" || !c.o.Fragments {
		return Result{Verdict: OK, Word: e.word}
	}
	if e.anchors == nil && e.anchErr == nil {
		e.anchors, e.anchErr = fileAnchors(it.Link.Target, e.doc)
	}
	return c.anchored(it, e)
}

var emailLike = regexp.MustCompile(`^[^/@:?#]+@[^/@:?#]+\.[A-Za-z]{2,}$`)

// indexFiles are where a link to a directory finds its anchors.
var indexFiles = []string{"index.html", "index.htm", "README.md", "index.md"}

func fileAnchors(target, doc string) (*links.Anchors, error) {
	if doc == "" { // a directory: its index, if it has one
		if d, err := links.Exists(target, indexFiles); err == nil {
			doc = d
		}
	}
	if doc == "" {
		return &links.Anchors{}, nil
	}
	f, err := os.Open(doc)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := links.ReadAnchors(f, links.FormatOf(doc))
	return &a, err
}

// isAnchor reports whether a fragment names an anchor to look for. A text
// fragment (#:~:text=words) names words; a hash route (#/docs/intro,
// #!/page) is read by a single-page application's script, and so are a
// code host's line numbers (#L20, #L10-L20, #L3C5: GitHub, GitLab and
// Gitea make them in the browser): a page's HTML cannot say whether they
// exist (muffet's "id #L20 not found" for GitHub blobs, in lychee#1457;
// lychee#1729, lychee#2179).
func isAnchor(frag string) bool {
	return !strings.HasPrefix(frag, ":~:") && !strings.HasPrefix(frag, "/") && !strings.HasPrefix(frag, "!") &&
		!lineAnchor.MatchString(frag)
}

// rawFragment is the fragment of a link as written, not decoded.
func rawFragment(raw string) string {
	_, frag, _ := strings.Cut(raw, "#")
	return frag
}

var lineAnchor = regexp.MustCompile(`^L\d+(C\d+)?(-L?\d+(C\d+)?)?$`)

// anchored is the verdict on a link with a fragment to a target that
// exists, once its anchors are known.
func (c *Checker) anchored(it Item, e *entry) Result {
	frag := it.Link.Fragment
	switch {
	case e.anchErr != nil:
		return Result{Verdict: Broken, Status: e.status, Word: "error: anchors: " + reason(e.anchErr), Err: e.anchErr}
	case !isAnchor(frag):
		return Result{Verdict: OK, Status: e.status, Word: e.word}
	case e.anchors.Has(frag), e.anchors.Has(rawFragment(it.Link.Raw)):
		// As written first, then decoded: a browser looks for
		// id="a%3Ab" before id="a:b" (HTML's "find a potential
		// indicated element"; lychee's fragments/file.html).
		return Result{Verdict: OK, Status: e.status, Word: e.word}
	}
	word := "no anchor #" + frag
	if near := e.anchors.Nearest(frag); near != "" {
		word += " (nearest: #" + near + ")" // issue 24.12
	}
	return Result{Verdict: Broken, Status: e.status, Word: word}
}
