package spawn

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
)

const (
	nobodyUID = 65534
	nogroup   = 65534
	usersGID  = 100
)

// requireRoot skips tests of switching users when we cannot.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("skipping: switching to another user needs root")
	}
}

// worldExecutableHelper copies the test binary into a directory every user
// can enter, so that a child running as nobody can execute it.
func worldExecutableHelper(t *testing.T) (dir, exe string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "spawn-user")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	exe = filepath.Join(dir, "helper")
	dst, err := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, exe
}

func TestSwitchUser(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	dir, exe := worldExecutableHelper(t)
	spec := Spec{
		Argv:    []string{exe, "info"},
		Path:    exe,
		Env:     []string{"SPAWN_HELPER=1"},
		Dir:     dir,
		Umask:   0o077,
		Setpgid: true,
		Cred:    UserCredential(nobodyUID, nogroup, []uint32{usersGID}),
	}
	info := readInfo(t, start(t, spec))
	if info.Uid != nobodyUID || info.Euid != nobodyUID || info.Gid != nogroup || info.Egid != nogroup {
		t.Errorf("uid %d/%d gid %d/%d, want nobody/nogroup", info.Uid, info.Euid, info.Gid, info.Egid)
	}
	if got, want := sortedInts(info.Groups), []int{usersGID, nogroup}; !reflect.DeepEqual(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
	if info.Cwd != dir || info.Umask != 0o077 {
		t.Errorf("cwd %q umask %#o", info.Cwd, info.Umask)
	}
	// The environment is left as given: no HOME or USER is added.
	if !reflect.DeepEqual(info.Env, []string{"SPAWN_HELPER=1"}) {
		t.Errorf("env %q", info.Env)
	}
	// We are still root, in our own directory, with our own groups.
	if os.Getuid() != 0 || os.Geteuid() != 0 {
		t.Fatal("the daemon's own credentials changed")
	}
	if u := umaskOf("self"); u == 0o077 {
		t.Error("the daemon's umask changed")
	}
}

func TestSwitchUserFailures(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	dir, exe := worldExecutableHelper(t)
	private := filepath.Join(dir, "private")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	cred := UserCredential(nobodyUID, nogroup, nil)

	t.Run("chdir refused to the user", func(t *testing.T) {
		_, err := Start(Spec{Argv: []string{exe}, Path: exe, Dir: private, Umask: -1, Cred: cred})
		var ce *ChildError
		if !errors.As(err, &ce) || ce.Stage != StageChdir || ce.Msg != "couldn't chdir to "+private+": EACCES" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("exec refused to the user", func(t *testing.T) {
		// Root may run it; nobody cannot enter the directory.
		if err := os.WriteFile(filepath.Join(private, "tool"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		tool := filepath.Join(private, "tool")
		_, err := Start(Spec{Argv: []string{"tool"}, Path: tool, Umask: -1, Cred: cred})
		var ce *ChildError
		if !errors.As(err, &ce) || ce.Stage != StageExec || ce.Msg != "couldn't exec tool: EACCES" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("non-root may not switch", func(t *testing.T) {
		// A helper running as nobody tries to start a child as root.
		p := start(t, Spec{Argv: []string{exe, "start-as", "0"}, Path: exe, Env: []string{"SPAWN_HELPER=1"},
			Umask: -1, Cred: cred})
		want := "supervisor: couldn't setuid to 0: Can't drop privilege as nonroot user\n" +
			"supervisor: child process was not spawned\n"
		if got := readAll(t, p.Stdout); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
		p.exitCode()
	})
	t.Run("non-root cannot raise its hard limit", func(t *testing.T) {
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(LimitFiles, &lim); err != nil {
			t.Fatal(err)
		}
		if lim.Max == rlimInfinity || lim.Max > 1<<30 {
			t.Skip("skipping: hard limit on open files is unbounded")
		}
		p := start(t, Spec{Argv: []string{exe, "raise-limit", "1073741824"}, Path: exe,
			Env: []string{"SPAWN_HELPER=1"}, Umask: -1, Cred: cred})
		want := (&LimitError{Resource: LimitFiles, Min: 1 << 30, Hard: 1 << 30}).Error()
		if got := readAll(t, p.Stdout); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
		p.exitCode()
	})
}
