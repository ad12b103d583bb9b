package cgroup

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Leftover is a cgroup found in the daemon's directory at start-up.
type Leftover struct {
	Name  string
	Procs int // processes that were still in it and were killed
	Err   error
}

// Sweep kills and removes what a previous daemon on the same
// configuration left behind (it was killed before it could stop its
// programs). It waits up to timeout for the killed trees to end.
func (m *Manager) Sweep(timeout time.Duration) []Leftover {
	entries, err := os.ReadDir(m.v2base)
	if err != nil {
		return nil
	}
	var out []Leftover
	for _, e := range entries {
		if !e.IsDir() || !strings.Contains(e.Name(), ":") {
			continue
		}
		out = append(out, m.sweepOne(e.Name(), timeout))
	}
	return out
}

func (m *Manager) sweepOne(name string, timeout time.Duration) Leftover {
	lo := Leftover{Name: name}
	dir := filepath.Join(m.v2base, name)
	g := &Group{m: m, name: name, v2path: dir}
	rel, _ := filepath.Rel(m.v2mount, dir)
	v2, err := cgroupLoad(m.v2mount, "/"+rel)
	if err != nil {
		lo.Err = err
		return lo
	}
	g.v2 = v2
	if procs, _ := g.Procs(); len(procs) > 0 {
		lo.Procs = len(procs)
		if err := g.Kill(); err != nil {
			lo.Err = err
			return lo
		}
		// Start-up only, and only when something was left: a short,
		// bounded wait for the killed tree to leave the cgroup.
		deadline := time.Now().Add(timeout)
		for {
			if p, err := g.Populated(); err != nil || !p {
				break
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if err := removeTree(dir); err != nil && lo.Err == nil {
		lo.Err = err
	}
	for _, base := range m.v1base {
		removeTree(filepath.Join(base, name))
	}
	return lo
}

// removeTree removes a cgroup directory and any below it, deepest first.
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			removeTree(filepath.Join(dir, e.Name()))
		}
	}
	if err := os.Remove(dir); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// RemoveAll removes the cgroup path (relative to each hierarchy's root)
// and everything below it from every hierarchy, killing what runs there.
// It is for tests that made their own parent.
func RemoveAll(parent string) {
	if parent == "" || parent == "/" {
		return
	}
	var roots []string
	for _, mnt := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		if isCgroup2(mnt) {
			roots = append(roots, mnt)
			break
		}
	}
	if ents, err := os.ReadDir("/sys/fs/cgroup"); err == nil {
		for _, e := range ents {
			if e.IsDir() && e.Name() != "unified" {
				roots = append(roots, filepath.Join("/sys/fs/cgroup", e.Name()))
			}
		}
	}
	for _, r := range roots {
		dir := filepath.Join(r, parent)
		killTree(dir)
		removeTree(dir)
	}
}

func killTree(dir string) {
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.WriteFile(filepath.Join(p, "cgroup.kill"), []byte("1"), 0)
		}
		return nil
	})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var buf [128]byte
		b, err := readFile(filepath.Join(dir, "cgroup.events"), buf[:])
		if err != nil || keyValue(b, "populated") == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
