package pidproxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary plays two parts, chosen by PIDPROXY_HELPER=1 and argv:
//
//	exe <pidfile> <exe> child <mode>   pidproxy itself (Main)
//	exe child <mode>                   the proxied command
//
// The child writes its pid to the pidfile (unless mode is "nopid"), says
// "ready", reports USR1 and HUP on stdout, prints "TERM" and exits 5 on
// SIGTERM, and exits 3 when it reads "exit" on stdin.
func TestMain(m *testing.M) {
	if os.Getenv("PIDPROXY_HELPER") == "1" {
		if len(os.Args) > 1 && os.Args[1] == "child" {
			os.Exit(child(os.Args[2]))
		}
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func child(mode string) int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGTERM)
	if mode != "nopid" {
		pidfile := os.Getenv("PIDPROXY_PIDFILE")
		tmp := pidfile + ".tmp"
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err != nil {
			return 10
		}
		if err := os.Rename(tmp, pidfile); err != nil {
			return 11
		}
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	fmt.Println("ready")
	for {
		select {
		case s := <-sigs:
			if s == syscall.SIGTERM {
				fmt.Println("TERM")
				return 5
			}
			if s == syscall.SIGUSR1 {
				fmt.Println("USR1")
			} else {
				fmt.Println("HUP")
			}
		case l := <-lines:
			if l == "exit" {
				return 3
			}
		}
	}
}

type proxy struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   chan string
}

func startProxy(t *testing.T, mode string) (*proxy, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pidfile := filepath.Join(t.TempDir(), "child.pid")
	cmd := exec.Command(exe, pidfile, exe, "child", mode)
	cmd.Env = append(os.Environ(), "PIDPROXY_HELPER=1", "PIDPROXY_PIDFILE="+pidfile, "GORACE=atexit_sleep_ms=0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proxy{cmd: cmd, stdin: stdin, out: make(chan string, 16)}
	go func() {
		defer close(p.out)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.out <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	p.expect(t, "ready")
	return p, pidfile
}

func (p *proxy) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case got, ok := <-p.out:
		if !ok {
			t.Fatalf("output ended, want %q", want)
		}
		if got != want {
			t.Fatalf("got line %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %q", want)
	}
}

func (p *proxy) wait(t *testing.T) int {
	t.Helper()
	for range p.out { // drain so the copier finishes
	}
	err := p.cmd.Wait()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		t.Fatal(err)
	}
	return 0
}

func TestRelaysSignalsToPidfile(t *testing.T) {
	p, _ := startProxy(t, "pid")
	p.cmd.Process.Signal(syscall.SIGUSR1)
	p.expect(t, "USR1")
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.expect(t, "HUP")
	// SIGTERM is relayed and pidproxy exits 0 at once.
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.expect(t, "TERM")
	if code := p.wait(t); code != 0 {
		t.Fatalf("pidproxy exited %d, want 0", code)
	}
}

func TestExitsWhenChildExits(t *testing.T) {
	p, _ := startProxy(t, "pid")
	io.WriteString(p.stdin, "exit\n")
	if code := p.wait(t); code != 0 {
		t.Fatalf("pidproxy exited %d, want 0 (the child's status is not passed on)", code)
	}
}

func TestMissingPidfile(t *testing.T) {
	p, pidfile := startProxy(t, "nopid")
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.expect(t, "Can't read child pidfile "+pidfile+"!")
	// Still running: the child exits on request and pidproxy follows.
	io.WriteString(p.stdin, "exit\n")
	if code := p.wait(t); code != 0 {
		t.Fatalf("pidproxy exited %d", code)
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"only-a-pidfile"}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(out.String(), "Usage: pidproxy <pidfile name> <command> [<cmdarg1> ...]\n") {
		t.Fatalf("usage text %q", out.String())
	}
}

func TestCommandNotFound(t *testing.T) {
	var out, errb bytes.Buffer
	dir := t.TempDir()
	code := Main([]string{filepath.Join(dir, "x.pid"), filepath.Join(dir, "no-such-command")}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "no-such-command") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

func TestResolve(t *testing.T) {
	if p := resolve("sh"); !filepath.IsAbs(p) {
		t.Fatalf("resolve(sh) = %q", p)
	}
	wd, _ := os.Getwd()
	if p := resolve("./x"); p != filepath.Join(wd, "x") {
		t.Fatalf("resolve(./x) = %q", p)
	}
}
