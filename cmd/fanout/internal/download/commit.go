package download

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// Group commit. A file is reported only once it is whole and on disk, and
// its name too; a crash before leaves the old file (or none) and perhaps a
// temporary one. Syncing each file and its directory costs two fsyncs per
// page, several times the download of a small page, so workers only write
// and close their temporary files and hand them to one committer, which
// takes every file waiting (at most maxBatch) and, for the whole batch:
// syncs them (one syncfs of the file system, or each worker's own fsync
// where syncfs is not available), renames each into place, syncs the
// directories (one more syncfs, or one fsync per directory), and only then
// lets the workers report. While it commits, the next batch gathers: the
// busier the run, the larger the batches.
const maxBatch = 256

type committer struct {
	reqs   chan *commitReq
	done   chan struct{}
	places *placer
}

// commitReq is one file to put in place.
type commitReq struct {
	tmp, dir, rel string
	path          string
	err           error
	ready         chan struct{}
}

func newCommitter() *committer {
	c := &committer{reqs: make(chan *commitReq, maxBatch), done: make(chan struct{}), places: newPlacer()}
	go c.run()
	return c
}

// commit puts the closed temporary file tmp in place as rel under dir,
// durably, and returns its path.
func (c *committer) commit(tmp, dir, rel string) (string, error) {
	r := &commitReq{tmp: tmp, dir: dir, rel: rel, ready: make(chan struct{})}
	c.reqs <- r
	<-r.ready
	return r.path, r.err
}

// close stops the committer once the files handed to it are committed.
func (c *committer) close() {
	close(c.reqs)
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	batch := make([]*commitReq, 0, maxBatch)
	for first := range c.reqs {
		batch = append(batch[:0], first)
	more:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-c.reqs:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		c.commitBatch(batch)
	}
}

func (c *committer) commitBatch(batch []*commitReq) {
	defer func() {
		for _, r := range batch {
			close(r.ready)
		}
	}()
	tops := map[string]bool{}
	for _, r := range batch {
		tops[r.dir] = true
	}
	if syncfsAvailable {
		for top := range tops {
			if err := syncfs(top); err != nil {
				for _, r := range batch {
					if r.dir == top {
						r.err = err
					}
				}
			}
		}
	}
	dirs := map[string]bool{}
	placed := false
	for _, r := range batch {
		if r.err != nil {
			continue
		}
		var created []string
		r.path, created, r.err = c.places.place(r.tmp, r.dir, r.rel)
		if r.err != nil {
			continue
		}
		placed = true
		dirs[filepath.Dir(r.path)] = true
		for _, d := range created {
			dirs[filepath.Dir(d)] = true
		}
	}
	if !placed {
		return
	}
	var err error
	if syncfsAvailable {
		for top := range tops {
			err = errors.Join(err, syncfs(top))
		}
	} else {
		err = syncDirs(dirs)
	}
	if err != nil {
		for _, r := range batch {
			if r.err == nil {
				r.err = err
			}
		}
	}
}

// syncDirs fsyncs each directory, in parallel.
func syncDirs(dirs map[string]bool) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(dirs))
	for d := range dirs {
		wg.Go(func() {
			f, err := os.Open(d)
			if err == nil {
				err = f.Sync()
				f.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	var all error
	for err := range errs {
		all = errors.Join(all, err)
	}
	return all
}

// placer creates the directories of a mirrored path and renames files
// into place, settling a clash between a file and a directory of the same
// name: the second comer gets the name with "@" added. It remembers the
// directories it has made or found, up to maxKnownDirs.
type placer struct {
	mu    sync.Mutex
	known map[string]string // dir path as named -> as made ("a" or "a@")
}

const maxKnownDirs = 4096

func newPlacer() *placer { return &placer{known: map[string]string{}} }

// place renames tmp to rel under dir and returns the path it got and the
// directories it created.
func (p *placer) place(tmp, dir, rel string) (path string, created []string, err error) {
	for attempt := 0; ; attempt++ {
		path, created, err = p.place1(tmp, dir, rel)
		if attempt == 0 && errors.Is(err, fs.ErrNotExist) {
			// A directory it remembered is gone: forget them, once.
			p.mu.Lock()
			clear(p.known)
			p.mu.Unlock()
			continue
		}
		return path, created, err
	}
}

func (p *placer) place1(tmp, dir, rel string) (string, []string, error) {
	names := strings.Split(rel, "/")
	cur := dir
	var created []string
	for _, name := range names[:len(names)-1] {
		next, made, err := p.mkdir(filepath.Join(cur, name))
		if err != nil {
			return "", created, err
		}
		if made {
			created = append(created, next)
		}
		cur = next
	}
	final := filepath.Join(cur, names[len(names)-1])
	err := os.Rename(tmp, final)
	if isDirClash(err) { // a directory has that name: the file gets the other one
		final += "@"
		err = os.Rename(tmp, final)
	}
	if err != nil {
		return "", created, err
	}
	return final, created, nil
}

// mkdir makes the directory path, or finds it, or, when a file (or
// anything but a directory, a symbolic link included: it is never
// followed) has that name, makes or finds path+"@". It returns the
// directory's path and whether it made it.
func (p *placer) mkdir(path string) (string, bool, error) {
	p.mu.Lock()
	got, ok := p.known[path]
	p.mu.Unlock()
	if ok {
		return got, false, nil
	}
	got, made, err := mkdirOrFind(path)
	if err != nil && isNotDir(err) {
		got, made, err = mkdirOrFind(path + "@")
	}
	if err != nil {
		return "", false, err
	}
	p.mu.Lock()
	if len(p.known) >= maxKnownDirs {
		clear(p.known)
	}
	p.known[path] = got
	p.mu.Unlock()
	return got, made, nil
}

// errNotDir is mkdirOrFind's error for a name taken by something else.
var errNotDir = errors.New("not a directory")

func isNotDir(err error) bool { return errors.Is(err, errNotDir) }

func mkdirOrFind(path string) (string, bool, error) {
	err := os.Mkdir(path, 0o755)
	if err == nil {
		return path, true, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return "", false, err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return "", false, err
	}
	if !fi.IsDir() {
		return "", false, &fs.PathError{Op: "mkdir", Path: path, Err: errNotDir}
	}
	return path, false, nil
}

// isDirClash reports whether a rename failed because its target is a
// directory.
func isDirClash(err error) bool {
	return errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.EEXIST) || errors.Is(err, syscall.ENOTEMPTY)
}
