//go:build linux

package harness

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"supervisord/internal/cgroup"
)

// Timeout bounds every wait of the launcher and of the wait helpers that
// take none: long enough for a loaded CI machine running the race
// detector, short enough that a hung test says so.
const Timeout = 60 * time.Second

// TB is what the launcher and the wait helpers need from a test:
// *testing.T and *testing.B have it, and a test script can adapt to it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Cleanup(func())
}

// build is the daemon under test, built at most once per test binary.
var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// Ours returns the daemon under test: $SUPERVISORD_BIN, or a build of
// ./cmd/supervisord made by the first call and shared by the rest. Run
// removes the build when the package's tests are done.
func Ours() (string, error) {
	if bin := os.Getenv(EnvBin); bin != "" {
		return bin, nil
	}
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "sdbin")
		if build.err == nil {
			build.bin, build.err = BuildOurs(".", build.dir)
		}
	})
	return build.bin, build.err
}

// MustOurs is Ours for a test: a failed build fails it.
func MustOurs(t TB) string {
	t.Helper()
	bin, err := Ours()
	if err != nil {
		t.Fatalf("%v", err)
	}
	return bin
}

// Run runs a package's tests and then removes the daemon Ours built.
// TestMain is os.Exit(harness.Run(m)), or Main.
func Run(m interface{ Run() int }) int {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	return code
}

// Main is a TestMain that sets *bin (when bin is not nil) to the daemon
// under test before the tests run, and exits with their status.
func Main(m *testing.M, bin *string) {
	if bin != nil {
		var err error
		if *bin, err = Ours(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	os.Exit(Run(m))
}

// FreePort returns a loopback TCP port that was free a moment ago. It is
// taken below the kernel's ephemeral range: a port the kernel handed out
// for a listener on port 0 is just as likely to be handed to the next
// outgoing connection as its source port, and with tests of other
// packages connecting to their daemons all the while, one did, between
// this check and the daemon's bind (the reference then refused to start:
// "Another program is already listening on a port").
func FreePort(t TB) int {
	t.Helper()
	lo, hi := 10000, ephemeralLow()
	for range 200 {
		if hi-lo < 1000 {
			break
		}
		p := lo + rand.IntN(hi-lo)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		l.Close()
		return p
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ephemeralLow is the first port of the kernel's ephemeral range (32768
// when it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 32768
	}
	return n
}

// Spec says how to launch a daemon. Only Config is required.
type Spec struct {
	// Bin is the daemon; "" means Ours.
	Bin string
	// Config is the configuration's text, written to Paths.Config. A
	// [supervisord] section without a cgroup_parent key gets
	// Paths.CgroupParent(), so that programs' cgroups never land in the
	// test's own; the reference ignores the key.
	Config string
	// Paths are where the files go; the zero value means PathsIn a new
	// short temporary directory, removed when the test ends.
	Paths Paths
	// Args replace the default arguments, "-n -c Paths.Config".
	Args []string
	// Wrap is a command the daemon runs under, such as unshare(1).
	Wrap []string
	// Env is added to the test's environment.
	Env []string
	// Stdout, when set, takes the daemon's stdout and stderr instead of
	// Paths.Output.
	Stdout *os.File
	// NoWait returns at once, instead of once the control socket answers.
	NoWait bool
	// StopTimeout is how long the cleanup waits after SIGTERM before it
	// kills; 0 means Timeout.
	StopTimeout time.Duration
}

// Launch starts a daemon for t and, unless spec.NoWait, waits until its
// control socket answers. When the test ends the daemon is stopped with
// SIGTERM; one that does not exit in time fails the test and is killed,
// with its children, by pid; then its cgroup parent is removed, with
// anything left in it.
func Launch(t TB, spec Spec) *Daemon {
	t.Helper()
	if spec.Bin == "" {
		spec.Bin = MustOurs(t)
	}
	if spec.Paths.Dir == "" {
		spec.Paths = TempPaths(t)
	}
	parent := spec.Paths.CgroupParent()
	spec.Config = withCgroupParent(spec.Config, parent)
	// Registered first, so run last: the parent and whatever is left in
	// it go once the daemon has been stopped. (Not when it exits: a test
	// may kill a daemon and start another that adopts its programs.)
	t.Cleanup(func() { cgroup.RemoveAll(parent) })
	d, err := spec.start(false)
	if err != nil {
		t.Fatalf("%v", err)
	}
	stopTimeout := spec.StopTimeout
	if stopTimeout == 0 {
		stopTimeout = Timeout
	}
	t.Cleanup(func() {
		d.rpc.Close()
		if err := d.Stop(stopTimeout); err != nil {
			t.Errorf("%v; log:\n%s", err, tail(d.Log()))
		}
	})
	if !spec.NoWait {
		d.WaitReady(t)
	}
	return d
}

// TempPaths names the standard files in a new short temporary directory,
// removed when the test ends together with the cgroup parent named after
// it, for a test that writes a config and runs the daemon itself.
func TempPaths(t TB) Paths {
	t.Helper()
	dir, err := ShortTempDir("sd")
	if err != nil {
		t.Fatalf("%v", err)
	}
	p := PathsIn(dir)
	t.Cleanup(func() {
		cgroup.RemoveAll(p.CgroupParent())
		os.RemoveAll(dir)
	})
	return p
}

// withCgroupParent adds cgroup_parent=parent to config's [supervisord]
// section when it names none.
func withCgroupParent(config, parent string) string {
	if strings.Contains(config, "\ncgroup_parent=") {
		return config
	}
	const section = "[supervisord]\n"
	i := strings.Index(config, section)
	if i < 0 || (i > 0 && config[i-1] != '\n') {
		return config
	}
	i += len(section)
	return config[:i] + "cgroup_parent=" + parent + "\n" + config[i:]
}

// WaitReady waits until the daemon's control socket answers an HTTP
// request (with any status: a socket that wants a password answers
// too).
func (d *Daemon) WaitReady(t TB) {
	t.Helper()
	var last error
	d.WaitFor(t, "the control socket at "+d.Paths.Socket+" to answer", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://localhost/", nil)
		resp, err := d.rpc.HTTP.Do(req)
		if err != nil {
			last = err
			return false
		}
		resp.Body.Close()
		return true
	}, func() string { return fmt.Sprint(last) })
}

// WaitFor polls cond every few milliseconds until it holds, failing t
// when timeout passes first.
func WaitFor(t TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

// WaitFor polls cond until it holds, failing t when the daemon exits or
// Timeout passes first. The failure shows the end of the main log and
// the daemon's output, and detail's text when given.
func (d *Daemon) WaitFor(t TB, what string, cond func() bool, detail ...func() string) {
	t.Helper()
	d.WaitUntil(t, what, Timeout, cond, detail...)
}

// WaitUntil is WaitFor with its own timeout, for what takes longer.
func (d *Daemon) WaitUntil(t TB, what string, timeout time.Duration, cond func() bool, detail ...func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		why := ""
		select {
		case <-d.done:
			if cond() {
				return
			}
			why = "the daemon exited"
		default:
			if time.Now().After(deadline) {
				why = fmt.Sprintf("timed out after %v", timeout)
			}
		}
		if why != "" {
			var extra string
			for _, f := range detail {
				extra += "\n" + f()
			}
			t.Fatalf("%s waiting for %s%s\nlog:\n%s\noutput:\n%s", why, what, extra, tail(d.Log()), tail(d.Output()))
		}
		<-tick.C
	}
}

// WaitLog waits until the main log contains sub at least n times.
func (d *Daemon) WaitLog(t TB, sub string, n int) {
	t.Helper()
	d.WaitFor(t, fmt.Sprintf("%d× %q in the main log", n, sub), func() bool {
		return strings.Count(d.Log(), sub) >= n
	})
}

// ProcessInfo is supervisor.getProcessInfo(name); it fails t on an error.
func (d *Daemon) ProcessInfo(t TB, name string) map[string]any {
	t.Helper()
	v, err := d.rpc.Call(context.Background(), "supervisor.getProcessInfo", name)
	if err != nil {
		t.Fatalf("getProcessInfo(%s): %v", name, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("getProcessInfo(%s) = %v", name, v)
	}
	return m
}

// WaitState waits until the process name (a namespec) is in state, as
// XML-RPC reports it, and returns its last getProcessInfo.
func (d *Daemon) WaitState(t TB, name, state string) map[string]any {
	t.Helper()
	var info map[string]any
	d.WaitFor(t, name+" "+state, func() bool {
		v, err := d.rpc.Call(context.Background(), "supervisor.getProcessInfo", name)
		info, _ = v.(map[string]any)
		return err == nil && info["statename"] == state
	}, func() string { return fmt.Sprintf("last getProcessInfo(%s): %v", name, info) })
	return info
}

// States returns every process's state name by "group:name".
func (d *Daemon) States(t TB) map[string]string {
	t.Helper()
	v, err := d.rpc.Call(context.Background(), "supervisor.getAllProcessInfo")
	if err != nil {
		t.Fatalf("getAllProcessInfo: %v", err)
	}
	out := map[string]string{}
	for _, x := range v.([]any) {
		m, _ := x.(map[string]any)
		g, _ := m["group"].(string)
		n, _ := m["name"].(string)
		s, _ := m["statename"].(string)
		out[g+":"+n] = s
	}
	return out
}

// WaitExit waits for the daemon to exit by itself and returns its exit
// status.
func (d *Daemon) WaitExit(t TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-d.done:
	case <-time.After(timeout):
		t.Fatalf("the daemon did not exit within %v; log:\n%s", timeout, tail(d.Log()))
	}
	return d.cmd.ProcessState.ExitCode()
}

// Signal sends sig to the daemon.
func (d *Daemon) Signal(t TB, sig syscall.Signal) {
	t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

// RPC is an XML-RPC client on the daemon's control socket.
func (d *Daemon) RPC() *Client { return d.rpc }

// HTTP is an HTTP client whose requests, to any http://localhost/ URL, go
// to the daemon's control socket.
func (d *Daemon) HTTP() *http.Client { return d.rpc.HTTP }

// tail is the end of a log, enough to see why a wait failed.
func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 60 {
		lines = append([]string{"..."}, lines[len(lines)-60:]...)
	}
	return strings.Join(lines, "\n")
}
