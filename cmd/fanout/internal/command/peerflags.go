package command

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// peerFlag is a flag of the tool a fanout command replaces (or of another
// fanout command), and what it is in fanout: people type the flags they know, and deserve either the same
// result or a usage error naming fanout's form, never a bare "unknown flag".
type peerFlag struct {
	tool string
	// name as the tool spells it, without dashes; a one-letter name
	// matches "-x" only, a longer one "-name" and "--name" (httpx's
	// flags parser takes both).
	name     string
	commands []string // the fanout commands it is for
	// to, when set, makes the flag accepted: it is rewritten into these
	// fanout arguments before parsing (the flag's value, if any, follows).
	// A non-nil empty to accepts the flag as a no-op.
	to []string
	// value says that the flag takes a value (so "-mc 200" rewrites whole).
	value bool
	// hint is fanout's form, for the usage error of a refused flag.
	hint string
}

var (
	httpCommands = []string{"check", "probe", "get"}
	noop         = []string{}
)

// peerFlags is every peer flag fanout knows of.
//
// httpx declares its flags with single-dash multi-letter names (runner/
// options.go: BoolVarP(&StatusCode, "status-code", "sc", ...)); pflag would
// read -sc as -s -c, so these are rewritten before parsing.
var peerFlags = []peerFlag{
	// httpx: probe always shows the status, title, type and length.
	{tool: "httpx", name: "sc", commands: []string{"probe"}, to: noop},
	{tool: "httpx", name: "status-code", commands: []string{"probe"}, to: noop},
	{tool: "httpx", name: "title", commands: []string{"probe"}, to: noop},
	{tool: "httpx", name: "cl", commands: []string{"probe"}, to: noop},
	{tool: "httpx", name: "content-length", commands: []string{"probe"}, to: noop},
	{tool: "httpx", name: "ct", commands: []string{"probe"}, to: noop},
	{tool: "httpx", name: "content-type", commands: []string{"probe"}, to: noop},
	{tool: "httpx", name: "fr", commands: []string{"probe"}, to: noop}, // redirects are followed by default
	{tool: "httpx", name: "follow-redirects", commands: []string{"probe"}, to: noop},
	{tool: "httpx", name: "sc", hint: "fanout probe shows the status (or --json on any command)"},
	{tool: "httpx", name: "title", hint: "fanout probe shows the title"},
	{tool: "httpx", name: "mc", commands: httpCommands, to: []string{"--match-code"}, value: true},
	{tool: "httpx", name: "fc", commands: httpCommands, to: []string{"--filter-code"}, value: true},
	{tool: "httpx", name: "l", commands: httpCommands, to: []string{"--input"}, value: true},
	{tool: "httpx", name: "list", commands: httpCommands, to: []string{"--input"}, value: true},
	{tool: "httpx", name: "threads", commands: httpCommands, to: []string{"--workers"}, value: true},
	{tool: "httpx", name: "silent", commands: httpCommands, to: []string{"--quiet"}},
	{tool: "httpx", name: "json", commands: httpCommands, to: []string{"--json"}},
	{tool: "httpx", name: "j", commands: httpCommands, to: []string{"--json"}},
	{tool: "httpx", name: "rl", hint: "--rate N (requests per second to each host, not in all)"},
	{tool: "httpx", name: "rate-limit", hint: "--rate N (requests per second to each host, not in all)"},
	{tool: "httpx", name: "o", hint: "> FILE (records go to standard output; for pages: fanout get --dir DIR)"},
	{tool: "httpx", name: "t", commands: httpCommands, hint: "--workers N (httpx -t), or --retries N (wget -t)"},
	// lychee
	{tool: "lychee", name: "max-concurrency", commands: httpCommands, to: []string{"--workers"}, value: true},
	{tool: "lychee", name: "max-retries", commands: httpCommands, to: []string{"--retries"}, value: true},
	{tool: "lychee", name: "format", commands: []string{"check", "probe"}, hint: "--json or --csv"},
	// wget and curl
	{tool: "wget", name: "P", commands: []string{"get"}, to: []string{"--dir"}, value: true},
	{tool: "wget", name: "directory-prefix", commands: []string{"get"}, to: []string{"--dir"}, value: true},
	{tool: "wget", name: "x", commands: []string{"get"}, to: noop}, // get always keeps the URL's path
	{tool: "curl", name: "o", commands: []string{"get"}, hint: "--dir DIR: each page's file is named after its URL, as wget -x does"},
	{tool: "curl", name: "O", commands: []string{"get"}, hint: "--dir DIR: each page's file is named after its URL, as wget -x does"},
	{tool: "curl", name: "m", commands: httpCommands, hint: "--timeout SECONDS"},
	{tool: "curl", name: "max-time", commands: httpCommands, to: []string{"--timeout"}, value: true},
	// xargs and GNU parallel
	{tool: "xargs", name: "P", hint: "--workers N"},
	{tool: "parallel", name: "j", hint: "--workers N"},
	{tool: "parallel", name: "jobs", hint: "--workers N"},
	// fping (-a, -u, -g, -c, -t, -r, -4, -6 are ping's own flags)
	{tool: "fping", name: "p", commands: []string{"ping"}, hint: "--interval MS (as 500ms; fping's -p)"},
	{tool: "fping", name: "period", commands: []string{"ping"}, hint: "--interval MS (as 500ms; fping's -p)"},
	{tool: "fping", name: "e", commands: []string{"ping"}, hint: "-v (round-trip times)"},
	{tool: "fping", name: "s", commands: []string{"ping"}, hint: "nothing: the summary is printed on standard error (-q hides it)"},
	{tool: "fping", name: "A", commands: []string{"ping"}, hint: "-v or --json (the address pinged)"},
	// fanout's own run flags that links does not take: it reads documents,
	// not lines, and every link has its scheme.
	{tool: "fanout", name: "i", commands: []string{"links"}, hint: "name the documents as arguments (- for stdin)"},
	{tool: "fanout", name: "input", commands: []string{"links"}, hint: "name the documents as arguments (- for stdin)"},
	{tool: "fanout", name: "shard", commands: []string{"links"}, hint: "name a part of the documents in each run (fanout links docs/a, then docs/b)"},
	{tool: "fanout", name: "compare", commands: []string{"links"}, hint: "its second run would find every target checked already"},
	{tool: "fanout", name: "scheme", commands: []string{"links"}, hint: "links are read with their scheme"},
}

// lookupPeerFlag finds the entry for name (without dashes) on command cmd: an
// entry for cmd first, then one for every command.
func lookupPeerFlag(cmd, name string) (peerFlag, bool) {
	var general peerFlag
	found := false
	for _, p := range peerFlags {
		if p.name != name {
			continue
		}
		if slices.Contains(p.commands, cmd) {
			return p, true
		}
		if p.commands == nil && !found {
			general, found = p, true
		}
	}
	return general, found
}

// peerArgs rewrites the peer flags that fanout accepts (see peerFlags)
// into fanout's own, for subcommand c; args are c's arguments. A flag c
// declares itself is never rewritten, nor a flag's value, nor anything
// after "--". A command without accepted peer flags (exec, whose
// command's own flags follow its first argument) keeps its arguments.
func peerArgs(c *cobra.Command, args []string) []string {
	if !slices.ContainsFunc(peerFlags, func(p peerFlag) bool { return p.to != nil && slices.Contains(p.commands, c.Name()) }) {
		return args
	}
	fs := c.Flags()
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			out = append(out, a)
			continue
		}
		if to, ok := rewritePeerFlag(c.Name(), fs, a); ok {
			out = append(out, to...)
			continue
		}
		out = append(out, a)
		if takesValue(fs, a) && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}

// rewritePeerFlag returns fanout's arguments for the flag argument a
// ("-mc", "-mc=200", "--list"), if a is a peer flag accepted on cmd that
// fs does not declare.
func rewritePeerFlag(cmd string, fs *pflag.FlagSet, a string) ([]string, bool) {
	name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
	dashes := len(a) - len(strings.TrimLeft(a, "-"))
	if name == "" || dashes > 2 || (len(name) == 1 && dashes != 1) {
		return nil, false
	}
	if len(name) == 1 && fs.ShorthandLookup(name) != nil || fs.Lookup(name) != nil {
		return nil, false
	}
	p, ok := lookupPeerFlag(cmd, name)
	if !ok || p.to == nil || !slices.Contains(p.commands, cmd) || (hasValue && !p.value) {
		return nil, false
	}
	to := slices.Clone(p.to)
	if hasValue {
		to[len(to)-1] += "=" + value
	}
	return to, true
}

// takesValue reports whether the flag argument a takes the next argument
// as its value ("--input FILE", "-H NAME:VALUE", "-qi FILE").
func takesValue(fs *pflag.FlagSet, a string) bool {
	if strings.Contains(a, "=") {
		return false
	}
	var f *pflag.Flag
	if long, ok := strings.CutPrefix(a, "--"); ok {
		f = fs.Lookup(long)
	} else {
		// In a group of shorthands the first one that takes a value takes
		// the rest of the group, so only a last one takes the next argument.
		short := a[1:]
		for i, r := range short {
			g := fs.ShorthandLookup(string(r))
			if g == nil || g.NoOptDefVal == "" {
				if i == len(short)-1 {
					f = g
				}
				break
			}
		}
	}
	return f != nil && f.NoOptDefVal == ""
}

// peerFlagError adds fanout's form to pflag's "unknown flag" error when
// the flag is a peer's that fanout refuses.
func peerFlagError(c *cobra.Command, err error) error {
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) {
		return err
	}
	name := ne.GetSpecifiedName()
	typed := "--" + name
	if group := ne.GetSpecifiedShortnames(); group != "" {
		// "-rl" fails at 'r' (or "-title" at 't'): the word as typed is
		// the peer's flag; else the letter that failed ("-qP": -P).
		typed = "-" + group
		if p, ok := lookupPeerFlag(c.Name(), group); ok && p.hint != "" {
			return peerError(c, typed, p)
		}
		typed = "-" + name
	}
	p, ok := lookupPeerFlag(c.Name(), name)
	if !ok || p.hint == "" {
		return err
	}
	return peerError(c, typed, p)
}

// peerError is the usage error for peer flag p, typed as typed on c.
func peerError(c *cobra.Command, typed string, p peerFlag) error {
	if p.tool == "fanout" {
		return fmt.Errorf("%s does not apply to fanout %s: %s", typed, c.Name(), p.hint)
	}
	return fmt.Errorf("unknown flag %s (%s's); in fanout: %s", typed, p.tool, p.hint)
}
