package fcgi

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/internal/config"
)

// The test binary doubles as the fcgi child: with FCGI_TEST_HELPER=accept
// it accepts one connection on fd 0, writes its pid and exits.
func TestMain(m *testing.M) {
	if os.Getenv("FCGI_TEST_HELPER") == "accept" {
		os.Exit(acceptOnce())
	}
	os.Exit(m.Run())
}

func acceptOnce() int {
	ln, err := net.FileListener(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	c, err := ln.Accept()
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 3
	}
	fmt.Fprintf(c, "pid %d\n", os.Getpid())
	c.Close()
	return 0
}

// startChild starts the helper with the socket as its fd 0.
func startChild(t *testing.T, sock *os.File) *os.Process {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := os.StartProcess(exe, []string{exe}, &os.ProcAttr{
		Env:   append(os.Environ(), "FCGI_TEST_HELPER=accept", "GORACE=atexit_sleep_ms=0"),
		Files: []*os.File{sock, nil, os.Stderr},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSharedSocketServesThreeChildren(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  config.FcgiSocket
	}{
		{"tcp", config.FcgiSocket{Network: "tcp", Address: "127.0.0.1:0", Backlog: 16}},
		{"unix", config.FcgiSocket{Network: "unix", Address: filepath.Join(dir, "fcgi.sock"), Mode: 0o660}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.cfg, nil)
			if s.Prepared() {
				t.Fatal("socket exists before the first Acquire")
			}
			var procs []*os.Process
			var pids []string
			for range 3 {
				f, err := s.Acquire()
				if err != nil {
					t.Fatal(err)
				}
				p := startChild(t, f)
				procs = append(procs, p)
				pids = append(pids, strconv.Itoa(p.Pid))
			}
			if s.Refs() != 3 {
				t.Fatalf("refs %d, want 3", s.Refs())
			}
			addr, err := s.Addr()
			if err != nil {
				t.Fatal(err)
			}
			if tt.cfg.Network == "unix" {
				fi, err := os.Stat(tt.cfg.Address)
				if err != nil || fi.Mode().Perm() != 0o660 {
					t.Fatalf("socket file: %v, %v", fi, err)
				}
			}
			// Each child accepts exactly one connection, so three
			// connections reach all three children.
			var served []string
			for range 3 {
				c, err := net.DialTimeout(addr.Network(), addr.String(), 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				line, err := bufio.NewReader(c).ReadString('\n')
				c.Close()
				if err != nil {
					t.Fatalf("read from child: %v", err)
				}
				served = append(served, strings.TrimPrefix(strings.TrimSpace(line), "pid "))
			}
			slices.Sort(served)
			slices.Sort(pids)
			if !slices.Equal(served, pids) {
				t.Fatalf("served by %v, children %v", served, pids)
			}
			for i, p := range procs {
				st, err := p.Wait()
				if err != nil || !st.Success() {
					t.Fatalf("child: %v %v", st, err)
				}
				if err := s.Release(); err != nil {
					t.Fatal(err)
				}
				if still := i < len(procs)-1; s.Prepared() != still {
					t.Fatalf("after %d releases prepared=%v", i+1, s.Prepared())
				}
			}
			if _, err := net.DialTimeout(addr.Network(), addr.String(), 5*time.Second); err == nil {
				t.Fatal("socket still accepts connections after the last release")
			}
			if tt.cfg.Network == "unix" {
				if _, err := os.Stat(tt.cfg.Address); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("socket file left behind: %v", err)
				}
			}
			if err := s.Release(); !errors.Is(err, ErrNotHeld) {
				t.Fatalf("extra release: %v", err)
			}
		})
	}
}

func TestSocketErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  config.FcgiSocket
	}{
		{"bad network", config.FcgiSocket{Network: "udp", Address: "127.0.0.1:1"}},
		{"bad port", config.FcgiSocket{Network: "tcp", Address: "127.0.0.1:http"}},
		{"no dir", config.FcgiSocket{Network: "unix", Address: filepath.Join(dir, "missing", "s.sock")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Check(tt.cfg); err == nil {
				t.Fatal("Check succeeded")
			}
		})
	}
	// A port already bound by a listener that does not share it.
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 1); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	port := sa.(*syscall.SockaddrInet4).Port
	err = Check(config.FcgiSocket{Network: "tcp", Address: fmt.Sprintf("127.0.0.1:%d", port)})
	if err == nil || !strings.Contains(err.Error(), "tcp://127.0.0.1:") {
		t.Fatalf("bind to a used port: %v", err)
	}
}

func TestStaleUnixSocketIsReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := New(config.FcgiSocket{Network: "unix", Address: path}, nil)
	if _, err := s.Acquire(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket file %v (%v), want a 0700 socket", fi, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.URL() != "unix://"+path {
		t.Fatalf("URL %q", s.URL())
	}
}
