package spawn

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The test binary doubles as the child: started with SPAWN_HELPER=1 in its
// environment it runs the helper named by its first argument.
func TestMain(m *testing.M) {
	if os.Getenv("SPAWN_HELPER") == "1" {
		os.Exit(helper(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// childInfo is what the "info" helper reports about itself.
type childInfo struct {
	Args   []string
	Env    []string
	Cwd    string
	Umask  int
	Uid    int
	Gid    int
	Euid   int
	Egid   int
	Groups []int
	Pgid   int
	Pid    int
}

func helper(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "helper: no mode")
		return 2
	}
	switch args[0] {
	case "exit":
		code, _ := strconv.Atoi(args[1])
		return code
	case "echo":
		fmt.Fprint(os.Stdout, "to stdout\n")
		fmt.Fprint(os.Stderr, "to stderr\n")
		return 0
	case "cat":
		io.Copy(os.Stdout, os.Stdin)
		return 0
	case "block": // until stdin reaches EOF; opens no descriptors
		io.Copy(io.Discard, os.Stdin)
		return 0
	case "ready-block": // say so once started, then block
		os.Stdout.WriteString("ready\n")
		io.Copy(io.Discard, os.Stdin)
		return 0
	case "info":
		cwd, _ := os.Getwd()
		groups, _ := syscall.Getgroups()
		info := childInfo{
			Args: args, Env: os.Environ(), Cwd: cwd, Umask: umaskOf("self"),
			Uid: os.Getuid(), Gid: os.Getgid(), Euid: os.Geteuid(), Egid: os.Getegid(),
			Groups: groups, Pgid: syscall.Getpgrp(), Pid: os.Getpid(),
		}
		json.NewEncoder(os.Stdout).Encode(info)
		return 0
	case "grandchild":
		// Start a grandchild sharing our stdin and stdout, print its pid,
		// then block like it.
		exe, _ := os.Executable()
		gpid, err := syscall.ForkExec(exe, []string{exe, "block"}, &syscall.ProcAttr{
			Env: os.Environ(), Files: []uintptr{0, 1, 2},
		})
		if err != nil {
			fmt.Println("fork:", err)
			return 1
		}
		fmt.Println(gpid)
		io.Copy(io.Discard, os.Stdin)
		return 0
	case "fd0":
		st, err := syscall.GetsockoptInt(0, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN)
		if err != nil {
			fmt.Println("not a socket:", err)
			return 1
		}
		flags, _ := fcntlGetfl(0)
		fmt.Printf("listening=%d nonblock=%v\n", st, flags&syscall.O_NONBLOCK != 0)
		return 0
	case "start-as":
		// Run by an unprivileged helper: try to switch to another uid.
		uid, _ := strconv.Atoi(args[1])
		_, err := Start(Spec{Argv: []string{"/bin/true"}, Path: "/bin/true", Umask: -1,
			Cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}})
		if ce, ok := err.(*ChildError); ok {
			fmt.Print(ce.Output())
			return 0
		}
		fmt.Println("unexpected:", err)
		return 1
	case "raise-limit":
		min, _ := strconv.ParseUint(args[1], 10, 64)
		_, err := RaiseLimit(LimitFiles, min)
		fmt.Print(err)
		return 0
	}
	fmt.Fprintln(os.Stderr, "helper: unknown mode", args[0])
	return 2
}

func fcntlGetfl(fd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

// umaskOf reads a process's umask from /proc/<pid>/status, which does not
// change it as umask(2) would.
func umaskOf(pid string) int {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 8, 32)
			if err != nil {
				return -1
			}
			return int(n)
		}
	}
	return -1
}
