//go:build linux

// Package deploy_test runs the built daemon the way service managers and
// orchestrators do: under a notify socket (systemd's Type=notify),
// probed over HTTP (Kubernetes), logging JSON, checked before a reload,
// built by the Dockerfile's steps, and watched by the dashboards and
// alerts shipped in docs/deploy.
package deploy_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sddeploy")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "supervisord")
	build := exec.Command("go", "build", "-o", bin, "supervisord/cmd/supervisord")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building supervisord: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// moduleRoot is the repository root (two levels up from this package).
func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(wd))
}

// syncBuffer collects a daemon's output.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// daemon is one supervisord started by a test.
type daemon struct {
	t    *testing.T
	dir  string
	conf string
	port int // the inet_http_server port, 0 when none
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startDaemon writes a configuration ([supervisord] lines in sup, the rest
// in rest; %(port)s is an inet port on loopback) and runs the daemon in
// the foreground with extra environment.
func startDaemon(t *testing.T, sup, rest string, env ...string) *daemon {
	t.Helper()
	dir, err := os.MkdirTemp("", "sdd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &daemon{t: t, dir: dir, out: &syncBuffer{}, done: make(chan struct{})}
	if strings.Contains(rest, "%(port)s") {
		d.port = freePort(t)
		rest = strings.ReplaceAll(rest, "%(port)s", strconv.Itoa(d.port))
	}
	text := fmt.Sprintf(`[unix_http_server]
file=%s/s.sock

[supervisord]
logfile=%s/supervisord.log
pidfile=%s/supervisord.pid
childlogdir=%s
nodaemon=true
%s

[supervisorctl]
serverurl=unix://%s/s.sock

%s`, dir, dir, dir, dir, sup, dir, rest)
	d.conf = filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(d.conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(bin, "-c", d.conf)
	d.cmd.Env = append(os.Environ(), env...)
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(d.stop)
	return d
}

// stop ends the daemon with SIGTERM (it stops its programs first), and
// kills it by pid if it does not end in time.
func (d *daemon) stop() {
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(60 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		d.t.Errorf("daemon did not stop on SIGTERM; output:\n%s", d.out)
	}
}

func (d *daemon) signal(sig syscall.Signal) {
	d.t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatal(err)
	}
}

func (d *daemon) log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "supervisord.log"))
	return string(b)
}

// waitFor polls cond until it holds, failing after timeout or when the
// daemon exits.
func (d *daemon) waitFor(what string, timeout time.Duration, cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case <-d.done:
			d.t.Fatalf("daemon exited waiting for %s; output:\n%s\nlog:\n%s", what, tail(d.out.String()), tail(d.log()))
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %s; log:\n%s", what, tail(d.log()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *daemon) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", d.port, path)
}

// get fetches path and returns the status and body.
func (d *daemon) get(method, path string, auth ...string) (int, string) {
	d.t.Helper()
	req, err := http.NewRequest(method, d.url(path), nil)
	if err != nil {
		d.t.Fatal(err)
	}
	if len(auth) == 2 {
		req.SetBasicAuth(auth[0], auth[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// tail is the end of a log, enough to see why a wait failed.
func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 40 {
		lines = append([]string{"..."}, lines[len(lines)-40:]...)
	}
	return strings.Join(lines, "\n")
}
