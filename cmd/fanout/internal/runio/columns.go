package runio

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

// columns are a record type's CSV columns: its exported fields with a json
// tag, in declaration order, named as in JSON. Declaring the struct is
// declaring its columns once, for both formats.
type columns struct {
	names  []string
	fields []int
	omit   []bool // omitempty: a zero value is an empty cell, as JSON leaves it out
}

var columnCache sync.Map // reflect.Type -> *columns

func columnsOf(r Record) *columns {
	t := reflect.TypeOf(r)
	if c, ok := columnCache.Load(t); ok {
		return c.(*columns)
	}
	c := &columns{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("json")
		if !f.IsExported() || !ok || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		c.names = append(c.names, name)
		c.fields = append(c.fields, i)
		c.omit = append(c.omit, strings.Contains(opts, "omitempty"))
	}
	columnCache.Store(t, c)
	return c
}

func (c *columns) header() []string { return c.names }

func (c *columns) row(r Record) []string {
	v := reflect.ValueOf(r)
	row := make([]string, len(c.fields))
	for i, fi := range c.fields {
		f := v.Field(fi)
		if c.omit[i] && f.IsZero() {
			continue
		}
		row[i] = cell(f)
		if k := f.Kind(); k == reflect.String || k == reflect.Slice {
			row[i] = defuse(Scrub(row[i]))
		}
	}
	return row
}

// defuse is a text cell that a spreadsheet will not take for a formula: one
// starting with =, +, -, @ or a tab gets a leading ', as OWASP's "CSV
// Injection" page says (a CR there is already escaped by Scrub). A title
// such as =HYPERLINK(...) would otherwise run when the file is opened.
// Numeric columns are left alone: strconv writes them, so they hold no
// formula, and a negative number stays a number.
func defuse(s string) string {
	if s != "" && strings.IndexByte("=+-@\t", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// cell is a field's value as JSON would write it, without quotes.
func cell(f reflect.Value) string {
	switch f.Kind() {
	case reflect.String:
		return f.String()
	case reflect.Bool:
		return strconv.FormatBool(f.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(f.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(f.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(f.Float(), 'f', -1, 64)
	case reflect.Slice:
		parts := make([]string, f.Len())
		for i := range parts {
			parts[i] = cell(f.Index(i))
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// Millis is a duration in milliseconds, to the microsecond: how every
// record gives its elapsed time (elapsed_ms in JSON and CSV).
type Millis float64

// MS is d as Millis.
func MS(d time.Duration) Millis { return Millis(d.Microseconds()) / 1000 }

// String is the duration for people: "0.4ms", "12ms", "1.53s".
func (m Millis) String() string {
	switch {
	case m >= 1000:
		return strconv.FormatFloat(float64(m)/1000, 'f', 2, 64) + "s"
	case m >= 10:
		return strconv.FormatFloat(float64(m), 'f', 0, 64) + "ms"
	}
	return strconv.FormatFloat(float64(m), 'f', 1, 64) + "ms"
}
