package runio

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestScrub(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain ascii, é, 日本語, tab\tand\nnewline", "plain ascii, é, 日本語, tab\tand\nnewline"},
		{"\x1b[2Jclear", `\x1b[2Jclear`},
		{"\x1b]0;owned\x07title", `\x1b]0;owned\x07title`},
		{"cr\rbs\bdel\x7f", `cr\x0dbs\x08del\x7f`},
		{"c1 \u009b31m next \u0085", `c1 \u009b31m next \u0085`},
		{"not utf-8 \xff\xc3(", `not utf-8 \xff\xc3(`},
		{"txt.\u202eexe \u2066iso\u2069 \u202a", `txt.\u202eexe \u2066iso\u2069 \u202a`},
		{"a real \ufffd stays", "a real \ufffd stays"},
		{"", ""},
	} {
		if got := Scrub(c.in); got != c.want {
			t.Errorf("Scrub(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

type hostileRecord struct {
	Name  string   `json:"name"`
	Tags  []string `json:"tags"`
	Code  int      `json:"code"`
	Delta float64  `json:"delta"`
}

func (r hostileRecord) TextLine() string { return r.Name + " [" + r.Tags[0] + "]" }

// A link target, a file name or a title from a hostile page must not
// drive the terminal (text) nor a spreadsheet (CSV): every field goes
// through the record layer, so no command can forget it.
func TestWriterEscapesEveryField(t *testing.T) {
	rec := hostileRecord{Name: "\x1b]0;owned\x07=HYPERLINK(\"http://x\")", Tags: []string{"@SUM(A1)", "b\u202ec"}, Code: -1, Delta: -2.5}

	var text bytes.Buffer
	w := NewWriter(&text, Text, nil)
	w.Write(rec)
	w.Close()
	if want := "\\x1b]0;owned\\x07=HYPERLINK(\"http://x\") [@SUM(A1)]\n"; text.String() != want {
		t.Errorf("text: %q, want %q", text.String(), want)
	}

	var out bytes.Buffer
	w = NewWriter(&out, CSV, nil)
	w.Write(rec)
	w.Write(hostileRecord{Name: "-1", Tags: []string{"+1", "\tx"}})
	w.Write(hostileRecord{Name: "\rcr", Tags: []string{"ok"}})
	w.Close()
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// OWASP: a text cell starting with = + - @ or a tab gets a leading ';
	// numbers are written by strconv and stay numbers, -1 included.
	want := [][]string{
		{"name", "tags", "code", "delta"},
		{`\x1b]0;owned\x07=HYPERLINK("http://x")`, `'@SUM(A1) b\u202ec`, "-1", "-2.5"},
		{"'-1", "'+1 \tx", "0", "0"},
		{`\x0dcr`, "ok", "0", "0"},
	}
	if len(rows) != len(want) {
		t.Fatalf("CSV rows %q, want %q", rows, want)
	}
	for i := range want {
		for j := range want[i] {
			if rows[i][j] != want[i][j] {
				t.Errorf("CSV row %d cell %d = %q, want %q", i, j, rows[i][j], want[i][j])
			}
		}
	}
}
