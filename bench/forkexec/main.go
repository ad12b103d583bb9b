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
//	forkexec -n 1000 [-pipes 3] [/bin/sleep 100000]
package main

import (
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 1000, "children to start")
	npipes := flag.Int("pipes", 3, "pipes per child: 3 (stdin, stdout, stderr) or 2 (stderr into stdout)")
	flag.Parse()
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
	for range *n {
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
		pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
			Env:   env,
			Files: []uintptr{uintptr(in[0]), uintptr(out[1]), uintptr(stderr)},
			Sys:   &syscall.SysProcAttr{Setpgid: true},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "forkexec:", err)
			os.Exit(1)
		}
		pids = append(pids, pid)
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
	for _, pid := range pids {
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				break
			}
		}
	}
	stop := time.Since(t1).Seconds()
	pids = pids[:0]
	fmt.Printf("%.4f %.4f\n", start, stop)
}
