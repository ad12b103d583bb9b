package ctl

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptySession is our supervisorctl running on a pseudo-terminal.
type ptySession struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex // guards buf, seen
	buf  bytes.Buffer
	seen int
	done chan struct{}
}

func startPTY(t *testing.T, args ...string) *ptySession {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CTL_TEST_MAIN=1", "TERM=xterm", "NO_COLOR=1")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	s := &ptySession{t: t, cmd: cmd, tty: tty, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		b := make([]byte, 4096)
		for {
			n, err := tty.Read(b)
			s.mu.Lock()
			s.buf.Write(b[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		tty.Close()
	})
	return s
}

// expect waits until want appears in output after what was already matched.
func (s *ptySession) expect(want string) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		out := s.buf.String()
		if i := strings.Index(out[s.seen:], want); i >= 0 {
			s.seen += i + len(want)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.Fatalf("did not see %q; output after last match:\n%q", want, s.buf.String()[s.seen:])
}

func (s *ptySession) send(text string) {
	s.t.Helper()
	if _, err := s.tty.Write([]byte(text)); err != nil {
		s.t.Fatal(err)
	}
}

// wait waits for the program to exit and returns its status.
func (s *ptySession) wait() int {
	s.t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			s.t.Fatal(err)
		}
		return 0
	case <-time.After(15 * time.Second):
		s.t.Fatal("supervisorctl did not exit")
	}
	return -1
}

func ptyDaemon(t *testing.T) *daemon {
	t.Helper()
	requireDaemon(t)
	return shared.get(t, baseConfig)
}

// TestShellOnTerminal drives the interactive shell: the first status,
// completion of actions and names, fg with input and Ctrl-C, and quit.
func TestShellOnTerminal(t *testing.T) {
	t.Parallel()
	d := ptyDaemon(t)
	hist := t.TempDir() + "/history"
	s := startPTY(t, "-c", d.conf, "-r", hist)
	s.expect("sleeper")
	s.expect("supervisor> ")

	s.send("vers\t")
	s.expect("version ")
	s.send("\r")
	s.expect("4.2.5")
	s.expect("supervisor> ")

	s.send("start grp:*\r")
	s.expect("grp:cat: started")
	s.expect("supervisor> ")
	d.waitState(t, "grp:cat", "RUNNING")

	s.send("fg grp:c\t")
	s.expect("fg grp:cat ")
	s.send("\r")
	s.expect("==> Press Ctrl-C to exit <==")
	s.send("ping-42\r")
	// Once from the terminal's echo, once from cat through the log stream.
	s.expect("ping-42")
	s.expect("ping-42")
	s.send("\x03")
	s.expect("Exiting foreground")
	s.expect("supervisor> ")

	s.send("quit\r")
	if code := s.wait(); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	data, err := os.ReadFile(hist)
	if err != nil || !strings.Contains(string(data), "start grp:*") {
		t.Fatalf("history file: %q, %v", data, err)
	}
}

// TestCtrlCLeavesShell checks that Ctrl-C at the prompt ends the shell
// with status 0, as the reference does.
func TestCtrlCLeavesShell(t *testing.T) {
	t.Parallel()
	d := ptyDaemon(t)
	s := startPTY(t, "-c", d.conf)
	s.expect("supervisor> ")
	s.send("\x03")
	if code := s.wait(); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
}

// TestTailFollowCtrlC follows a log and detaches with Ctrl-C.
func TestTailFollowCtrlC(t *testing.T) {
	t.Parallel()
	d := ptyDaemon(t)
	s := startPTY(t, "-c", d.conf, "tail", "-f", "quick")
	s.expect("==> Press Ctrl-C to exit <==")
	s.expect("hello from quick")
	s.send("\x03")
	if code := s.wait(); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
}
