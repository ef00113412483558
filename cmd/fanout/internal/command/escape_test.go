package command

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// noTerminalControl fails if out holds anything a terminal would act on
// or show reordered: C0 controls but tab and newline, DEL, C1 controls
// (as UTF-8 or as raw bytes) and the bidi overrides and isolates.
func noTerminalControl(t *testing.T, what, out string) {
	t.Helper()
	for i, r := range out {
		hostile := r < 0x20 && r != '\t' && r != '\n' || r >= 0x7f && r <= 0x9f ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == '\ufffd' && !strings.HasPrefix(out[i:], "\ufffd")
		if hostile {
			t.Errorf("%s: %U at byte %d reaches the terminal:\n%q", what, r, i, out)
			return
		}
	}
}

// Link targets and file names are written by whoever wrote the page or
// made the file: what they hold must reach the terminal escaped, in every
// command's text lines and CSV cells (restic#2260: a file name with ESC
// [31m turned the listing red). --json escapes by itself.
func TestHostileNamesAndTargetsAreEscaped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"doc.md":    "# t\n\n[osc](\x1b]0;owned\x07.md) [rlo](x\u202ey.md) [c1](a\u009bb.md)\n",
		"page.html": "<a href=\"&#27;[2Jclear.html\">x</a> <a href=\"=HYPERLINK(1).html\">y</a> <a href=\"b&#x202E;d.html\">z</a>\n",
		// A name that clears the screen, then rewrites its own line.
		"evil\x1b[2J\rname.txt": "hello\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	out, errOut, code := run(t, context.Background(), "", "links", "--no-progress", dir)
	if code != ExitSome {
		t.Fatalf("links: exit %d\n%s%s", code, out, errOut)
	}
	noTerminalControl(t, "links", out+errOut)
	for _, want := range []string{`]0;owned\x07.md`, `x\u202ey.md`, `a\u009bb.md`, `b\u202ed.html`} {
		if !strings.Contains(out, want) {
			t.Errorf("links text lacks %s:\n%s", want, out)
		}
	}

	out, errOut, code = run(t, context.Background(), "", "links", "--no-progress", "--csv", dir)
	if code != ExitSome {
		t.Fatalf("links --csv: exit %d\n%s%s", code, out, errOut)
	}
	noTerminalControl(t, "links --csv", out)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	formula := false
	for _, row := range rows {
		for _, cell := range row {
			if strings.HasPrefix(cell, "=") {
				t.Errorf("CSV cell %q starts a formula", cell)
			}
			formula = formula || cell == "'=HYPERLINK(1).html"
		}
	}
	if !formula {
		t.Errorf("no cell '=HYPERLINK(1).html in:\n%s", out)
	}

	out, errOut, code = run(t, context.Background(), "", "replace", "--no-progress", "--dry-run", "hello", "bye", dir)
	if code != ExitOK {
		t.Fatalf("replace: exit %d\n%s%s", code, out, errOut)
	}
	noTerminalControl(t, "replace", out+errOut)
	if !strings.Contains(out, `evil\x1b[2J\x0dname.txt: 1 replacement`) {
		t.Errorf("replace text does not name the file escaped:\n%s", out)
	}
}
