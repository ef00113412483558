// Package version says which fanout this is, from what the Go toolchain
// recorded in the binary: the module version for `go install ...@vX.Y.Z`,
// else the VCS revision it was built from.
package version

import (
	"runtime/debug"
	"sync"
)

var info = sync.OnceValues(func() (string, string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown", "unknown"
	}
	v := bi.Main.Version
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if v == "" || v == "(devel)" {
		v = "devel"
		if rev != "" {
			v += "-" + rev + modified
		}
	}
	long := v
	if rev != "" && long[0] == 'v' {
		long += " (" + rev + modified + ")"
	}
	return v, long + ", " + bi.GoVersion
})

// Short is the version for a User-Agent: "v1.2.0", or "devel-3f18947c0a1b"
// for a build from a checkout.
func Short() string { v, _ := info(); return v }

// Long is what `fanout --version` prints: the version, the revision and
// the Go release it was built with.
func Long() string { _, l := info(); return l }
