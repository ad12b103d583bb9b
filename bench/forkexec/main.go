//go:build linux

// Command forkexec is the fork/exec limit the daemon's start-up is
// measured against: it does what the daemon must do for each program and
// nothing else — three pipes (stdin, stdout, stderr), a fork and exec of
// the command in a new process group — one program after another, and
// prints the seconds from the first fork to the last exec. Then it sends
// SIGTERM to every child and prints, second, the seconds until it has
// reaped them all: the limit of a daemon's stop. The parent's ends of the pipes are
// closed at once (making them is part of the cost, holding them is not),
// so that 10,000 children fit in the descriptor limit.
//
// With -cgroups it also does the kernel's share of containment: a cgroup
// per child in the v2 hierarchy (the child born in it, clone3's
// CLONE_INTO_CGROUP) and in the v1 memory and pids hierarchies where those
// are mounted (the child moved in by its pid), under a parent of its own
// in each; and, in the stop, removes each child's groups once it is
// reaped. What a daemon adds to that (OOM notification, watching
// cgroup.events, reading usage) is its own cost, not part of the limit.
//
//	forkexec -n 1000 [-pipes 3] [-cgroups] [/bin/sleep 100000]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 1000, "children to start")
	npipes := flag.Int("pipes", 3, "pipes per child: 3 (stdin, stdout, stderr) or 2 (stderr into stdout)")
	withCgroups := flag.Bool("cgroups", false, "a cgroup per child in each hierarchy a daemon uses")
	flag.Parse()
	var h *hierarchies
	if *withCgroups {
		var err error
		if h, err = newHierarchies(); err != nil {
			fmt.Fprintln(os.Stderr, "forkexec:", err)
			os.Exit(1)
		}
		defer h.remove()
	}
	argv := flag.Args()
	if len(argv) == 0 {
		argv = []string{"/bin/sleep", "100000"}
	}
	pids := make([]int, 0, *n)
	defer func() {
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		for _, pid := range pids {
			var ws syscall.WaitStatus
			syscall.Wait4(pid, &ws, 0, nil)
		}
	}()
	env := os.Environ()
	t0 := time.Now()
	for i := range *n {
		var in, out, errp [2]int
		pipes := []*[2]int{&in, &out, &errp}[:*npipes]
		for _, p := range pipes {
			if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
				fmt.Fprintln(os.Stderr, "forkexec: pipe:", err)
				os.Exit(1)
			}
		}
		stderr := errp[1]
		if *npipes == 2 {
			stderr = out[1]
		}
		sys := &syscall.SysProcAttr{Setpgid: true}
		if h != nil {
			fd, err := h.make(i)
			if err != nil {
				fmt.Fprintln(os.Stderr, "forkexec:", err)
				os.Exit(1)
			}
			sys.UseCgroupFD, sys.CgroupFD = true, fd
		}
		pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
			Env:   env,
			Files: []uintptr{uintptr(in[0]), uintptr(out[1]), uintptr(stderr)},
			Sys:   sys,
		})
		if sys.UseCgroupFD {
			syscall.Close(sys.CgroupFD)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "forkexec:", err)
			os.Exit(1)
		}
		pids = append(pids, pid)
		if h != nil {
			if err := h.join(i, pid); err != nil {
				fmt.Fprintln(os.Stderr, "forkexec:", err)
				os.Exit(1)
			}
		}
		for _, p := range pipes {
			syscall.Close(p[0])
			syscall.Close(p[1])
		}
	}
	start := time.Since(t0).Seconds()
	// The stop limit: SIGTERM to every child's process group, as the
	// daemon sends it, then reap each one.
	t1 := time.Now()
	for _, pid := range pids {
		syscall.Kill(-pid, syscall.SIGTERM)
	}
	for i, pid := range pids {
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				break
			}
		}
		if h != nil {
			h.removeChild(i)
		}
	}
	stop := time.Since(t1).Seconds()
	pids = pids[:0]
	fmt.Printf("%.4f %.4f\n", start, stop)
}

// hierarchies are the cgroup directories the children go in: the v2
// hierarchy's and, where mounted, v1 memory's and pids's, each under a
// parent made for this run.
type hierarchies struct {
	v2    string   // parent in the v2 hierarchy
	v1    []string // parents in the v1 hierarchies
	made  []string // parents, removed at the end
	child func(parent string, i int) string
}

func newHierarchies() (*hierarchies, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	name := "sdlimit-" + strconv.Itoa(os.Getpid())
	h := &hierarchies{child: func(parent string, i int) string { return filepath.Join(parent, "c"+strconv.Itoa(i)) }}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "id parent major:minor root mountpoint opts - fstype source superopts"
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+3 >= len(fields) || len(fields) < 5 {
			continue
		}
		mount, fstype, super := fields[4], fields[sep+1], fields[sep+3]
		switch {
		case fstype == "cgroup2" && h.v2 == "":
			h.v2 = filepath.Join(mount, name)
		case fstype == "cgroup":
			for _, opt := range strings.Split(super, ",") {
				if opt == "memory" || opt == "pids" {
					h.v1 = append(h.v1, filepath.Join(mount, name))
					break
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if h.v2 == "" {
		return nil, fmt.Errorf("no cgroup2 hierarchy mounted")
	}
	for _, d := range append([]string{h.v2}, h.v1...) {
		if err := os.Mkdir(d, 0o755); err != nil {
			h.remove()
			return nil, err
		}
		h.made = append(h.made, d)
	}
	return h, nil
}

// make creates child i's groups and returns its v2 directory, open, for
// clone3.
func (h *hierarchies) make(i int) (int, error) {
	for _, d := range append([]string{h.v2}, h.v1...) {
		if err := syscall.Mkdir(h.child(d, i), 0o755); err != nil {
			return -1, fmt.Errorf("mkdir %s: %w", h.child(d, i), err)
		}
	}
	return syscall.Open(h.child(h.v2, i), syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
}

// join moves pid into child i's v1 groups.
func (h *hierarchies) join(i, pid int) error {
	for _, d := range h.v1 {
		f := filepath.Join(h.child(d, i), "cgroup.procs")
		if err := os.WriteFile(f, []byte(strconv.Itoa(pid)), 0); err != nil {
			return err
		}
	}
	return nil
}

// removeChild removes child i's groups, once it has been reaped.
func (h *hierarchies) removeChild(i int) {
	for _, d := range append([]string{h.v2}, h.v1...) {
		syscall.Rmdir(h.child(d, i))
	}
}

// remove removes whatever groups are left, then the parents. A child's
// group still holding a process (after a failure) is emptied first by
// the deferred kill and reap in main, which runs before this.
func (h *hierarchies) remove() {
	for _, d := range h.made {
		if ents, err := os.ReadDir(d); err == nil {
			for _, e := range ents {
				if e.IsDir() {
					syscall.Rmdir(filepath.Join(d, e.Name()))
				}
			}
		}
		syscall.Rmdir(d)
	}
}
