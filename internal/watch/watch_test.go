package watch

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

const testDebounce = 100 * time.Millisecond

func newWatcher(t *testing.T) (*Watcher, chan Event) {
	t.Helper()
	return newWatcherDebounce(t, testDebounce)
}

func newWatcherDebounce(t *testing.T, debounce time.Duration) (*Watcher, chan Event) {
	t.Helper()
	t.Parallel()
	ch := make(chan Event, 16)
	w, err := New(Options{Notify: ch, Debounce: debounce})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Error(err)
		}
		if w.Dropped() != 0 {
			t.Errorf("dropped %d events", w.Dropped())
		}
	})
	return w, ch
}

// expectOne waits for one event and then makes sure no second one
// follows (expectQuiet).
func expectOne(t *testing.T, w *Watcher, ch <-chan Event, key string, kind Kind) Event {
	t.Helper()
	var ev Event
	select {
	case ev = <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	if ev.Key != key || ev.Kind != kind {
		t.Fatalf("event %+v, want key %q kind %v", ev, key, kind)
	}
	expectQuiet(t, w, ch)
	return ev
}

// expectQuiet checks that no event comes before a probe's: w watches a
// new directory and a file is written there. Its change is seen after
// every change w saw before it, so its debounce timer fires after theirs,
// and its event comes through the same channel: it must be the next one.
func expectQuiet(t *testing.T, w *Watcher, ch <-chan Event) {
	t.Helper()
	dir := t.TempDir()
	key := "probe " + dir
	if err := w.WatchTree(key, dir, "*"); err != nil {
		t.Fatal(err)
	}
	defer w.Remove(key)
	writeFile(t, filepath.Join(dir, "probe"), "x", 0o644)
	select {
	case ev := <-ch:
		if ev.Key != key {
			t.Fatalf("unexpected event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no probe event within 10s")
	}
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// replace installs content at path the way package managers do: write a
// new file next to it and rename it over the old one.
func replace(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".new"
	writeFile(t, tmp, content, 0o755)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestBinaryReplacedByRename(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	writeFile(t, filepath.Join(bin, "server"), "#!/bin/sh\necho v1\n", 0o755)
	w, ch := newWatcher(t)
	// Found through PATH, like a bare command in a program section.
	if err := w.WatchBinary("web:web", "server", "/nonexistent:"+bin); err != nil {
		t.Fatal(err)
	}
	replace(t, filepath.Join(bin, "server"), "#!/bin/sh\necho v2\n")
	ev := expectOne(t, w, ch, "web:web", Binary)
	if ev.Path != filepath.Join(bin, "server") {
		t.Errorf("path %q", ev.Path)
	}

	// Written in place, twice in a row: one event.
	f, err := os.OpenFile(filepath.Join(bin, "server"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("echo more\n")
	f.WriteString("echo more\n")
	f.Close()
	expectOne(t, w, ch, "web:web", Binary)

	// Other files in the same directory do not matter.
	writeFile(t, filepath.Join(bin, "other"), "x", 0o755)
	expectQuiet(t, w, ch)
}

func TestBinaryRemovedThenInstalled(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app")
	writeFile(t, path, "v1", 0o755)
	w, ch := newWatcher(t)
	if err := w.WatchBinary("app", path, ""); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	expectQuiet(t, w, ch) // gone: nothing to restart into yet
	writeFile(t, path, "v2 longer", 0o755)
	expectOne(t, w, ch, "app", Binary)
}

func TestBinarySymlinkRepointed(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "v1", "tool"), "one", 0o755)
	writeFile(t, filepath.Join(dir, "v2", "tool"), "two!", 0o755)
	link := filepath.Join(dir, "current")
	if err := os.Symlink(filepath.Join("v1", "tool"), link); err != nil {
		t.Fatal(err)
	}
	w, ch := newWatcher(t)
	if err := w.WatchBinary("tool", link, ""); err != nil {
		t.Fatal(err)
	}
	// Switch the link atomically, as package managers do.
	tmp := link + ".tmp"
	if err := os.Symlink(filepath.Join("v2", "tool"), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
	expectOne(t, w, ch, "tool", Binary)

	// Now the new target is watched, and the old one no longer is.
	writeFile(t, filepath.Join(dir, "v1", "tool"), "changed old", 0o755)
	expectQuiet(t, w, ch)
	replace(t, filepath.Join(dir, "v2", "tool"), "changed new")
	expectOne(t, w, ch, "tool", Binary)
}

func TestTreeBurstGivesOneEvent(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "conf.d", "app.conf")
	writeFile(t, conf, "a=1\n", 0o644)
	// A long debounce period so that a busy machine delaying one touch
	// cannot split the burst.
	w, ch := newWatcherDebounce(t, 500*time.Millisecond)
	if err := w.WatchTree("app", dir, "*.conf"); err != nil {
		t.Fatal(err)
	}
	// 50 touches spread over about 100ms, each well inside the debounce
	// period of the one before.
	start := time.Now()
	for i := range 50 {
		now := time.Now()
		if err := os.Chtimes(conf, now, now); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			f, _ := os.OpenFile(conf, os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString("x\n")
			f.Close()
		}
		time.Sleep(2 * time.Millisecond) // pacing the load, not synchronising
	}
	t.Logf("50 touches took %v", time.Since(start))
	ev := expectOne(t, w, ch, "app", Files)
	if ev.Path != conf {
		t.Errorf("path %q, want %q", ev.Path, conf)
	}
}

func TestTreePatternAndRecursion(t *testing.T) {
	dir := t.TempDir()
	w, ch := newWatcher(t)
	if err := w.WatchTree("app", dir, "*.conf"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "notes.txt"), "ignored", 0o644)
	writeFile(t, filepath.Join(dir, "app.conf.bak"), "ignored", 0o644)
	expectQuiet(t, w, ch)

	// A directory created after the watch started is watched too, at depth.
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	expectQuiet(t, w, ch)
	writeFile(t, filepath.Join(sub, "deep.conf"), "x", 0o644)
	expectOne(t, w, ch, "app", Files)
	writeFile(t, filepath.Join(sub, "deep.conf"), "y", 0o644)
	expectOne(t, w, ch, "app", Files)

	// Removing a matching file is a change.
	if err := os.Remove(filepath.Join(sub, "deep.conf")); err != nil {
		t.Fatal(err)
	}
	expectOne(t, w, ch, "app", Files)

	// Remove stops the watch.
	w.Remove("app")
	writeFile(t, filepath.Join(dir, "late.conf"), "x", 0o644)
	expectQuiet(t, w, ch)
}

func TestTreeRelativePattern(t *testing.T) {
	dir := t.TempDir()
	w, ch := newWatcher(t)
	if err := w.WatchTree("app", dir, "conf/*.ini"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "other", "x.ini"), "ignored", 0o644)
	expectQuiet(t, w, ch)
	writeFile(t, filepath.Join(dir, "conf", "x.ini"), "yes", 0o644)
	expectOne(t, w, ch, "app", Files)
}

func TestSharedDirectoryBetweenWatches(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "prog"), "v1", 0o755)
	w, ch := newWatcher(t)
	if err := w.WatchBinary("a", filepath.Join(dir, "prog"), ""); err != nil {
		t.Fatal(err)
	}
	if err := w.WatchTree("b", dir, "*.yaml"); err != nil {
		t.Fatal(err)
	}
	w.Remove("b") // must not take the directory watch away from "a"
	replace(t, filepath.Join(dir, "prog"), "v2!")
	expectOne(t, w, ch, "a", Binary)
}

func TestErrors(t *testing.T) {
	w, _ := newWatcher(t)
	dir := t.TempDir()
	if err := w.WatchBinary("x", "no-such-command-here", dir); err == nil {
		t.Error("missing command: no error")
	}
	if err := w.WatchTree("x", filepath.Join(dir, "missing"), "*"); err == nil {
		t.Error("missing directory: no error")
	}
	if err := w.WatchTree("x", dir, "[bad"); err == nil {
		t.Error("bad pattern: no error")
	}
}
