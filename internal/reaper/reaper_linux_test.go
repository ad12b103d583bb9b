package reaper

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the child processes: with REAPER_HELPER set it
// runs one of the helpers below instead of the tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("REAPER_HELPER"); mode != "" {
		arg := os.Getenv("REAPER_ARG")
		// Descendants must not inherit the helper role.
		os.Unsetenv("REAPER_HELPER")
		os.Unsetenv("REAPER_ARG")
		os.Exit(helper(mode, arg))
	}
	os.Exit(m.Run())
}

func helper(mode, arg string) int {
	code, _ := strconv.Atoi(arg)
	switch mode {
	case "exit":
		return code
	case "block": // until stdin reaches EOF
		io.Copy(io.Discard, os.Stdin)
		return code
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		return code
	case "double-fork":
		// Start a grandchild that outlives us: it reads a pipe whose only
		// writer is this process, so it exits once we are gone.
		var p [2]int
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
			fmt.Println("pipe:", err)
			return 1
		}
		gpid, err := forkHelper("block", "7", uintptr(p[0]), 2)
		if err != nil {
			fmt.Println("fork:", err)
			return 1
		}
		fmt.Println(gpid)
		return 0
	case "orphans":
		return orphanScenario(arg == "subreaper")
	}
	fmt.Fprintln(os.Stderr, "unknown helper", mode)
	return 2
}

// forkHelper starts the test binary as a helper with the given stdin and
// stdout descriptors (stderr is ours). Nobody waits for it but Reap.
func forkHelper(mode, arg string, stdin, stdout uintptr) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	return syscall.ForkExec(exe, []string{exe}, &syscall.ProcAttr{
		Env:   helperEnv(mode, arg),
		Files: []uintptr{stdin, stdout, 2},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
}

// helperEnv is our environment with the helper role set to mode.
func helperEnv(mode, arg string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REAPER_HELPER=") && !strings.HasPrefix(kv, "REAPER_ARG=") {
			env = append(env, kv)
		}
	}
	return append(env, "REAPER_HELPER="+mode, "REAPER_ARG="+arg)
}

// orphanScenario runs in a helper process that is either a subreaper or
// PID 1 of a new pid namespace: it starts a child that double-forks and
// exits, then reaps both the child and the reparented grandchild, and
// prints what it saw.
func orphanScenario(subreaper bool) int {
	if subreaper {
		if err := SetSubreaper(); err != nil {
			fmt.Println(err)
			return 1
		}
	} else if !IsPID1() {
		fmt.Println("not pid 1")
		return 1
	}
	sigchld := make(chan os.Signal, 1)
	Notify(sigchld)
	defer Stop(sigchld)

	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		fmt.Println(err)
		return 1
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	pid, err := forkHelper("double-fork", "", devnull.Fd(), uintptr(p[1]))
	syscall.Close(p[1])
	if err != nil {
		fmt.Println(err)
		return 1
	}
	line, err := bufio.NewReader(os.NewFile(uintptr(p[0]), "child")).ReadString('\n')
	gpid, convErr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || convErr != nil {
		fmt.Printf("reading grandchild pid: %q %v\n", line, err)
		return 1
	}

	exits, err := collect(sigchld, []int{pid, gpid}, 10*time.Second)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	_, child := Describe(exits[pid].Status)
	_, grandchild := Describe(exits[gpid].Status)
	fmt.Printf("child: %s; grandchild: %s; zombies: %d\n", child, grandchild, countZombies())
	return 0
}

// collect reaps until every pid in want has been seen, waking on SIGCHLD.
func collect(sigchld <-chan os.Signal, want []int, limit time.Duration) (map[int]Exit, error) {
	got := make(map[int]Exit)
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		for _, e := range Reap() {
			got[e.Pid] = e
		}
		missing := 0
		for _, pid := range want {
			if _, ok := got[pid]; !ok {
				missing++
			}
		}
		if missing == 0 {
			return got, nil
		}
		select {
		case <-sigchld:
		case <-deadline.C:
			return got, fmt.Errorf("reaped %v, still waiting for some of %v", got, want)
		}
	}
}

// countZombies counts processes in state Z visible in /proc.
func countZombies() int {
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The state follows the parenthesised command name.
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) && s[i+2] == 'Z' {
			n++
		}
	}
	return n
}

func devNull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestReapDecodesRealExits(t *testing.T) {
	sigchld := make(chan os.Signal, 1)
	Notify(sigchld)
	defer Stop(sigchld)
	Reap() // children of earlier tests, if any

	null := devNull(t)
	want := map[int]string{}
	for _, code := range []string{"0", "1", "3", "255"} {
		pid, err := forkHelper("exit", code, null.Fd(), 2)
		if err != nil {
			t.Fatal(err)
		}
		want[pid] = "exit status " + code
	}

	// Children killed by signals: one blocked on a pipe we hold, killed
	// with SIGKILL; one that ignores SIGTERM, so SIGTERM does nothing and
	// SIGKILL ends it; a shell that kills itself with SIGSEGV.
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(p[1])
	blocked, err := forkHelper("block", "0", uintptr(p[0]), 2)
	if err != nil {
		t.Fatal(err)
	}
	want[blocked] = "terminated by SIGKILL"

	var q [2]int
	if err := syscall.Pipe2(q[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	out := os.NewFile(uintptr(q[0]), "stdout")
	defer out.Close()
	stubborn, err := forkHelper("ignore-term", "0", uintptr(p[0]), uintptr(q[1]))
	syscall.Close(q[1])
	syscall.Close(p[0])
	if err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	want[stubborn] = "terminated by SIGKILL"

	segv, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", "ulimit -c 0; kill -SEGV $$"}, &syscall.ProcAttr{
		Files: []uintptr{null.Fd(), 1, 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	want[segv] = "terminated by SIGSEGV"

	if err := Kill(stubborn, syscall.SIGTERM, false); err != nil {
		t.Fatal(err)
	}
	if err := Kill(blocked, syscall.SIGKILL, true); err != nil {
		t.Fatal(err)
	}
	// The SIGTERM was ignored: the helper is still there to be killed.
	if err := Kill(stubborn, syscall.SIGKILL, false); err != nil {
		t.Fatal(err)
	}

	var pids []int
	for pid := range want {
		pids = append(pids, pid)
	}
	got, err := collect(sigchld, pids, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for pid, text := range want {
		code, gotText := Describe(got[pid].Status)
		if gotText != text {
			t.Errorf("pid %d: %q, want %q", pid, gotText, text)
		}
		if strings.HasPrefix(text, "terminated") && code != -1 {
			t.Errorf("pid %d: code %d, want -1", pid, code)
		}
	}
	if len(Reap()) != 0 {
		t.Error("Reap found more children after all were collected")
	}
}

func TestReapWithoutChildren(t *testing.T) {
	Reap()
	if exits := Reap(); exits != nil {
		t.Fatalf("Reap() = %v, want nil", exits)
	}
}

func TestKillErrors(t *testing.T) {
	for _, pid := range []int{0, -1} {
		if err := Kill(pid, syscall.SIGTERM, false); err == nil {
			t.Errorf("Kill(%d) succeeded", pid)
		}
	}
	// A pid that has been reaped no longer exists.
	null := devNull(t)
	pid, err := forkHelper("exit", "0", null.Fd(), 2)
	if err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	for _, group := range []bool{false, true} {
		err := Kill(pid, syscall.SIGTERM, group)
		if !errors.Is(err, ErrNoProcess) {
			t.Errorf("Kill(gone, group=%v) = %v, want ErrNoProcess", group, err)
		}
	}
}

// runScenario runs the orphan scenario in a fresh helper process (so that
// this test process is not made a subreaper) and returns its output.
func runScenario(t *testing.T, prefix []string, kind string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, prefix...), exe, "-test.run=^$")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = helperEnv("orphans", kind)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestSubreaperReapsReparentedGrandchild(t *testing.T) {
	got := runScenario(t, nil, "subreaper")
	want := "child: exit status 0; grandchild: exit status 7; zombies: "
	if !strings.HasPrefix(got, want) {
		t.Fatalf("got %q, want prefix %q", got, want)
	}
}

func TestPID1ReapsOrphansInPidNamespace(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("skipping: unshare(1) is not installed")
	}
	if out, err := exec.Command(unshare, "--pid", "--fork", "--mount-proc", "true").CombinedOutput(); err != nil {
		t.Skipf("skipping: unshare --pid is not permitted here: %v %s", err, out)
	}
	got := runScenario(t, []string{unshare, "--pid", "--fork", "--mount-proc"}, "pid1")
	// Only the helper itself is left in the namespace, and it is no zombie.
	want := "child: exit status 0; grandchild: exit status 7; zombies: 0\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestIsPID1(t *testing.T) {
	if IsPID1() != (os.Getpid() == 1) {
		t.Fatal("IsPID1 disagrees with getpid")
	}
}
