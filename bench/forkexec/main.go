//go:build linux

// Command forkexec is the fork/exec limit the daemon's start-up is
// measured against: it does what the daemon must do for each program and
// nothing else — three pipes (stdin, stdout, stderr), a fork and exec of
// the command in a new process group — one program after another, and
// prints the seconds from the first fork to the last exec. Then it kills
// and reaps every child it started.
//
//	forkexec -n 1000 /bin/sleep 100000
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
	flag.Parse()
	argv := flag.Args()
	if len(argv) == 0 {
		argv = []string{"/bin/sleep", "100000"}
	}
	pids := make([]int, 0, *n)
	var fds []int
	defer func() {
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		for _, pid := range pids {
			var ws syscall.WaitStatus
			syscall.Wait4(pid, &ws, 0, nil)
		}
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}()
	env := os.Environ()
	t0 := time.Now()
	for range *n {
		var in, out, errp [2]int
		for _, p := range []*[2]int{&in, &out, &errp} {
			if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
				fmt.Fprintln(os.Stderr, "forkexec: pipe:", err)
				os.Exit(1)
			}
		}
		pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
			Env:   env,
			Files: []uintptr{uintptr(in[0]), uintptr(out[1]), uintptr(errp[1])},
			Sys:   &syscall.SysProcAttr{Setpgid: true},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "forkexec:", err)
			os.Exit(1)
		}
		pids = append(pids, pid)
		syscall.Close(in[0])
		syscall.Close(out[1])
		syscall.Close(errp[1])
		fds = append(fds, in[1], out[0], errp[0])
	}
	fmt.Printf("%.4f\n", time.Since(t0).Seconds())
}
