// Package pidproxy is the pidproxy program: it runs a command that keeps a
// pidfile (often naming a different process than the command itself, as
// with mysqld_safe) and relays the signals it receives to the pid in that
// file, so that a supervisor can stop or signal such a command. It exits
// when its own child exits.
package pidproxy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// relayed are the signals passed on to the pid in the pidfile.
var relayed = []os.Signal{
	syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGQUIT,
}

// usage is printed, with the program name, when arguments are missing.
const usage = `pidproxy: start a command and relay signals to the process named in its pidfile.

pidproxy runs the command, then forwards SIGTERM, SIGHUP, SIGINT, SIGUSR1,
SIGUSR2 and SIGQUIT to the pid read from the pidfile at the time the signal
arrives. After relaying SIGTERM, SIGINT or SIGQUIT it exits; otherwise it
exits when the command does.

Usage: %s <pidfile name> <command> [<cmdarg1> ...]
`

// Main runs pidproxy with its arguments (the pidfile, the command and the
// command's arguments, without the program name) and returns the exit
// status. The command inherits the standard input of the process; its
// output goes to stdout and stderr.
func Main(args []string, stdout, stderr io.Writer) int {
	const prog = "pidproxy"
	if len(args) < 2 {
		fmt.Fprintf(stdout, usage+"\n", prog)
		return 1
	}
	pidfile, cmdargs := args[0], args[1:]

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, relayed...)
	defer signal.Stop(sigs)

	cmd := exec.Command(resolve(cmdargs[0]), cmdargs[1:]...)
	cmd.Args[0] = cmdargs[0]
	cmd.Stdin = os.Stdin
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	for {
		select {
		case <-done:
			// Like the original, the command's own status is not passed on.
			return 0
		case sig := <-sigs:
			pid, err := readPid(pidfile)
			if err != nil {
				fmt.Fprintf(stdout, "Can't read child pidfile %s!\n", pidfile)
				continue
			}
			if err := syscall.Kill(pid, sig.(syscall.Signal)); err != nil {
				fmt.Fprintf(stderr, "%s: kill %d: %v\n", prog, pid, err)
				return 1
			}
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
				return 0
			}
		}
	}
}

// resolve finds the program to run. Like the original it is taken relative
// to the working directory; a bare name that is not there is looked up in
// PATH (where the original would fail).
func resolve(name string) string {
	abs, err := filepath.Abs(name)
	if err != nil {
		return name
	}
	if strings.ContainsRune(name, '/') {
		return abs
	}
	if _, err := os.Stat(abs); err == nil {
		return abs
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return abs
}

// readPid reads the pid from a pidfile: a decimal number, surrounding
// whitespace allowed.
func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, err
	}
	if pid <= 0 {
		return 0, errors.New("pid must be positive")
	}
	return pid, nil
}
