package command

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/commands/*.md from the commands' --help")

// docs/commands holds one page per command, made from its --help, so the
// reference cannot drift from what the command says: this test fails when
// a page differs, and `go test ./internal/command -run TestDocs -update`
// writes them again.
func TestDocsMatchHelp(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "docs", "commands")
	var help bytes.Buffer
	root := newRoot(&env{stdin: strings.NewReader(""), stdout: &help, stderr: &help})
	want := map[string]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		help.Reset()
		c.InitDefaultHelpFlag()
		if err := c.Help(); err != nil {
			t.Fatal(err)
		}
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".md"
		want[name] = "# " + c.CommandPath() + "\n\n" +
			"<!-- Made from `" + c.CommandPath() + " --help` by `go test ./internal/command -run TestDocs -update`; edit the command, not this page. -->\n\n" +
			c.Short + "\n\n```text\n" + strings.TrimRight(help.String(), "\n") + "\n```\n"
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if *updateDocs {
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, page := range want {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	entries, _ := os.ReadDir(dir)
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Name()] = true
		if _, ok := want[e.Name()]; !ok {
			t.Errorf("docs/commands/%s documents no command: run go test ./internal/command -run TestDocs -update", e.Name())
		}
	}
	for name, page := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != page {
			t.Errorf("docs/commands/%s differs from the command's --help: run go test ./internal/command -run TestDocs -update", name)
		}
	}
}
