package spawn

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/internal/reaper"
)

const waitLimit = 20 * time.Second

// helperSpec starts the test binary as the named helper.
func helperSpec(t *testing.T, args ...string) Spec {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Spec{
		Argv:    append([]string{exe}, args...),
		Path:    exe,
		Env:     []string{"SPAWN_HELPER=1"},
		Umask:   -1,
		Setpgid: true,
	}
}

// proc is a started child under test; cleanup kills and collects it.
type proc struct {
	*Child
	t      *testing.T
	waited bool
}

func start(t *testing.T, spec Spec) *proc {
	t.Helper()
	return startWith(t, spec, Start)
}

// startDirect starts a child forked from the daemon's own table, as Start
// does where it has no spawner.
func startDirect(t *testing.T, spec Spec) *proc {
	t.Helper()
	return startWith(t, spec, func(spec Spec) (*Child, error) { return startHere(spec.Path, spec, spec.Cred) })
}

// startSpawner starts a child forked by the spawner, as Start does when
// the daemon's table is large.
func startSpawner(t *testing.T, spec Spec) *proc {
	t.Helper()
	sp := theSpawner()
	if sp == nil {
		t.Fatal("no spawner")
	}
	return startWith(t, spec, func(spec Spec) (*Child, error) { return sp.start(spec.Path, spec) })
}

func startWith(t *testing.T, spec Spec, startFn func(Spec) (*Child, error)) *proc {
	t.Helper()
	c, err := startFn(spec)
	if err != nil {
		t.Fatalf("Start(%q): %v", spec.Argv, err)
	}
	p := &proc{Child: c, t: t}
	t.Cleanup(func() {
		for _, f := range []*os.File{c.Stdin, c.Stdout, c.Stderr} {
			if f != nil {
				f.Close()
			}
		}
		if !p.waited {
			syscall.Kill(c.Pid, syscall.SIGKILL)
			p.wait()
		}
	})
	return p
}

// wait collects the child (only this pid: other tests' children are not
// ours to take), failing the test if it does not exit in time.
func (p *proc) wait() syscall.WaitStatus {
	p.t.Helper()
	type result struct {
		ws  syscall.WaitStatus
		err error
	}
	done := make(chan result, 1)
	go func() {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(p.Pid, &ws, 0, nil)
		for err == syscall.EINTR {
			_, err = syscall.Wait4(p.Pid, &ws, 0, nil)
		}
		done <- result{ws, err}
	}()
	select {
	case r := <-done:
		p.waited = true
		if r.err != nil {
			p.t.Fatalf("wait4(%d): %v", p.Pid, r.err)
		}
		return r.ws
	case <-time.After(waitLimit):
		syscall.Kill(p.Pid, syscall.SIGKILL)
		<-done
		p.waited = true
		p.t.Fatalf("pid %d did not exit within %v", p.Pid, waitLimit)
		return 0
	}
}

func (p *proc) exitCode() int {
	p.t.Helper()
	ws := p.wait()
	if !ws.Exited() {
		p.t.Fatalf("pid %d: %v, want a normal exit", p.Pid, ws)
	}
	return ws.ExitStatus()
}

// readAll reads f to EOF within the time limit.
func readAll(t *testing.T, f *os.File) string {
	t.Helper()
	f.SetReadDeadline(time.Now().Add(waitLimit))
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("reading %s: %v (so far %q)", f.Name(), err, b)
	}
	return string(b)
}

func readInfo(t *testing.T, p *proc) childInfo {
	t.Helper()
	out := readAll(t, p.Stdout)
	var info childInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("helper output %q: %v", out, err)
	}
	if code := p.exitCode(); code != 0 {
		t.Fatalf("info helper exited %d", code)
	}
	return info
}

func TestStartArgvEnvDirUmask(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ourCwd, _ := os.Getwd()
	ourUmask := umaskOf("self")

	spec := helperSpec(t, "info", "two words", "")
	spec.Env = append(spec.Env, "FOO=bar baz", "EMPTY=")
	spec.Dir = dir
	spec.Umask = 0o027
	p := start(t, spec)
	info := readInfo(t, p)

	if want := []string{"info", "two words", ""}; !reflect.DeepEqual(info.Args, want) {
		t.Errorf("args %q, want %q", info.Args, want)
	}
	if want := []string{"SPAWN_HELPER=1", "FOO=bar baz", "EMPTY="}; !reflect.DeepEqual(info.Env, want) {
		t.Errorf("env %q, want %q", info.Env, want)
	}
	if real, _ := filepath.EvalSymlinks(dir); info.Cwd != real && info.Cwd != dir {
		t.Errorf("cwd %q, want %q", info.Cwd, dir)
	}
	if info.Umask != 0o027 {
		t.Errorf("umask %#o, want 027", info.Umask)
	}
	if info.Pgid != info.Pid || info.Pid != p.Pid {
		t.Errorf("pid %d pgid %d, want both %d", info.Pid, info.Pgid, p.Pid)
	}
	// The daemon's own directory and umask are untouched.
	if cwd, _ := os.Getwd(); cwd != ourCwd {
		t.Errorf("our cwd changed to %q", cwd)
	}
	if u := umaskOf("self"); u != ourUmask {
		t.Errorf("our umask changed to %#o from %#o", u, ourUmask)
	}
}

func TestStartDefaults(t *testing.T) {
	t.Parallel()
	// No directory, umask or user: the child inherits ours; no setpgid
	// leaves it in our process group.
	spec := helperSpec(t, "info")
	spec.Setpgid = false
	p := start(t, spec)
	if p.Stdin != nil {
		t.Error("Stdin pipe made without Spec.Stdin")
	}
	info := readInfo(t, p)
	cwd, _ := os.Getwd()
	if info.Cwd != cwd {
		t.Errorf("cwd %q, want %q", info.Cwd, cwd)
	}
	if want := umaskOf("self"); info.Umask != want {
		t.Errorf("umask %#o, want %#o", info.Umask, want)
	}
	if info.Pgid != syscall.Getpgrp() {
		t.Errorf("pgid %d, want ours %d", info.Pgid, syscall.Getpgrp())
	}
}

func TestStdoutAndStderrPipes(t *testing.T) {
	t.Parallel()
	p := start(t, helperSpec(t, "echo"))
	if p.Stderr == nil {
		t.Fatal("no stderr pipe")
	}
	if got := readAll(t, p.Stdout); got != "to stdout\n" {
		t.Errorf("stdout %q", got)
	}
	if got := readAll(t, p.Stderr); got != "to stderr\n" {
		t.Errorf("stderr %q", got)
	}
	if code := p.exitCode(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestRedirectStderr(t *testing.T) {
	t.Parallel()
	spec := helperSpec(t, "echo")
	spec.RedirectStderr = true
	p := start(t, spec)
	if p.Stderr != nil {
		t.Fatal("stderr pipe made despite RedirectStderr")
	}
	if got := readAll(t, p.Stdout); got != "to stdout\nto stderr\n" {
		t.Errorf("stdout %q", got)
	}
	p.exitCode()
}

// TestDiscardedStreams: a discarded stream is the shared /dev/null in the
// child, and the daemon gets no pipe for it.
func TestDiscardedStreams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                             string
		discardOut, discardErr, redirect bool
		wantOut, wantErr                 string // "pipe" or /dev/null
		wantStdoutFile, wantStderrFile   bool
	}{
		{"stdout", true, false, false, os.DevNull, "pipe", false, true},
		{"stderr", false, true, false, "pipe", os.DevNull, true, false},
		{"both", true, true, false, os.DevNull, os.DevNull, false, false},
		{"redirected", true, false, true, os.DevNull, os.DevNull, false, false},
		{"redirected, stdout read", false, true, true, "pipe", "pipe", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := helperSpec(t, "block")
			spec.Stdin = true
			spec.DiscardStdout, spec.DiscardStderr, spec.RedirectStderr = tc.discardOut, tc.discardErr, tc.redirect
			p := start(t, spec)
			if (p.Stdout != nil) != tc.wantStdoutFile || (p.Stderr != nil) != tc.wantStderrFile {
				t.Errorf("parent ends: stdout %v stderr %v", p.Stdout != nil, p.Stderr != nil)
			}
			for fd, want := range []string{"", tc.wantOut, tc.wantErr} {
				if fd == 0 {
					continue
				}
				got, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", p.Pid, fd))
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasPrefix(got, "pipe:") {
					got = "pipe"
				}
				if got != want {
					t.Errorf("fd %d is %s, want %s", fd, got, want)
				}
			}
			p.Stdin.Close()
			if code := p.exitCode(); code != 0 {
				t.Errorf("exit %d", code)
			}
		})
	}
}

func TestStdinPipe(t *testing.T) {
	t.Parallel()
	spec := helperSpec(t, "cat")
	spec.Stdin = true
	p := start(t, spec)
	if _, err := p.Stdin.Write([]byte("hello\nworld\n")); err != nil {
		t.Fatal(err)
	}
	p.Stdin.Close()
	if got := readAll(t, p.Stdout); got != "hello\nworld\n" {
		t.Errorf("echoed %q", got)
	}
	p.exitCode()

	// Without a stdin pipe, stdin is /dev/null: cat ends at once.
	q := start(t, helperSpec(t, "cat"))
	if got := readAll(t, q.Stdout); got != "" {
		t.Errorf("cat of /dev/null printed %q", got)
	}
	q.exitCode()
}

func TestExitStatus(t *testing.T) {
	t.Parallel()
	p := start(t, helperSpec(t, "exit", "3"))
	if code := p.exitCode(); code != 3 {
		t.Errorf("exit %d, want 3", code)
	}
}

// openFds lists a live process's descriptors with what they point to.
func openFds(t *testing.T, pid int) map[int]string {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fds := make(map[int]string)
	for _, e := range entries {
		fd, _ := strconv.Atoi(e.Name())
		fds[fd], _ = os.Readlink(filepath.Join(dir, e.Name()))
	}
	return fds
}

// waitReady reads the helper's "ready" line: past that point the runtime
// (and any dynamic loader) has finished opening and closing its own files.
func waitReady(t *testing.T, p *proc) {
	t.Helper()
	p.Stdout.SetReadDeadline(time.Now().Add(waitLimit))
	buf := make([]byte, len("ready\n"))
	if _, err := io.ReadFull(p.Stdout, buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("helper said %q: %v", buf, err)
	}
}

// checkOnlyStdio starts a blocking helper and checks it has fds 0-2 only.
func checkOnlyStdio(t *testing.T, spec Spec) {
	t.Helper()
	checkOnlyStdioWith(t, spec, start)
}

func checkOnlyStdioWith(t *testing.T, spec Spec, start func(*testing.T, Spec) *proc) {
	t.Helper()
	spec.Stdin = true
	// The Go runtime in the child keeps cgroup files open for its own
	// use unless told not to look at cgroups.
	spec.Env = append(spec.Env, "GODEBUG=containermaxprocs=0,updatemaxprocs=0")
	p := start(t, spec)
	waitReady(t, p)
	fds := openFds(t, p.Pid)
	p.Stdin.Close()
	if code := p.exitCode(); code != 0 {
		t.Fatalf("block helper exited %d", code)
	}
	for fd, target := range fds {
		if fd > 2 {
			t.Errorf("descriptor %d (%s) leaked into the child", fd, target)
		}
	}
	for fd := 0; fd <= 2; fd++ {
		if _, ok := fds[fd]; !ok {
			t.Errorf("child lacks descriptor %d", fd)
		}
	}
}

func TestNoDescriptorLeaks(t *testing.T) {
	// A descriptor without close-on-exec, as one inherited from whoever
	// started us would be, reaches the child until it is marked.
	fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	leaks := func(start func(*testing.T, Spec) *proc) bool {
		spec := helperSpec(t, "ready-block")
		spec.Stdin = true
		p := start(t, spec)
		waitReady(t, p)
		leaked := openFds(t, p.Pid)[fd]
		p.Stdin.Close()
		p.exitCode()
		return leaked != ""
	}
	// The spawner's table never had it.
	if leaks(startSpawner) {
		t.Errorf("descriptor %d without close-on-exec reached a child of the spawner", fd)
	}
	if !leaks(startDirect) {
		t.Fatalf("descriptor %d without close-on-exec did not reach a child forked from the daemon's table", fd)
	}
	if err := CloseOnExecInherited(); err != nil {
		t.Fatal(err)
	}

	// Some descriptors of our own, as the daemon has (log files, sockets).
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	t.Run("plain", func(t *testing.T) { checkOnlyStdio(t, helperSpec(t, "ready-block")) })
	t.Run("plain, from the spawner", func(t *testing.T) {
		checkOnlyStdioWith(t, helperSpec(t, "ready-block"), startSpawner)
	})
	t.Run("dir and umask", func(t *testing.T) {
		spec := helperSpec(t, "ready-block")
		spec.Dir = "/"
		spec.Umask = 0o22
		checkOnlyStdio(t, spec)
	})
}

func TestGroupKillReachesGrandchild(t *testing.T) {
	t.Parallel()
	spec := helperSpec(t, "grandchild")
	spec.Stdin = true
	p := start(t, spec)
	line, err := bufio.NewReader(p.Stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	gpid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("helper printed %q", line)
	}
	if err := reaper.Kill(p.Pid, syscall.SIGKILL, true); err != nil {
		t.Fatal(err)
	}
	ws := p.wait()
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("child: %v, want killed by SIGKILL", ws)
	}
	// The grandchild holds the stdout pipe too: EOF means it is gone.
	if rest := readAll(t, p.Stdout); rest != "" {
		t.Errorf("unexpected output %q", rest)
	}
	// It has closed its files, so it is exiting; its new parent reaps it.
	// Wait until /proc shows it dead (a zombie) or gone.
	deadline := time.Now().Add(waitLimit)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(gpid) + "/stat")
		if err != nil {
			break
		}
		s := string(b)
		if state := s[strings.LastIndexByte(s, ')')+2]; state == 'Z' || state == 'X' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still alive: %s", gpid, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFd0Socket(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.UnixListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	spec := helperSpec(t, "fd0")
	spec.Fd0 = f
	spec.Stdin = true // ignored: the socket is stdin
	p := start(t, spec)
	if p.Stdin != nil {
		t.Error("stdin pipe made although Fd0 is set")
	}
	if got := readAll(t, p.Stdout); got != "listening=1 nonblock=false\n" {
		t.Errorf("child saw fd 0 as %q", got)
	}
	if code := p.exitCode(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestStartResolvesFromEnvPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exe, _ := os.Executable()
	if err := os.Symlink(exe, filepath.Join(dir, "helper-bin")); err != nil {
		t.Fatal(err)
	}
	spec := Spec{Argv: []string{"helper-bin", "exit", "5"}, Env: []string{"SPAWN_HELPER=1", "PATH=/nonexistent:" + dir}, Umask: -1}
	p := start(t, spec)
	if code := p.exitCode(); code != 5 {
		t.Errorf("exit %d, want 5", code)
	}

	spec.Argv[0] = "no-such-helper"
	_, err := Start(spec)
	var fe interface{ FaultString() string }
	if !errors.As(err, &fe) || fe.FaultString() != "NO_FILE: can't find command 'no-such-helper'" {
		t.Errorf("missing command: %v", err)
	}
}

func TestChildErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("\x00\x01\x02 not a program\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")

	tests := []struct {
		name  string
		spec  Spec
		stage string
		msg   string
	}{
		{"bad chdir", Spec{Argv: []string{"true"}, Path: "/bin/true", Dir: "/nope", Umask: -1},
			StageChdir, "couldn't chdir to /nope: ENOENT"},
		{"chdir to a file", Spec{Argv: []string{"true"}, Path: "/bin/true", Dir: plain, Umask: -1},
			StageChdir, "couldn't chdir to " + plain + ": ENOTDIR"},
		{"exec format", Spec{Argv: []string{"garbage", "x"}, Path: garbage, Umask: -1},
			StageExec, "couldn't exec garbage: ENOEXEC"},
		{"exec format after chdir", Spec{Argv: []string{"./garbage"}, Path: "./garbage", Dir: dir, Umask: 0o22},
			StageExec, "couldn't exec ./garbage: ENOEXEC"},
		{"exec not executable", Spec{Argv: []string{plain}, Path: plain, Umask: -1},
			StageExec, "couldn't exec " + plain + ": EACCES"},
		{"exec vanished", Spec{Argv: []string{"gone"}, Path: missing, Umask: -1},
			StageExec, "couldn't exec gone: ENOENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Start(tt.spec)
			if err == nil {
				syscall.Kill(c.Pid, syscall.SIGKILL)
				t.Fatalf("started pid %d", c.Pid)
			}
			var ce *ChildError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v, want *ChildError", err, err)
			}
			if ce.Stage != tt.stage || ce.Msg != tt.msg {
				t.Errorf("got stage %q msg %q, want %q %q", ce.Stage, ce.Msg, tt.stage, tt.msg)
			}
			want := "supervisor: " + tt.msg + "\nsupervisor: child process was not spawned\n"
			if ce.Output() != want {
				t.Errorf("Output() = %q, want %q", ce.Output(), want)
			}
			if ws := ce.WaitStatus(); !ws.Exited() || ws.ExitStatus() != 127 {
				t.Errorf("WaitStatus() = %v", ws)
			}
		})
	}
}

func TestEmptyArgv(t *testing.T) {
	if _, err := Start(Spec{Umask: -1}); err == nil {
		t.Fatal("Start with no argv succeeded")
	}
}

func TestSetupErrorSpawnerr(t *testing.T) {
	tests := []struct {
		err  *SetupError
		want string
	}{
		{&SetupError{OpPipe, syscall.EMFILE}, "too many open files to spawn 'web'"},
		{&SetupError{OpPipe, syscall.ENFILE}, "unknown error making dispatchers for 'web': ENFILE"},
		{&SetupError{OpFork, syscall.EAGAIN}, "Too many processes in process table to spawn 'web'"},
		{&SetupError{OpFork, syscall.ENOMEM}, "unknown error during fork for 'web': ENOMEM"},
	}
	for _, tt := range tests {
		if got := tt.err.Spawnerr("web"); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestErrnoName(t *testing.T) {
	tests := map[syscall.Errno]string{
		syscall.ENOENT: "ENOENT", syscall.EACCES: "EACCES", syscall.EAGAIN: "EAGAIN",
		35: "EDEADLOCK", 95: "ENOTSUP", 41: "41", 133: "133", 0: "0",
	}
	for e, want := range tests {
		if got := ErrnoName(e); got != want {
			t.Errorf("ErrnoName(%d) = %q, want %q", int(e), got, want)
		}
	}
}

func TestRaiseLimit(t *testing.T) {
	var before syscall.Rlimit
	if err := syscall.Getrlimit(LimitFiles, &before); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(LimitFiles, &before)

	if info, err := RaiseLimit(LimitFiles, before.Cur); info != "" || err != nil {
		t.Errorf("at the current limit: %q, %v", info, err)
	}
	if before.Cur > 64 && before.Cur != rlimInfinity {
		lowered := syscall.Rlimit{Cur: 64, Max: before.Max}
		if err := syscall.Setrlimit(LimitFiles, &lowered); err != nil {
			t.Fatal(err)
		}
		info, err := RaiseLimit(LimitFiles, 100)
		if err != nil || info != "Increased RLIMIT_NOFILE limit to 100" {
			t.Errorf("raising: %q, %v", info, err)
		}
		var now syscall.Rlimit
		syscall.Getrlimit(LimitFiles, &now)
		if now.Cur != 100 || now.Max != before.Max {
			t.Errorf("limit now %+v, want soft 100 hard %d", now, before.Max)
		}
	}
}

func TestLimitErrorText(t *testing.T) {
	e := &LimitError{Resource: LimitFiles, Min: 4096, Hard: 4096, Err: syscall.EPERM}
	want := "The minimum number of file descriptors required to run this process is 4096 as per the " +
		"\"minfds\" command-line argument or config file setting. The current environment will only " +
		"allow you to open 4096 file descriptors.  Either raise the number of usable file descriptors " +
		"in your environment (see README.rst) or lower the minfds setting in the config file to allow " +
		"the process to start."
	if e.Error() != want {
		t.Errorf("got  %q\nwant %q", e.Error(), want)
	}
	e = &LimitError{Resource: LimitProcesses, Min: 200, Hard: rlimInfinity, Err: syscall.EPERM}
	want = "The minimum number of available processes required to run this program is 200 as per the " +
		"\"minprocs\" command-line argument or config file setting. The current environment will only " +
		"allow you to open -1 processes.  Either raise the number of usable processes in your " +
		"environment (see README.rst) or lower the minprocs setting in the config file to allow the " +
		"program to start."
	if e.Error() != want {
		t.Errorf("got  %q\nwant %q", e.Error(), want)
	}
}

func TestUserCredential(t *testing.T) {
	c := UserCredential(1000, 1000, []uint32{27, 100})
	if c.Uid != 1000 || c.Gid != 1000 || !reflect.DeepEqual(c.Groups, []uint32{1000, 27, 100}) {
		t.Errorf("got %+v", c)
	}
}

func TestSameUserIsNoSwitch(t *testing.T) {
	t.Parallel()
	spec := helperSpec(t, "info")
	uid := uint32(os.Getuid())
	spec.Cred = &syscall.Credential{Uid: uid, Gid: 12345, Groups: []uint32{12345}}
	info := readInfo(t, start(t, spec))
	if info.Uid != int(uid) || info.Gid != os.Getgid() {
		t.Errorf("uid %d gid %d: the same user must not switch groups", info.Uid, info.Gid)
	}
}

func sortedInts(v []int) []int {
	v = append([]int(nil), v...)
	sort.Ints(v)
	return v
}
