package command

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// Cases from lychee's CLI tests (lychee-bin/tests/cli.rs) that fanout
// failed (issue 24), each on a tree of its own and web links on loopback.

// A fragment is looked for as written, then decoded: id="tangent%3A-kustomize"
// is what href="#tangent%3A-kustomize" finds in a browser (lychee's
// fixtures/fragments/file.html, test_fragments; issue 24.3).
func TestLinksFragmentAsWritten(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, "", map[string]string{
		"file.html": `<div id="tangent%3A-kustomize"></div><div id="a:b"></div>` +
			`<a href="#tangent%3A-kustomize">x</a> <a href="#a%3Ab">y</a> <a href="#gone%3A">z</a>`,
	})
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "--include-fragments", dir)
	want := filepath.Join(dir, "file.html") + ":1: #gone%3A - no anchor #gone:"
	if code != ExitSome || strings.TrimSpace(out) != want {
		t.Errorf("exit %d, want 1 and %q\n%s%s", code, want, out, errOut)
	}
}

// A page whose error status --accept passes has no anchors to check:
// lychee's test_fragments_when_accept_error_status_codes (issue 24.4).
func TestLinksAcceptedErrorPageHasNoAnchorsToCheck(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path != "/page" {
			w.WriteHeader(http.StatusNotFound) // an HTML 404 page, as Wikipedia's
		}
		io.WriteString(w, `<p id="here">x</p>`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	writeTree(t, dir, srv.URL, map[string]string{"a.md": "[404]($BASE/Should404#ignore-fragment) [ok]($BASE/page#here)\n"})
	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", "--accept", "200,404", "--include-fragments", dir)
	if code != ExitOK || !strings.Contains(errOut, "2 links in 1 document: 0 broken, 2 ok") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// Quarto and R Markdown files are Markdown: a URL in their code blocks is
// not checked (lychee's test_quarto_treated_as_markdown,
// test_rmarkdown_treated_as_markdown; issue 24.6). A -g glob chooses the
// files whatever their extension (test_globbed_files_are_always_checked,
// lychee-action#305; issue 24.8). A file named twice is read once
// (test_dump_inputs_does_not_include_duplicates; issue 24.5). A
// root-relative link without --root-dir names the flag (issue 24.10).
func TestLinksInputsAsLychee(t *testing.T) {
	t.Parallel()
	srv := newHitServer(t, map[string]string{"/ok": "ok"})
	dir := t.TempDir()
	code := "```{.bash}\ncurl -O $BASE/in-code\n```\n\nInline `$BASE/inline-code` too; real: <$BASE/ok>\n"
	writeTree(t, dir, srv.URL, map[string]string{
		"q/TEST_QUARTO.qmd": code, "q/TEST_RMARKDOWN.Rmd": code,
		"g/example.tsx": "const u = \"$BASE/tsx-missing\"\n", "g/example.md": "[x](/root-relative.md)\n",
	})
	out, errOut, code1 := run(t, context.Background(), "", "links", "--no-progress", filepath.Join(dir, "q"))
	if code1 != ExitOK || !strings.Contains(errOut, "2 links in 2 documents: 0 broken, 2 ok") || srv.count("/in-code")+srv.count("/inline-code") != 0 {
		t.Errorf(".qmd, .Rmd: exit %d\n%s%s", code1, out, errOut)
	}

	g := filepath.Join(dir, "g")
	out, errOut, code1 = run(t, context.Background(), "", "links", "--no-progress", "-g", "**/*.tsx", g)
	if code1 != ExitSome || !strings.Contains(out, "/tsx-missing - does not exist") || strings.Contains(out, "root-relative") {
		t.Errorf("-g '**/*.tsx': exit %d\n%s%s", code1, out, errOut)
	}

	md := filepath.Join(g, "example.md")
	out, errOut, _ = run(t, context.Background(), "", "links", "--no-progress", md, md, g)
	want := md + ":1: /root-relative.md - error: root-relative link: pass --root-dir, the site's root on disk"
	if strings.TrimSpace(out) != want || !strings.Contains(errOut, "1 link in 1 document") {
		t.Errorf("a file named twice, and in a directory named: want once %q\n%s%s", want, out, errOut)
	}
}
