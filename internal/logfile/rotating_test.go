package logfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// dirState lists the files in dir with their contents.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

func TestRotatingFile(t *testing.T) {
	cases := []struct {
		name     string
		maxBytes int64
		backups  int
		writes   []string
		want     map[string]string
	}{
		{"no rotation below max", 100, 2, []string{"a\n", "b\n"},
			map[string]string{"log": "a\nb\n"}},
		{"rotate at max", 4, 2, []string{"ab\n", "cd\n", "ef\n"},
			map[string]string{"log": "ef\n", "log.1": "ab\ncd\n"}},
		{"oldest backup overwritten", 3, 2, []string{"a1\n", "a2\n", "a3\n", "a4\n"},
			map[string]string{"log": "", "log.1": "a4\n", "log.2": "a3\n"}},
		{"backups=0 truncates", 3, 0, []string{"a1\n", "a2\n", "a3"},
			map[string]string{"log": "a3"}},
		{"maxbytes=0 never rotates", 0, 2, []string{"aaaa\n", "bbbb\n"},
			map[string]string{"log": "aaaa\nbbbb\n"}},
		{"waits for the line end", 4, 2, []string{"abc", "def", "gh\nij\n"},
			map[string]string{"log": "ij\n", "log.1": "abcdefgh\n"}},
		{"one write, many lines", 4, 5, []string{"aa\nbb\ncc\ndd\nee"},
			map[string]string{"log": "ee", "log.1": "cc\ndd\n", "log.2": "aa\nbb\n"}},
		{"overlong line torn at twice max", 4, 5, []string{"0123", "4567", "89ab", "c\n"},
			map[string]string{"log": "", "log.1": "89abc\n", "log.2": "01234567"}},
		{"a whole line in one write is kept whole", 4, 5, []string{"0123456789\n"},
			map[string]string{"log": "", "log.1": "0123456789\n"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := OpenRotating(filepath.Join(dir, "log"), c.maxBytes, c.backups)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			for _, s := range c.writes {
				if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
					t.Fatalf("Write(%q) = %d, %v", s, n, err)
				}
			}
			got := dirState(t, dir)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestRotatingFileExistingContent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	os.WriteFile(path, []byte("old partial"), 0o644)
	w, err := OpenRotating(path, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte(" line\nnew\n"))
	got := dirState(t, dir)
	want := map[string]string{"log": "new\n", "log.1": "old partial line\n"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestRotatingFileClear(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	w, err := OpenRotating(path, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for range 10 {
		w.Write([]byte("abcd\n"))
	}
	if err := w.Clear(); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x\n"))
	got := dirState(t, dir)
	if fmt.Sprint(got) != fmt.Sprint(map[string]string{"log": "x\n"}) {
		t.Errorf("after Clear: %q", got)
	}
}

// Writers, rotation and reopens (as logrotate plus SIGUSR2 would cause)
// race; every line must land exactly once, whole.
func TestRotatingFileConcurrentReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	w, err := OpenRotating(path, 4096, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const writers, lines = 4, 2000
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(w, "w%d %06d %s\n", g, i, strings.Repeat("-", i%50))
			}
		}()
	}
	moved := 0
	stop := make(chan struct{})
	var rwg sync.WaitGroup
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			// Move the live file away like logrotate, then reopen.
			dst := filepath.Join(dir, fmt.Sprintf("moved.%04d", moved))
			if os.Rename(path, dst) == nil {
				moved++
			}
			if err := w.Reopen(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	rwg.Wait()

	ents, _ := os.ReadDir(dir)
	var all []string
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Errorf("%s ends mid-line", e.Name())
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if l != "" {
				all = append(all, l)
			}
		}
	}
	if len(all) != writers*lines {
		t.Fatalf("got %d lines, want %d (moved %d times)", len(all), writers*lines, moved)
	}
	sort.Strings(all)
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			t.Fatalf("duplicate line %q", all[i])
		}
	}
	for _, l := range all {
		var g, i int
		var pad string
		fmt.Sscanf(l, "w%d %06d %s", &g, &i, &pad)
		if want := fmt.Sprintf("w%d %06d %s", g, i, strings.Repeat("-", i%50)); l != want && !(i%50 == 0 && l == want[:len(want)-1]) {
			t.Fatalf("torn line %q", l)
		}
	}
	_ = bytes.MinRead
}
