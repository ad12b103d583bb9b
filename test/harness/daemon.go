//go:build linux

// Package harness runs supervisord daemons — the Python reference and
// ours — on generated configs, waits on them, reads their main logs as
// sequences of process life-cycle events, and talks to them over XML-RPC.
// Every test that runs a daemon (Launch) and the benchmark driver (Start)
// are built on it, so that daemons are always started, waited on and
// cleaned up after the same way.
package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"supervisord/internal/cgroup"
)

// Environment variables that choose the daemons.
const (
	// EnvBin names the daemon under test; unset means "build ours".
	EnvBin = "SUPERVISORD_BIN"
	// EnvReference overrides where the reference daemon is.
	EnvReference = "SUPERVISORD_REFERENCE"
	// EnvRequireReference makes a missing reference a failure, not a skip.
	EnvRequireReference = "SUPERVISORD_REQUIRE_REFERENCE"
)

// ReferenceBin is where Debian's supervisor package installs the daemon.
const ReferenceBin = "/usr/bin/supervisord"

// referencePython is the interpreter that has the supervisor module on
// Debian; the first python3 on PATH may be another one.
const referencePython = "/usr/bin/python3"

// Reference returns the path of the reference daemon, or an error saying
// why it cannot be used.
func Reference() (string, error) {
	bin := os.Getenv(EnvReference)
	if bin == "" {
		bin = ReferenceBin
	}
	if _, err := exec.LookPath(bin); err != nil {
		return "", fmt.Errorf("reference supervisord not found (%v); install Debian's supervisor package or set %s", err, EnvReference)
	}
	if os.Getenv(EnvReference) == "" {
		out, err := exec.Command(referencePython, "-c", "import supervisor").CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("reference supervisor module missing: %s %v", strings.TrimSpace(string(out)), err)
		}
	}
	return bin, nil
}

// RequireReference reports whether a missing reference must fail tests.
func RequireReference() bool { return os.Getenv(EnvRequireReference) == "1" }

// BuildOurs compiles ./cmd/supervisord of the module into dir and returns
// the binary's path. moduleDir is any directory inside the module.
func BuildOurs(moduleDir, dir string) (string, error) {
	out := filepath.Join(dir, "supervisord")
	cmd := exec.Command("go", "build", "-o", out, "supervisord/cmd/supervisord")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build supervisord/cmd/supervisord: %v\n%s", err, b)
	}
	return out, nil
}

// Paths are the files a generated config points at, all inside one
// directory.
type Paths struct {
	Dir    string
	Config string
	Log    string
	Socket string
	Pid    string
	Output string // the daemon's own stdout and stderr
}

// PathsIn names the standard files inside dir.
func PathsIn(dir string) Paths {
	return Paths{
		Dir:    dir,
		Config: filepath.Join(dir, "supervisord.conf"),
		Log:    filepath.Join(dir, "supervisord.log"),
		Socket: filepath.Join(dir, "s.sock"),
		Pid:    filepath.Join(dir, "supervisord.pid"),
		Output: filepath.Join(dir, "daemon.out"),
	}
}

// Header returns the sections every generated config starts with: a unix
// control socket, the main log at info level, and the RPC interface. extra
// lines are added to [supervisord].
func (p Paths) Header(extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[unix_http_server]\nfile=%s\n\n", p.Socket)
	fmt.Fprintf(&b, "[supervisord]\nlogfile=%s\npidfile=%s\nchildlogdir=%s\nloglevel=info\nnodaemon=true\n",
		p.Log, p.Pid, p.Dir)
	own := true
	for _, e := range extra {
		b.WriteString(e + "\n")
		own = own && !strings.HasPrefix(e, "cgroup_parent=")
	}
	if own {
		// Our daemon puts its programs' cgroups under a parent of the
		// test's own; the reference ignores the key.
		fmt.Fprintf(&b, "cgroup_parent=%s\n", p.CgroupParent())
	}
	b.WriteString("\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n")
	fmt.Fprintf(&b, "[supervisorctl]\nserverurl=unix://%s\n\n", p.Socket)
	return b.String()
}

// CgroupParent is the cgroup (in every hierarchy) under which a daemon
// on this directory's config keeps its programs' cgroups; it is removed
// once the daemon has exited.
func (p Paths) CgroupParent() string { return "/supervisord-test-" + filepath.Base(p.Dir) }

// ShortTempDir makes a directory whose path is short enough for a unix
// socket inside it (sun_path is 108 bytes).
func ShortTempDir(prefix string) (string, error) {
	return os.MkdirTemp("", prefix)
}

// Daemon is one running supervisord started by this package.
type Daemon struct {
	Bin   string
	Paths Paths

	cmd     *exec.Cmd
	out     *os.File // nil when the caller gave the output file
	group   bool     // signal the process group (the daemon runs under Wrap)
	rpc     *Client
	done    chan struct{}
	mu      sync.Mutex // guards waitErr
	waitErr error
}

// Start writes config to p.Config and runs bin -n -c on it.
// Once it has exited, the cgroup parent p names is removed.
func Start(bin string, p Paths, config string) (*Daemon, error) {
	return Spec{Bin: bin, Paths: p, Config: config}.start(true)
}

// start runs the daemon spec describes; removeCgroups removes its cgroup
// parent as soon as it has exited.
func (s Spec) start(removeCgroups bool) (*Daemon, error) {
	p := s.Paths
	if err := os.WriteFile(p.Config, []byte(s.Config), 0o644); err != nil {
		return nil, err
	}
	out := s.Stdout
	var own *os.File
	if out == nil {
		var err error
		if own, err = os.Create(p.Output); err != nil {
			return nil, err
		}
		out = own
	}
	args := s.Args
	if args == nil {
		args = []string{"-n", "-c", p.Config}
	}
	argv := append(append(append([]string{}, s.Wrap...), s.Bin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = p.Dir
	if s.Env != nil {
		cmd.Env = append(os.Environ(), s.Env...)
	}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		if own != nil {
			own.Close()
		}
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	d := &Daemon{Bin: s.Bin, Paths: p, cmd: cmd, out: own, group: len(s.Wrap) > 0,
		rpc: NewUnixClient(p.Socket, 10*time.Second), done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		if removeCgroups {
			// The daemon is gone: remove its cgroup parent, and
			// anything a killed daemon left there.
			cgroup.RemoveAll(p.CgroupParent())
		}
		d.mu.Lock()
		d.waitErr = err
		d.mu.Unlock()
		close(d.done)
	}()
	return d, nil
}

// Pid is the daemon's pid.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// Exited reports whether the daemon has exited, and how.
func (d *Daemon) Exited() (bool, error) {
	select {
	case <-d.done:
		d.mu.Lock()
		defer d.mu.Unlock()
		return true, d.waitErr
	default:
		return false, nil
	}
}

// Done is closed when the daemon has exited.
func (d *Daemon) Done() <-chan struct{} { return d.done }

// Log returns the main log's text so far.
func (d *Daemon) Log() string {
	b, _ := os.ReadFile(d.Paths.Log)
	return string(b)
}

// Output returns what the daemon wrote to its stdout and stderr.
func (d *Daemon) Output() string {
	b, _ := os.ReadFile(d.Paths.Output)
	return string(b)
}

// Events returns the life-cycle events logged so far.
func (d *Daemon) Events() []Event { return ParseLog(d.Log()) }

// ErrExited is returned by waits when the daemon exited first.
var ErrExited = errors.New("daemon exited")

// WaitEvents polls the main log until cond holds for its events, the
// daemon exits, or ctx ends. It returns the events it last saw.
func (d *Daemon) WaitEvents(ctx context.Context, cond func([]Event) bool) ([]Event, error) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		evs := d.Events()
		if cond(evs) {
			return evs, nil
		}
		select {
		case <-ctx.Done():
			return evs, ctx.Err()
		case <-d.done:
			evs = d.Events()
			if cond(evs) {
				return evs, nil
			}
			return evs, ErrExited
		case <-tick.C:
		}
	}
}

// Count returns how many events contain substr.
func Count(evs []Event, substr string) int {
	n := 0
	for _, e := range evs {
		if strings.Contains(e.Text, substr) {
			n++
		}
	}
	return n
}

// Stop sends SIGTERM and waits up to timeout for the daemon to exit. If it
// does not, the daemon and the process groups of its children are killed
// and an error is returned.
func (d *Daemon) Stop(timeout time.Duration) error {
	if ok, _ := d.Exited(); !ok {
		d.signal(syscall.SIGTERM)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-d.done:
		d.closeOutput()
		return nil
	case <-t.C:
	}
	d.Kill()
	return fmt.Errorf("%s did not exit within %v of SIGTERM", d.Bin, timeout)
}

// signal sends sig to the daemon, or to its process group when it runs
// under a wrapper.
func (d *Daemon) signal(sig syscall.Signal) {
	if d.group {
		_ = syscall.Kill(-d.cmd.Process.Pid, sig)
		return
	}
	_ = d.cmd.Process.Signal(sig)
}

func (d *Daemon) closeOutput() {
	if d.out != nil {
		d.out.Close()
	}
}

// Kill ends the daemon with SIGKILL and then every child it logged as
// spawned that is still the leader of its own process group (so a pid
// reused by an unrelated process is left alone).
func (d *Daemon) Kill() {
	d.signal(syscall.SIGKILL)
	<-d.done
	d.closeOutput()
	KillChildren(d.Log())
}

// KillChildren kills the process groups of the children named by a main
// log's "spawned:" lines that still lead their own group.
func KillChildren(logText string) {
	for _, pid := range SpawnedPids(logText) {
		if pgid, err := syscall.Getpgid(pid); err == nil && pgid == pid {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
}

// Alive reports whether pid names a live (not zombie) process.
func Alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	return s[i+2] != 'Z' && s[i+2] != 'X'
}

// Choice says which daemons a test run compares.
type Choice struct {
	Ref        string // the reference daemon
	RefMissing string // why the reference cannot be used; "" when it can
	Ours       string // the daemon under test; "" when OursErr is set
	OursErr    error  // why the daemon under test could not be built
	OursNote   string // how Ours was chosen, for the test log
}

// Choose picks the reference and the daemon under test (Ours). A failed
// build is reported in OursErr rather than replaced by anything, so that a
// broken tree cannot pass by comparing the reference with itself; set
// SUPERVISORD_BIN=/usr/bin/supervisord to do that on purpose.
func Choose() Choice {
	var c Choice
	ref, err := Reference()
	if err != nil {
		c.RefMissing = err.Error()
	}
	c.Ref = ref
	bin, err := Ours()
	if err != nil {
		c.OursErr = fmt.Errorf("%w\n(set %s=%s to check the scenarios against the reference alone)", err, EnvBin, ReferenceBin)
		return c
	}
	c.Ours = bin
	c.OursNote = "daemon under test: fresh build of ./cmd/supervisord"
	if os.Getenv(EnvBin) != "" {
		c.OursNote = "daemon under test: " + bin + " (from " + EnvBin + ")"
	}
	return c
}

// Need skips t (fails it when SUPERVISORD_REQUIRE_REFERENCE=1) when the
// reference cannot be used, and fails it when the daemon under test could
// not be built.
func (c Choice) Need(t interface {
	TB
	Skipf(format string, args ...any)
}) {
	t.Helper()
	if c.RefMissing != "" {
		if RequireReference() {
			t.Fatalf("%s=1 but %s", EnvRequireReference, c.RefMissing)
		}
		t.Skipf("skipping: %s", c.RefMissing)
	}
	if c.OursErr != nil {
		t.Fatalf("cannot build the daemon under test: %v", c.OursErr)
	}
}

// NeedReference returns the reference daemon, or skips t (fails it when
// SUPERVISORD_REQUIRE_REFERENCE=1) when it cannot be used.
func NeedReference(t interface {
	TB
	Skipf(format string, args ...any)
}) string {
	t.Helper()
	ref, err := Reference()
	if err != nil {
		if RequireReference() {
			t.Fatalf("%s=1 but %v", EnvRequireReference, err)
		}
		t.Skipf("%v", err)
	}
	return ref
}
