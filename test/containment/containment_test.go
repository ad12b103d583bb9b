// Package containment_test runs the built daemon with each program in a
// cgroup of its own and checks what the issue promised: limits hold, OOM
// kills are named, stops leave nothing behind, a killed daemon's
// programs are not run twice, and the whole tree is accounted for. Every
// test uses a cgroup parent of its own, removed afterwards (also on
// failure); tests skip only where cgroups cannot be created at all.
package containment_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"supervisord/test/harness"
)

var bin string

func TestMain(m *testing.M) { harness.Main(m, &bin) }

// v2mount is where the cgroup v2 hierarchy is mounted, "" without one.
func v2mount() string {
	for _, d := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		var st syscall.Statfs_t
		if syscall.Statfs(d, &st) == nil && st.Type == 0x63677270 {
			return d
		}
	}
	return ""
}

// env is one test's cgroup parent and daemon.
type env struct {
	t      *testing.T
	parent string
	paths  harness.Paths
	d      *harness.Daemon
	rpc    *harness.Client
}

// newEnv makes the test's cgroup parent and skips only where no cgroup
// can be made at all (not as root: CI must run these).
func newEnv(t *testing.T) *env {
	t.Helper()
	mnt := v2mount()
	if mnt == "" {
		if os.Getuid() == 0 {
			t.Fatal("no cgroup v2 hierarchy, as root")
		}
		t.Skip("no cgroup v2 hierarchy")
	}
	// The paths' cleanup removes the parent named after them.
	paths := harness.TempPaths(t)
	parent := paths.CgroupParent()
	if err := os.Mkdir(filepath.Join(mnt, parent), 0o755); err != nil {
		if os.Getuid() == 0 {
			t.Fatalf("cannot create a cgroup as root: %v", err)
		}
		t.Skipf("cgroups cannot be created here: %v", err)
	}
	return &env{t: t, parent: parent, paths: paths}
}

// start runs the daemon on programs and waits until it answers.
func (e *env) start(extra, programs string) {
	e.t.Helper()
	e.d = harness.Launch(e.t, harness.Spec{Bin: bin, Paths: e.paths, Config: e.paths.Header(extra) + programs})
	e.rpc = e.d.RPC()
}

// refused runs the daemon on a config it must refuse, and returns its
// output once it has exited with a failure.
func (e *env) refused(config string) string {
	e.t.Helper()
	d := harness.Launch(e.t, harness.Spec{Bin: bin, Paths: e.paths, Config: config, NoWait: true})
	if code := d.WaitExit(e.t, 20*time.Second); code == 0 {
		e.t.Errorf("the daemon exited with status 0; output:\n%s", d.Output())
	}
	return d.Output()
}

func (e *env) log() string { return e.d.Log() }

func (e *env) waitLog(sub string, n int) {
	e.t.Helper()
	e.d.WaitLog(e.t, sub, n)
}

func (e *env) waitFor(what string, timeout time.Duration, ok func() bool) {
	e.t.Helper()
	harness.WaitFor(e.t, what, timeout, ok)
}

func (e *env) info(name string) map[string]any {
	e.t.Helper()
	return e.d.ProcessInfo(e.t, name)
}

func (e *env) waitState(name, state string) map[string]any {
	e.t.Helper()
	return e.d.WaitState(e.t, name, state)
}

// dir is the program's cgroup in the v2 hierarchy (or, with hierarchy,
// in that v1 hierarchy).
func (e *env) dir(hierarchy, name string) string {
	e.t.Helper()
	root := v2mount()
	if hierarchy != "" {
		root = filepath.Join("/sys/fs/cgroup", hierarchy)
	}
	m, _ := filepath.Glob(filepath.Join(root, e.parent, "supervisord-*", name+":"+name))
	if len(m) != 1 {
		e.t.Fatalf("cgroup of %s in %s: %v", name, root, m)
	}
	return m[0]
}

func procsIn(dir string) []int {
	b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	var out []int
	for _, f := range strings.Fields(string(b)) {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out
}

func readKey(t *testing.T, file, key string) uint64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, _ := strconv.ParseUint(v, 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in %s:\n%s", key, file, b)
	return 0
}

func (e *env) client() *http.Client { return e.d.HTTP() }

// get fetches a page from the daemon's HTTP server.
func (e *env) get(path string) string {
	e.t.Helper()
	resp, err := e.client().Get("http://localhost" + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// metric reads one per-process series from /metrics (proc "" for a
// series of the daemon's own, without labels); ok is false when it is
// absent.
func (e *env) metric(name, proc string) (float64, bool) {
	e.t.Helper()
	resp, err := e.client().Get("http://localhost/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bufio.NewReader(resp.Body))
	if err != nil {
		e.t.Fatal(err)
	}
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.Metric {
		match := proc == "" && len(m.Label) == 0
		for _, l := range m.Label {
			match = match || l.GetName() == "name" && l.GetValue() == proc
		}
		if match {
			if m.Counter != nil {
				return m.Counter.GetValue(), true
			}
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}

// allocate is a python3 program that touches n MB and then sleeps.
func allocate(mb int) string {
	return fmt.Sprintf(`python3 -c "import time; b = bytearray(%d*1024*1024); b[::4096] = b'x' * len(range(0, len(b), 4096)); time.sleep(1000)"`, mb)
}

func TestOOMKillIsNamed(t *testing.T) {
	e := newEnv(t)
	e.start("", `[program:hog]
command=`+allocate(200)+`
memory_limit=32MB
startsecs=0
autorestart=false
`)
	e.waitLog("oom: 'hog' killed by the kernel OOM killer (memory_limit 32MB)", 1)
	e.waitLog("exited: hog (terminated by SIGKILL; not expected)", 1)
	info := e.waitState("hog", "EXITED")
	if n, ok := info["oom_kills"].(int); !ok || n < 1 {
		t.Errorf("oom_kills member = %#v, want >= 1; info %v", info["oom_kills"], info)
	}
	if v, ok := e.metric("supervisord_process_oom_kills_total", "hog"); !ok || v < 1 {
		t.Errorf("supervisord_process_oom_kills_total{name=hog} = %v (present %v), want >= 1", v, ok)
	}
}

// A child that the OOM killer takes is named while the program itself
// runs on: nothing exits, so only the kernel's notification tells.
func TestOOMKillOfAChildIsNamedWhileTheProgramRuns(t *testing.T) {
	e := newEnv(t)
	script := filepath.Join(e.paths.Dir, "parent.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"+allocate(200)+" &\nexec sleep 1000\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.start("", `[program:parent]
command=`+script+`
memory_limit=32MB
startsecs=0
`)
	e.waitLog("oom: 'parent' killed by the kernel OOM killer (memory_limit 32MB)", 1)
	info := e.waitState("parent", "RUNNING")
	if n, ok := info["oom_kills"].(int); !ok || n < 1 {
		t.Errorf("oom_kills member = %#v, want >= 1; info %v", info["oom_kills"], info)
	}
	if strings.Contains(e.log(), "exited: parent") {
		t.Errorf("the program exited:\n%s", e.log())
	}
}

func TestCPULimitHoldsABusyLoop(t *testing.T) {
	e := newEnv(t)
	e.start("", `[program:spin]
command=sh -c 'while :; do :; done'
cpu_limit=0.2
startsecs=0
`)
	e.waitState("spin", "RUNNING")
	stat := filepath.Join(e.dir("", "spin"), "cpu.stat")
	before, t0 := readKey(t, stat, "usage_usec"), time.Now()
	time.Sleep(3 * time.Second) // the measurement window itself
	after, t1 := readKey(t, stat, "usage_usec"), time.Now()
	share := float64(after-before) / 1e6 / t1.Sub(t0).Seconds()
	t.Logf("busy loop used %.1f%% of a CPU under cpu_limit=0.2", share*100)
	if share > 0.25 {
		t.Errorf("busy loop used %.1f%% of a CPU, want <= 25%%", share*100)
	}
	if share < 0.05 {
		t.Errorf("busy loop used %.1f%% of a CPU: not running?", share*100)
	}
}

// forkLoop forks 100 sleeping children, counting those the kernel allows,
// then reports and sleeps; it survives refused forks (a shell would exit).
const forkLoop = `python3 -c "exec('import os, time\nn = 0\nfor i in range(100):\n  try:\n    pid = os.fork()\n  except OSError:\n    continue\n  if pid == 0:\n    time.sleep(1000)\n    os._exit(0)\n  n += 1\nprint(\'forked\', n, flush=True)\ntime.sleep(1000)')"`

func TestPidsLimitStopsAForkLoop(t *testing.T) {
	e := newEnv(t)
	out := filepath.Join(e.paths.Dir, "forker.out")
	e.start("", `[program:forker]
command=`+forkLoop+`
pids_limit=20
startsecs=0
stdout_logfile=`+out+`
`)
	e.waitState("forker", "RUNNING")
	e.waitFor("the fork loop's report", 20*time.Second, func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "forked") && strings.HasSuffix(string(b), "\n")
	})
	b, _ := os.ReadFile(out)
	if got := strings.TrimSpace(string(b)); got != "forked 19" {
		t.Errorf("fork loop says %q, want \"forked 19\" (19 children and itself make 20)", got)
	}
	if n := len(procsIn(e.dir("", "forker"))); n != 20 {
		t.Errorf("%d processes in the cgroup, want 20", n)
	}
	// A reading is cached for half a second, and the one taken while
	// waiting for RUNNING may predate the forks: wait for a fresh one.
	tasks := e.info("forker")["tasks"]
	for deadline := time.Now().Add(5 * time.Second); tasks != 20 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		tasks = e.info("forker")["tasks"]
	}
	if tasks != 20 {
		t.Errorf("tasks member = %v, want 20", tasks)
	}
	if n := strings.Count(e.log(), "spawned: 'forker'"); n != 1 {
		t.Errorf("spawned %d times", n)
	}
}

func TestStopLeavesNothingBehind(t *testing.T) {
	e := newEnv(t)
	e.start("", `[program:esc]
command=sh -c 'setsid sleep 1000 & exec sleep 1000'
startsecs=0
`)
	e.waitState("esc", "RUNNING")
	dir := e.dir("", "esc")
	var pids []int
	e.waitFor("both sleeps in the cgroup", 10*time.Second, func() bool {
		pids = procsIn(dir)
		return len(pids) == 2
	})
	if _, err := e.rpc.Call(context.Background(), "supervisor.stopProcess", "esc", true); err != nil {
		t.Fatal(err)
	}
	if info := e.info("esc"); info["statename"] != "STOPPED" {
		t.Fatalf("state after stop = %v", info["statename"])
	}
	for _, pid := range pids {
		if harness.Alive(pid) {
			t.Errorf("pid %d (%s) outlived the stop", pid, cmdline(pid))
		}
	}
	if n := readKey(t, filepath.Join(dir, "cgroup.events"), "populated"); n != 0 {
		t.Errorf("cgroup still populated after STOPPED")
	}
}

func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.ReplaceAll(string(b), "\x00", " ")
}

// countSleeps counts live processes whose command line is "sleep arg".
func countSleeps(arg string) int {
	ents, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if strings.TrimSpace(cmdline(pid)) == "sleep "+arg && harness.Alive(pid) {
			n++
		}
	}
	return n
}

func TestDaemonKilledThenRestartedRunsEachProgramOnce(t *testing.T) {
	e := newEnv(t)
	base := 900000 + int(time.Now().UnixNano()%90000)*1
	var programs strings.Builder
	names := []string{"a", "b", "c"}
	for i, n := range names {
		fmt.Fprintf(&programs, "[program:%s]\ncommand=sh -c 'sleep %d & exec sleep %d'\nstartsecs=0\n\n", n, base+10*i, base+10*i+1)
	}
	e.start("", programs.String())
	for _, n := range names {
		e.waitState(n, "RUNNING")
	}
	e.waitFor("every tree complete", 10*time.Second, func() bool {
		for i := range names {
			if countSleeps(strconv.Itoa(base+10*i)) != 1 || countSleeps(strconv.Itoa(base+10*i+1)) != 1 {
				return false
			}
		}
		return true
	})
	old := e.d
	syscall.Kill(old.Pid(), syscall.SIGKILL)
	<-old.Done()
	for i := range names {
		if countSleeps(strconv.Itoa(base+10*i+1)) != 1 {
			t.Fatalf("program %s did not outlive the daemon's SIGKILL: nothing to prove", names[i])
		}
	}
	os.Remove(e.paths.Log)
	e.start("", programs.String())
	for _, n := range names {
		e.waitState(n, "RUNNING")
	}
	e.waitLog("by a previous daemon", len(names))
	e.waitFor("every new tree complete", 10*time.Second, func() bool {
		for i := range names {
			if countSleeps(strconv.Itoa(base+10*i)) < 1 {
				return false
			}
		}
		return true
	})
	for i, n := range names {
		for _, arg := range []int{base + 10*i, base + 10*i + 1} {
			if c := countSleeps(strconv.Itoa(arg)); c != 1 {
				t.Errorf("program %s: %d× sleep %d running, want exactly 1", n, c, arg)
			}
		}
	}
}

func TestTreeMemoryInMetrics(t *testing.T) {
	e := newEnv(t)
	e.start("", `[program:tree]
command=sh -c '`+strings.ReplaceAll(allocate(50), "'", `'"'"'`)+`; true'
startsecs=0
`)
	e.waitState("tree", "RUNNING")
	var v float64
	e.waitFor("tree memory >= 50MB in /metrics", 20*time.Second, func() bool {
		var ok bool
		v, ok = e.metric("supervisord_process_tree_memory_bytes", "tree")
		return ok && v >= 50<<20
	})
	if tasks, ok := e.metric("supervisord_process_tree_tasks", "tree"); !ok || tasks < 2 {
		t.Errorf("tree tasks = %v (present %v), want >= 2 (sh and python3)", tasks, ok)
	}
	// The readings came from background sweeps, which /metrics counts
	// and times.
	if n, ok := e.metric("supervisord_usage_sweeps_total", ""); !ok || n < 1 {
		t.Errorf("usage sweeps = %v (present %v), want >= 1", n, ok)
	}
	if d, ok := e.metric("supervisord_usage_sweep_seconds", ""); !ok || d <= 0 {
		t.Errorf("last usage sweep took %v s (present %v), want > 0", d, ok)
	}
	// The wrapper alone is small: the memory is its child's.
	info := e.info("tree")
	if rss, ok := e.metric("supervisord_process_resident_memory_bytes", "tree"); ok && rss >= 50<<20 {
		t.Errorf("the sh wrapper itself has %v resident bytes; the test proves nothing", rss)
	}
	t.Logf("tree memory %.1f MiB, info %v", v/(1<<20), info)
	// The status page's memory column shows the tree's, not the wrapper's.
	page := e.get("/")
	m := regexp.MustCompile(`(?s)data-spec="tree".*?c-mem">([0-9.]+) MiB<`).FindStringSubmatch(page)
	if m == nil {
		t.Errorf("the status page does not show the tree's memory:\n%s", page)
	} else if mib, _ := strconv.ParseFloat(m[1], 64); mib < 50 {
		t.Errorf("the status page shows %s MiB for the tree, want >= 50", m[1])
	}
	out, code := ctl(t, e, "status", "-l", "tree")
	if code != 0 || !strings.Contains(out, "tasks 2") || !strings.Contains(out, "memory ") {
		t.Errorf("status -l: exit %d\n%s", code, out)
	}
}

func ctl(t *testing.T, e *env, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"ctl", "-c", e.paths.Config}, args...)...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func TestMemoryRestartAbove(t *testing.T) {
	for _, mode := range []string{"auto", "off"} {
		t.Run("cgroups="+mode, func(t *testing.T) {
			e := newEnv(t)
			e.start("cgroups="+mode, `[program:fat]
command=`+allocate(60)+`
memory_restart_above=20MB
memory_restart_after=1
startsecs=0
`)
			e.waitLog("memory: restarting 'fat': its processes used", 1)
			e.waitLog("spawned: 'fat'", 2)
			if !strings.Contains(e.log(), "above memory_restart_above 20MB for 1s") {
				t.Errorf("log:\n%s", e.log())
			}
			if v, ok := e.metric("supervisord_process_memory_restarts_total", "fat"); !ok || v < 1 {
				t.Errorf("memory restarts metric = %v (present %v)", v, ok)
			}
		})
	}
}

func TestCgroupsOnWithUnusableParentRefusesToStart(t *testing.T) {
	e := newEnv(t)
	out := e.refused(e.paths.Header("cgroups=on", "cgroup_parent="+e.parent+"/cgroup.procs/x") + "[program:x]\ncommand=sleep 100\n")
	if !strings.Contains(out, "cgroups=on but cgroups cannot be used") {
		t.Errorf("output:\n%s", out)
	}
}

func TestLimitWithoutCgroupsIsAStartupError(t *testing.T) {
	e := newEnv(t)
	// Under auto, cgroups that cannot be made are no error, unless a
	// limit needs them.
	out := e.refused(e.paths.Header("cgroups=auto", "cgroup_parent="+e.parent+"/cgroup.procs/x") + "[program:x]\ncommand=sleep 100\nmemory_limit=64MB\n")
	if !strings.Contains(out, "supervisord.conf:") || !strings.Contains(out, "memory_limit is set but cannot be enforced") {
		t.Errorf("output:\n%s", out)
	}
}

func TestCgroupFailureIsASpawnError(t *testing.T) {
	e := newEnv(t)
	// The parent may hold the daemon's directory but nothing below it.
	if err := os.WriteFile(filepath.Join(v2mount(), e.parent, "cgroup.max.descendants"), []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	e.start("", `[program:nocg]
command=sleep 1000
startretries=1
`)
	info := e.waitState("nocg", "FATAL")
	if msg, _ := info["spawnerr"].(string); !strings.Contains(msg, "cannot create cgroup") {
		t.Errorf("spawnerr = %q", msg)
	}
	e.waitLog("gave up: nocg entered FATAL state", 1)
	if v, err := e.rpc.Call(context.Background(), "supervisor.getState"); err != nil {
		t.Errorf("daemon not answering: %v", err)
	} else if s := v.(map[string]any)["statename"]; s != "RUNNING" {
		t.Errorf("daemon state %v", s)
	}
}

func TestPdeathsigWithoutCgroups(t *testing.T) {
	e := newEnv(t)
	e.start("cgroups=off", `[program:tied]
command=sleep 1000
pdeathsig=KILL
startsecs=0

[program:free]
command=sleep 1000
startsecs=0

[program:churn]
command=sh -c 'exit 0'
directory=/tmp
startsecs=0
autorestart=true
`)
	tied := e.waitState("tied", "RUNNING")["pid"].(int)
	free := e.waitState("free", "RUNNING")["pid"].(int)
	t.Cleanup(func() { syscall.Kill(free, syscall.SIGKILL) })
	// Spawns on threads that end afterwards (directory= forks on a
	// thread of its own) must not reach the tied child.
	e.waitLog("spawned: 'churn'", 5)
	if !harness.Alive(tied) {
		t.Fatal("the tied child died while the daemon lives")
	}
	syscall.Kill(e.d.Pid(), syscall.SIGKILL)
	<-e.d.Done()
	e.waitFor("the tied child to die with the daemon", 10*time.Second, func() bool { return !harness.Alive(tied) })
	if !harness.Alive(free) {
		t.Error("the child without pdeathsig died too: the test proves nothing")
	}
}

// During a shutdown, a program's cgroup is removed as soon as its process
// has exited, not after the last program is gone. Both programs are in one
// group, which a shutdown stops at once (groups go one after another).
func TestShutdownRemovesEachCgroupAsItsProcessExits(t *testing.T) {
	e := newEnv(t)
	e.start("", `[program:quick]
command=sleep 1000
startsecs=0

[program:slow]
command=sh -c "trap '' TERM; exec sleep 1000"
startsecs=0
stopwaitsecs=60

[group:g]
programs=quick,slow
`)
	e.waitState("g:quick", "RUNNING")
	slowPid := e.waitState("g:slow", "RUNNING")["pid"].(int)
	groupDirs := func(name string) []string {
		var dirs []string
		for _, root := range []string{v2mount(), "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/cpu"} {
			d, _ := filepath.Glob(filepath.Join(root, e.parent, "supervisord-*", "g:"+name))
			dirs = append(dirs, d...)
		}
		return dirs
	}
	quickDirs, slowDirs := groupDirs("quick"), groupDirs("slow")
	if len(quickDirs) == 0 || len(slowDirs) == 0 {
		t.Fatalf("cgroups of quick %v and slow %v", quickDirs, slowDirs)
	}

	e.d.Signal(t, syscall.SIGTERM)
	// slow ignores SIGTERM and has a minute before its SIGKILL: quick's
	// groups must go while slow is still being waited for.
	e.waitFor("quick's cgroups removed", 20*time.Second, func() bool {
		for _, d := range quickDirs {
			if _, err := os.Stat(d); err == nil {
				return false
			}
		}
		return true
	})
	if !harness.Alive(slowPid) {
		t.Fatal("slow is gone already: the order was not tested")
	}
	for _, d := range slowDirs {
		if _, err := os.Stat(d); err != nil {
			t.Fatalf("slow's cgroup went before slow: %v", err)
		}
	}
	syscall.Kill(slowPid, syscall.SIGKILL)
	if code := e.d.WaitExit(t, 20*time.Second); code != 0 {
		t.Fatalf("the daemon exited with %d", code)
	}
	for _, d := range slowDirs {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%s outlived the daemon", d)
		}
	}
}

// A start of many programs makes their cgroups ahead of the forks; each
// process must still land in its own cgroup, with its limit.
func TestManyProgramsEachInItsOwnLimitedCgroup(t *testing.T) {
	e := newEnv(t)
	const n = 12 // above the count that makes the start prepare ahead
	e.start("", fmt.Sprintf(`[program:many]
command=sleep 1000
process_name=m%%(process_num)02d
numprocs=%d
startsecs=0
memory_limit=48MB
`, n))
	for i := range n {
		name := fmt.Sprintf("m%02d", i)
		pid := e.waitState("many:"+name, "RUNNING")["pid"].(int)
		m, _ := filepath.Glob(filepath.Join(v2mount(), e.parent, "supervisord-*", "many:"+name))
		if len(m) != 1 {
			t.Fatalf("cgroup of %s: %v", name, m)
		}
		if got := procsIn(m[0]); len(got) != 1 || got[0] != pid {
			t.Errorf("%s (pid %d): its cgroup holds %v", name, pid, got)
		}
		limit := filepath.Join(m[0], "memory.max")
		if _, err := os.Stat(limit); err != nil { // memory is a v1 controller here
			v1, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/memory", e.parent, "supervisord-*", "many:"+name))
			if len(v1) != 1 {
				t.Fatalf("v1 memory cgroup of %s: %v", name, v1)
			}
			if got := procsIn(v1[0]); len(got) != 1 || got[0] != pid {
				t.Errorf("%s (pid %d): its v1 memory cgroup holds %v", name, pid, got)
			}
			limit = filepath.Join(v1[0], "memory.limit_in_bytes")
		}
		b, err := os.ReadFile(limit)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(b)); got != strconv.Itoa(48<<20) {
			t.Errorf("%s: %s = %s, want %d", name, filepath.Base(limit), got, 48<<20)
		}
	}
}
