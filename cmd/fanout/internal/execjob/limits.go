package execjob

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// MaxArg is the longest argument Linux takes: MAX_ARG_STRLEN (128 KiB)
// less the NUL that ends it. fanout exec reads inputs up to this length.
const MaxArg = 128<<10 - 1

// ErrTooLong matches the error of a job whose command line the system
// would refuse: one argument longer than the kernel takes, or all of them
// together (with the environment) over ARG_MAX. The job fails with it and
// nothing is cut: xargs and fd -X users met commands run on fewer inputs
// than given, or "Argument list too long" with no word of which (fd #410,
// fd #1259).
var ErrTooLong = errors.New("command line too long")

// ErrNUL matches the error of a job whose command line holds a NUL byte.
var ErrNUL = errors.New("NUL byte in an argument")

// nulError is an ErrNUL naming the argument.
type nulError int

func (e nulError) Error() string {
	return fmt.Sprintf("argument %d holds a NUL byte, which no command line can carry (NUL-separated inputs: -0)", int(e))
}
func (e nulError) Is(target error) bool { return target == ErrNUL }

// tooLong is an ErrTooLong that says which limit.
type tooLong struct{ msg string }

func (e tooLong) Error() string        { return e.msg }
func (e tooLong) Is(target error) bool { return target == ErrTooLong }

// checkLimits reports whether execve would take argv: each argument within
// the per-argument limit, and the arguments, the environment, their
// pointers and the program's path within ARG_MAX (what Linux counts: the
// strings with their NULs and one pointer each; fd #410 lists the parts).
// Where the limits are not known (0) nothing is checked.
func (t *Template) checkLimits(argv []string) error {
	for i, a := range argv {
		// execve takes C strings: a NUL would cut the argument short
		// (xargs warns and cuts; GNU parallel cuts silently).
		if strings.IndexByte(a, 0) >= 0 {
			return nulError(i)
		}
	}
	maxArg, argMax := argLimits()
	if maxArg > 0 {
		for i, a := range argv {
			if len(a) > maxArg {
				what := fmt.Sprintf("argument %d", i)
				if t.shell && i >= 4 {
					what = fmt.Sprintf("$%d of the --shell script", i-3)
				}
				return tooLong{fmt.Sprintf("%s is %d bytes, over the %d that Linux takes in one argument (MAX_ARG_STRLEN, 128 KiB with its NUL)",
					what, len(a), maxArg)}
			}
		}
	}
	if argMax <= 0 {
		return nil
	}
	path := t.path
	if path == "" {
		path = argv[0]
	}
	env := os.Environ()
	size := len(path) + 1 + 8*(len(argv)+len(env))
	for _, s := range argv {
		size += len(s) + 1
	}
	for _, s := range env {
		size += len(s) + 1
	}
	if size > argMax {
		return tooLong{fmt.Sprintf("the command line is %d bytes with the environment, over the system's limit of %d (ARG_MAX: a quarter of the stack limit, ulimit -s)",
			size, argMax)}
	}
	return nil
}
