// Package watch tells the supervisor when a program should be restarted
// because files it depends on changed: its own executable
// (restart_when_binary_changed) or files matching a pattern anywhere under
// a directory (restart_directory_monitor with restart_file_pattern).
//
// One Watcher serves every program with a single inotify instance (through
// fsnotify). It never polls. Directories are watched rather than files, so
// a file replaced by rename, as editors and package managers do, is seen
// like one written in place. Bursts of changes are debounced into one
// notification, sent to the caller's channel with a non-blocking send.
package watch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Kind says what a watch looks at.
type Kind int

const (
	// Binary watches a program's executable.
	Binary Kind = iota + 1
	// Files watches files matching a pattern under a directory tree.
	Files
)

func (k Kind) String() string {
	switch k {
	case Binary:
		return "binary"
	case Files:
		return "files"
	}
	return "unknown"
}

// Event says that what a watch looks at has changed.
type Event struct {
	// Key is the key the watch was added with (usually the process's full
	// name).
	Key  string
	Kind Kind
	// Path is the last changed path seen in the burst.
	Path string
}

// Options configure a Watcher. Zero values pick the defaults.
type Options struct {
	// Notify receives events with a non-blocking send; when it is full
	// the event is counted in Dropped and lost.
	Notify chan<- Event
	// Debounce is how long a watch must stay quiet after a change before
	// it is reported (default 200ms).
	Debounce time.Duration
	// MaxDelay bounds how long a steady stream of changes can hold back
	// the notification (default 10 × Debounce).
	MaxDelay time.Duration
	// Error, if set, receives problems met while watching (an inotify
	// queue overflow, a directory that could not be added). It must not
	// block.
	Error func(error)
	// Dropped, if set, is called for every event the full Notify channel
	// refused, after it was counted. It must not block.
	Dropped func()
}

// Watcher watches files for many programs at once. Its methods are safe
// for concurrent use.
type Watcher struct {
	fs      *fsnotify.Watcher
	opts    Options
	dropped atomic.Uint64
	done    chan struct{}

	mu     sync.Mutex         // guards dirs, subs, closed
	dirs   map[string]int     // watched directory -> number of users
	subs   map[subKey]*subscr // active watches
	closed bool
}

type subKey struct {
	key  string
	kind Kind
}

// subscr is one watch. Fields other than key and kind are guarded by
// Watcher.mu.
type subscr struct {
	subKey
	held []string // directories this watch holds a reference on

	// Binary watches.
	command string
	pathEnv string
	names   map[string]bool // paths (the command and every link hop) whose change matters
	sig     fileSig         // identity of the executable when last reported

	// Files watches.
	root    string
	pattern string

	// Debouncing.
	timer    *time.Timer
	gen      uint64
	first    time.Time
	lastPath string
}

// New starts a Watcher.
func New(opts Options) (*Watcher, error) {
	if opts.Debounce <= 0 {
		opts.Debounce = 200 * time.Millisecond
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = 10 * opts.Debounce
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	w := &Watcher{
		fs:   fw,
		opts: opts,
		done: make(chan struct{}),
		dirs: map[string]int{},
		subs: map[subKey]*subscr{},
	}
	go w.run()
	return w, nil
}

// Close stops watching. Pending notifications are discarded.
func (w *Watcher) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	for _, s := range w.subs {
		w.stopTimer(s)
	}
	w.subs = map[subKey]*subscr{}
	w.mu.Unlock()
	err := w.fs.Close()
	<-w.done
	return err
}

// Dropped is how many events were lost because Notify was full.
func (w *Watcher) Dropped() uint64 { return w.dropped.Load() }

// WatchBinary reports changes to the executable that command names: a
// path (a relative one is taken from the daemon's working directory, so
// callers resolve it against the program's directory first), or a bare
// name looked up in pathEnv (a PATH value; empty means the daemon's PATH). Symbolic links are followed and
// every link in the chain is watched, so re-pointing a link counts as a
// change. A change is reported only when the file found at the end differs
// from the one seen before (device, inode, size or modification time), and
// not while no executable is there (a package manager between removing and
// installing).
func (w *Watcher) WatchBinary(key, command, pathEnv string) error {
	s := &subscr{subKey: subKey{key, Binary}, command: command, pathEnv: pathEnv}
	chain, err := resolve(command, pathEnv)
	if err != nil {
		return fmt.Errorf("watch %s: %w", key, err)
	}
	s.sig, _ = statSig(chain[len(chain)-1])
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("watch: closed")
	}
	w.removeLocked(s.subKey)
	if err := w.holdChainLocked(s, chain); err != nil {
		w.releaseLocked(s)
		return fmt.Errorf("watch %s: %w", key, err)
	}
	w.subs[s.subKey] = s
	return nil
}

// WatchTree reports changes to files under dir, at any depth, whose name
// matches pattern (filepath.Match syntax; a pattern with a slash is
// matched against the path relative to dir; empty means "*"). Creating,
// writing, renaming, removing or touching a matching file counts.
// Directories created later are watched as they appear.
func (w *Watcher) WatchTree(key, dir, pattern string) error {
	if pattern == "" {
		pattern = "*"
	}
	if _, err := filepath.Match(pattern, ""); err != nil {
		return fmt.Errorf("watch %s: pattern %q: %w", key, pattern, err)
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("watch %s: %w", key, err)
	}
	if fi, err := os.Stat(root); err != nil {
		return fmt.Errorf("watch %s: %w", key, err)
	} else if !fi.IsDir() {
		return fmt.Errorf("watch %s: %s is not a directory", key, root)
	}
	s := &subscr{subKey: subKey{key, Files}, root: filepath.Clean(root), pattern: pattern}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("watch: closed")
	}
	w.removeLocked(s.subKey)
	if _, err := w.holdTreeLocked(s, s.root); err != nil {
		w.releaseLocked(s)
		return fmt.Errorf("watch %s: %w", key, err)
	}
	w.subs[s.subKey] = s
	return nil
}

// Remove stops every watch added with key.
func (w *Watcher) Remove(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.removeLocked(subKey{key, Binary})
	w.removeLocked(subKey{key, Files})
}

func (w *Watcher) removeLocked(k subKey) {
	s, ok := w.subs[k]
	if !ok {
		return
	}
	delete(w.subs, k)
	w.stopTimer(s)
	w.releaseLocked(s)
}

func (w *Watcher) stopTimer(s *subscr) {
	s.gen++
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

// holdLocked adds a reference on dir, watching it if it is new.
func (w *Watcher) holdLocked(s *subscr, dir string) error {
	for _, d := range s.held {
		if d == dir {
			return nil
		}
	}
	if w.dirs[dir] == 0 {
		if err := w.fs.Add(dir); err != nil {
			return fmt.Errorf("watching %s: %w", dir, err)
		}
	}
	w.dirs[dir]++
	s.held = append(s.held, dir)
	return nil
}

func (w *Watcher) releaseLocked(s *subscr) {
	for _, d := range s.held {
		w.dirs[d]--
		if w.dirs[d] <= 0 {
			delete(w.dirs, d)
			_ = w.fs.Remove(d) // fails harmlessly when the directory is gone
		}
	}
	s.held = nil
}

func (w *Watcher) holdChainLocked(s *subscr, chain []string) error {
	s.names = map[string]bool{}
	for _, p := range chain {
		s.names[p] = true
		if err := w.holdLocked(s, filepath.Dir(p)); err != nil {
			return err
		}
	}
	return nil
}

// holdTreeLocked watches dir and every directory below it, and returns
// the matching files found (so that files created in a new directory
// before its watch was in place are not missed).
func (w *Watcher) holdTreeLocked(s *subscr, dir string) ([]string, error) {
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil // vanished or unreadable below the root: skip it
		}
		if d.IsDir() {
			if err := w.holdLocked(s, p); err != nil {
				if p == dir {
					return err
				}
				w.report(err)
			}
			return nil
		}
		if s.matches(p) {
			found = append(found, p)
		}
		return nil
	})
	return found, err
}

// matches reports whether p, a path under the root, is a file name the
// pattern selects.
func (s *subscr) matches(p string) bool {
	rel, err := filepath.Rel(s.root, p)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return false
	}
	subject := filepath.Base(p)
	if strings.Contains(s.pattern, "/") {
		subject = filepath.ToSlash(rel)
	}
	ok, _ := filepath.Match(s.pattern, subject)
	return ok
}

func (s *subscr) under(p string) bool {
	return strings.HasPrefix(p, s.root+string(filepath.Separator))
}

func (w *Watcher) run() {
	defer close(w.done)
	for {
		select {
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			w.handle(ev)
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			w.report(err)
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				w.overflow()
			}
		}
	}
}

func (w *Watcher) handle(ev fsnotify.Event) {
	name := filepath.Clean(ev.Name)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.subs {
		switch s.kind {
		case Binary:
			if s.names[name] {
				w.triggerLocked(s, name)
			}
		case Files:
			if !s.under(name) {
				continue
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Lstat(name); err == nil && fi.IsDir() {
					found, err := w.holdTreeLocked(s, name)
					if err != nil {
						w.report(err)
					}
					for _, f := range found {
						w.triggerLocked(s, f)
					}
					continue
				}
			}
			if s.matches(name) {
				w.triggerLocked(s, name)
			}
		}
	}
}

// overflow handles lost inotify events: every watch may have missed a
// change, so each is checked as if it had seen one.
func (w *Watcher) overflow() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.subs {
		path := s.root
		if s.kind == Binary {
			path = s.command
		}
		w.triggerLocked(s, path)
	}
}

// triggerLocked (re)arms the debounce timer of s.
func (w *Watcher) triggerLocked(s *subscr, path string) {
	now := time.Now()
	s.lastPath = path
	if s.timer == nil {
		s.first = now
	}
	w.stopTimer(s)
	wait := min(w.opts.Debounce, w.opts.MaxDelay-now.Sub(s.first))
	gen := s.gen
	s.timer = time.AfterFunc(max(wait, 0), func() { w.fire(s, gen) })
}

func (w *Watcher) fire(s *subscr, gen uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s.gen != gen || w.subs[s.subKey] != s {
		return // re-armed, removed or closed since
	}
	s.timer = nil
	if s.kind == Binary && !w.binaryChangedLocked(s) {
		return
	}
	ev := Event{Key: s.key, Kind: s.kind, Path: s.lastPath}
	select {
	case w.opts.Notify <- ev:
	default:
		w.dropped.Add(1)
		if w.opts.Dropped != nil {
			w.opts.Dropped()
		}
	}
}

// binaryChangedLocked re-resolves the command, follows a re-pointed link
// chain, and reports whether the executable differs from the last one.
func (w *Watcher) binaryChangedLocked(s *subscr) bool {
	chain, err := resolve(s.command, s.pathEnv)
	if err != nil {
		return false // nothing there (yet): wait for it to appear
	}
	sig, err := statSig(chain[len(chain)-1])
	if err != nil {
		return false
	}
	if !sameChain(chain, s.names) {
		old := s.held
		s.held = nil
		if err := w.holdChainLocked(s, chain); err != nil {
			w.report(err)
		}
		// Release the old directories after holding the new ones so a
		// directory in both keeps its watch.
		tmp := &subscr{held: old}
		w.releaseLocked(tmp)
	}
	if sig == s.sig {
		return false
	}
	s.sig = sig
	return true
}

func sameChain(chain []string, names map[string]bool) bool {
	if len(chain) != len(names) {
		return false
	}
	for _, p := range chain {
		if !names[p] {
			return false
		}
	}
	return true
}

func (w *Watcher) report(err error) {
	if w.opts.Error != nil {
		w.opts.Error(err)
	}
}

// fileSig identifies the content of a file cheaply.
type fileSig struct {
	dev, ino uint64
	size     int64
	mtime    int64
}

func statSig(path string) (fileSig, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileSig{}, err
	}
	sig := fileSig{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		sig.dev, sig.ino = uint64(st.Dev), st.Ino
	}
	return sig, nil
}

// resolve finds the executable command names and returns the chain of
// paths from the name found to the final file: the path itself, then each
// symbolic link target in turn, all absolute and clean.
func resolve(command, pathEnv string) ([]string, error) {
	path, err := lookPath(command, pathEnv)
	if err != nil {
		return nil, err
	}
	chain := []string{path}
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil {
			return nil, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			break
		}
		target, err := os.Readlink(path)
		if err != nil {
			return nil, err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = filepath.Clean(target)
		chain = append(chain, path)
	}
	// Links in directory components are resolved too, so the final file
	// is watched where it really is.
	if real, err := filepath.EvalSymlinks(path); err == nil && real != path {
		chain = append(chain, real)
	}
	return chain, nil
}

// lookPath finds command the way the spawner does: a name with a slash is
// a path, a bare name is searched in pathEnv.
func lookPath(command, pathEnv string) (string, error) {
	if command == "" {
		return "", errors.New("empty command")
	}
	if strings.Contains(command, "/") {
		abs, err := filepath.Abs(command)
		if err != nil {
			return "", err
		}
		if _, err := os.Lstat(abs); err != nil {
			return "", err
		}
		return abs, nil
	}
	if pathEnv == "" {
		pathEnv = os.Getenv("PATH")
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, command)
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			continue
		}
		return filepath.Abs(p)
	}
	return "", fmt.Errorf("%s: not found in PATH", command)
}
