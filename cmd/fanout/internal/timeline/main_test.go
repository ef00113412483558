package timeline

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them (the
// real runs start executors).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// node is an element of a parsed drawing.
type node struct {
	name  string
	attrs map[string]string
	text  string // character data directly inside
	kids  []*node
}

// parse decodes doc strictly as XML (which both the SVG and the HTML page
// are), failing the test if it is not well-formed.
func parse(t testing.TB, doc []byte) *node {
	t.Helper()
	n, err := parseXML(doc)
	if err != nil {
		t.Fatalf("not well-formed XML: %v", err)
	}
	return n
}

func parseXML(doc []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	root := &node{}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text += string(tok)
		}
	}
	return root, nil
}

// all returns every element under n, depth first.
func (n *node) all() []*node {
	var out []*node
	for _, k := range n.kids {
		out = append(out, k)
		out = append(out, k.all()...)
	}
	return out
}

// bar is a <rect> with a <title>: one task's bar.
type bar struct {
	x, w, y, h float64
	class      string
	label      string // the title's first line
	outcome    string
	dur        string
	lane       int
}

// titledBars returns the titled rectangles of a drawing, parsing their titles:
// "label\noutcome · duration · worker N".
func titledBars(t testing.TB, root *node) []bar {
	t.Helper()
	var out []bar
	for _, n := range root.all() {
		if n.name != "rect" || len(n.kids) == 0 {
			continue
		}
		if len(n.kids) != 1 || n.kids[0].name != "title" {
			t.Fatalf("rect with children other than one title: %+v", n.kids)
		}
		title := n.kids[0].text
		i := strings.LastIndexByte(title, '\n')
		if i < 0 {
			t.Fatalf("title without its details line: %q", title)
		}
		f := strings.Split(title[i+1:], " · ")
		if len(f) != 3 || !strings.HasPrefix(f[2], "worker ") {
			t.Fatalf("title details %q: want outcome · duration · worker N", title[i+1:])
		}
		lane, err := strconv.Atoi(strings.TrimPrefix(f[2], "worker "))
		if err != nil {
			t.Fatalf("title details %q: %v", title[i+1:], err)
		}
		num := func(k string) float64 {
			v, err := strconv.ParseFloat(n.attrs[k], 64)
			if err != nil {
				t.Fatalf("rect %s=%q: %v", k, n.attrs[k], err)
			}
			return v
		}
		out = append(out, bar{x: num("x"), w: num("width"), y: num("y"), h: num("height"), class: n.attrs["class"],
			label: title[:i], outcome: f[0], dur: f[1], lane: lane})
	}
	return out
}

// render draws runs both ways and returns the SVG and the HTML.
func render(t testing.TB, runs ...Run) (svg, html []byte) {
	t.Helper()
	var s, h bytes.Buffer
	if err := WriteSVG(&s, runs...); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&h, runs...); err != nil {
		t.Fatal(err)
	}
	return s.Bytes(), h.Bytes()
}
