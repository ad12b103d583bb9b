//go:build linux

// Package harness runs supervisord daemons — the Python reference and
// ours — on generated configs, reads their main logs as sequences of
// process life-cycle events, and talks to them over XML-RPC. The
// differential tests and the benchmark driver are built on it, so that
// both daemons are always driven the same way.
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

	cmd  *exec.Cmd
	out  *os.File
	done chan struct{}

	mu      sync.Mutex // guards waitErr
	waitErr error
}

// Start writes config to p.Config and runs bin -n -c on it.
func Start(bin string, p Paths, config string) (*Daemon, error) {
	if err := os.WriteFile(p.Config, []byte(config), 0o644); err != nil {
		return nil, err
	}
	out, err := os.Create(p.Output)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-n", "-c", p.Config)
	cmd.Dir = p.Dir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	d := &Daemon{Bin: bin, Paths: p, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		// The daemon is gone: remove the cgroup parent the header gave
		// it, and anything a killed daemon left there.
		cgroup.RemoveAll(p.CgroupParent())
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
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-d.done:
		d.out.Close()
		return nil
	case <-t.C:
	}
	d.Kill()
	return fmt.Errorf("%s did not exit within %v of SIGTERM", d.Bin, timeout)
}

// Kill ends the daemon with SIGKILL and then every child it logged as
// spawned that is still the leader of its own process group (so a pid
// reused by an unrelated process is left alone).
func (d *Daemon) Kill() {
	_ = d.cmd.Process.Kill()
	<-d.done
	d.out.Close()
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

// Choose picks the reference and the daemon under test: $SUPERVISORD_BIN,
// else a build of ./cmd/supervisord into tmp. A failed build is reported in
// OursErr rather than replaced by anything, so that a broken tree cannot
// pass by comparing the reference with itself; set
// SUPERVISORD_BIN=/usr/bin/supervisord to do that on purpose.
func Choose(moduleDir, tmp string) Choice {
	var c Choice
	ref, err := Reference()
	if err != nil {
		c.RefMissing = err.Error()
	}
	c.Ref = ref
	if bin := os.Getenv(EnvBin); bin != "" {
		c.Ours = bin
		c.OursNote = "daemon under test: " + bin + " (from " + EnvBin + ")"
		return c
	}
	bin, err := BuildOurs(moduleDir, tmp)
	if err != nil {
		c.OursErr = fmt.Errorf("%w\n(set %s=%s to check the scenarios against the reference alone)", err, EnvBin, ReferenceBin)
		return c
	}
	c.Ours = bin
	c.OursNote = "daemon under test: fresh build of ./cmd/supervisord"
	return c
}
