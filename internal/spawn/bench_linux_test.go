package spawn

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

// benchStart starts /bin/true with spec's options b.N times, collecting
// each child by pid.
func benchStart(b *testing.B, spec Spec) {
	benchStartWith(b, spec, Start)
}

func benchStartWith(b *testing.B, spec Spec, start func(Spec) (*Child, error)) {
	spec.Argv = []string{"/bin/true"}
	spec.Path = "/bin/true"
	for b.Loop() {
		c, err := start(spec)
		if err != nil {
			b.Fatal(err)
		}
		c.Stdout.Close()
		if c.Stderr != nil {
			c.Stderr.Close()
		}
		if c.Stdin != nil {
			c.Stdin.Close()
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(c.Pid, &ws, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStartPlain(b *testing.B) {
	benchStart(b, Spec{Umask: -1, Setpgid: true, Stdin: true})
}

// BenchmarkStartHolding starts a child while the daemon holds 1,000 to
// 10,000 other descriptors (as many programs' pipes), from the spawner and
// from the daemon's own table: a fork from the daemon's table copies them
// all and its exec closes them all, one from the spawner neither, but it
// pays a hand-off between threads. Where the two meet sets spawnerFrom.
func BenchmarkStartHolding(b *testing.B) {
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	for _, n := range []int{1000, 3000, 10000} {
		if uint64(n+256) > lim.Cur {
			lim.Cur = min(uint64(n+256), lim.Max)
			syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		}
		var held []int
		for len(held) < n {
			fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
			if err != nil {
				b.Skipf("cannot hold %d descriptors: %v", n, err)
			}
			held = append(held, fd)
		}
		spec := Spec{Umask: -1, Setpgid: true, Stdin: true}
		b.Run(fmt.Sprintf("%d/spawner", n), func(b *testing.B) {
			sp := theSpawner()
			if sp == nil {
				b.Skip("no spawner")
			}
			benchStartWith(b, spec, func(s Spec) (*Child, error) { return sp.start(s.Path, s) })
		})
		b.Run(fmt.Sprintf("%d/daemon-table", n), func(b *testing.B) {
			benchStartWith(b, spec, func(s Spec) (*Child, error) { return startHere(s.Path, s, nil) })
		})
		for _, fd := range held {
			syscall.Close(fd)
		}
	}
}

// With a directory and umask the work moves to a throwaway thread.
func BenchmarkStartDirUmask(b *testing.B) {
	benchStart(b, Spec{Umask: 0o22, Dir: "/", Setpgid: true, Stdin: true})
}

// TestThreadsAreDiscarded checks that starting with a directory, umask and
// user leaves no extra OS threads behind, and that the daemon's own
// directory, umask and credentials are unchanged.
func TestThreadsAreDiscarded(t *testing.T) {
	cwd, _ := os.Getwd()
	umask := umaskOf("self")
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		cred = UserCredential(nobodyUID, nogroup, nil)
	}
	spec := Spec{Argv: []string{"/bin/true"}, Path: "/bin/true", Dir: "/", Umask: 0o077, Cred: cred}
	threads := func() int {
		entries, err := os.ReadDir("/proc/self/task")
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	start := func() {
		c, err := Start(spec)
		if err != nil {
			t.Fatal(err)
		}
		c.Stdout.Close()
		c.Stderr.Close()
		var ws syscall.WaitStatus
		syscall.Wait4(c.Pid, &ws, 0, nil)
	}
	start() // let the runtime settle its own threads
	before := threads()
	for range 50 {
		start()
	}
	// Discarded threads exit asynchronously; a few may linger briefly, but
	// fifty would mean none is discarded.
	if after := threads(); after > before+10 {
		t.Errorf("%d threads before, %d after 50 starts", before, after)
	}
	if c, _ := os.Getwd(); c != cwd {
		t.Errorf("our cwd is now %q", c)
	}
	if u := umaskOf("self"); u != umask {
		t.Errorf("our umask is now %#o, was %#o", u, umask)
	}
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "Uid:") && strings.Fields(line)[1] != "0" && os.Getuid() == 0 {
			t.Errorf("our credentials changed: %s", line)
		}
	}
}
