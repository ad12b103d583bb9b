package spawn

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// benchStart starts /bin/true with spec's options b.N times, collecting
// each child by pid.
func benchStart(b *testing.B, spec Spec) {
	spec.Argv = []string{"/bin/true"}
	spec.Path = "/bin/true"
	for b.Loop() {
		c, err := Start(spec)
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
