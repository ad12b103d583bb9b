//go:build linux

package deploy_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// notifySocket is a datagram socket standing in for systemd's.
type notifySocket struct {
	t    *testing.T
	path string
	conn *net.UnixConn
	msgs chan string
}

func newNotifySocket(t *testing.T) *notifySocket {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	n := &notifySocket{t: t, path: path, conn: conn, msgs: make(chan string, 1024)}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				close(n.msgs)
				return
			}
			n.msgs <- string(buf[:k])
		}
	}()
	return n
}

// next returns the next message that is not a watchdog ping or a status
// (those are collected into statuses), failing after timeout.
func (n *notifySocket) next(timeout time.Duration, statuses *[]string) string {
	n.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m, ok := <-n.msgs:
			if !ok {
				n.t.Fatal("notify socket closed")
			}
			if m == "WATCHDOG=1" {
				continue
			}
			if strings.HasPrefix(m, "STATUS=") {
				*statuses = append(*statuses, m)
				continue
			}
			return m
		case <-deadline:
			n.t.Fatalf("no notification within %v (statuses so far %q)", timeout, *statuses)
		}
	}
}

// TestSdNotifySequence follows one daemon through start, a reread, a HUP
// and a shutdown, as systemd would see it.
func TestSdNotifySequence(t *testing.T) {
	ns := newNotifySocket(t)
	d := startDaemon(t, "", `
[program:web]
command=sleep 1000
startsecs=1
`, "NOTIFY_SOCKET="+ns.path)
	var statuses []string
	if m := ns.next(10*time.Second, &statuses); m != "READY=1" {
		t.Fatalf("first message %q, want READY=1", m)
	}
	// READY=1 comes once the program is launched: the daemon's log says
	// so before.
	if !strings.Contains(d.log(), "spawned: 'web'") {
		t.Errorf("READY=1 before the autostart program was spawned; log:\n%s", d.log())
	}
	// STATUS follows the program to RUNNING.
	d.waitFor("STATUS with web running", 10*time.Second, func() bool {
		for {
			select {
			case m := <-ns.msgs:
				if strings.HasPrefix(m, "STATUS=") {
					statuses = append(statuses, m)
				} else if m != "WATCHDOG=1" {
					t.Fatalf("unexpected %q", m)
				}
				continue
			default:
			}
			break
		}
		return len(statuses) > 0 && statuses[len(statuses)-1] == "STATUS=1/1 running, 0 starting, 0 failed"
	})
	if !strings.Contains(statuses[0], "0/1 running, 1 starting") {
		t.Errorf("first status %q, want web starting", statuses[0])
	}

	// reloadConfig (supervisorctl reread): RELOADING=1 then READY=1.
	if out, err := exec.Command(bin, "ctl", "-c", d.conf, "reread").CombinedOutput(); err != nil {
		t.Fatalf("reread: %v\n%s", err, out)
	}
	if m := ns.next(10*time.Second, &statuses); !strings.HasPrefix(m, "RELOADING=1\nMONOTONIC_USEC=") {
		t.Fatalf("after reread %q, want RELOADING=1 with MONOTONIC_USEC", m)
	}
	if m := ns.next(10*time.Second, &statuses); m != "READY=1" {
		t.Fatalf("after reread's RELOADING %q, want READY=1", m)
	}

	// HUP: RELOADING=1, then the new generation's READY=1.
	d.signal(syscall.SIGHUP)
	if m := ns.next(10*time.Second, &statuses); !strings.HasPrefix(m, "RELOADING=1\n") {
		t.Fatalf("after HUP %q, want RELOADING=1", m)
	}
	if m := ns.next(20*time.Second, &statuses); m != "READY=1" {
		t.Fatalf("after HUP's RELOADING %q, want READY=1", m)
	}

	// TERM: STOPPING=1.
	d.signal(syscall.SIGTERM)
	if m := ns.next(10*time.Second, &statuses); m != "STOPPING=1" {
		t.Fatalf("after TERM %q, want STOPPING=1", m)
	}
	<-d.Done()
	if strings.Contains(d.log(), "cannot notify") {
		t.Errorf("notify failure logged:\n%s", d.log())
	}
}

// TestWatchdogRate checks WATCHDOG=1 at half of WATCHDOG_USEC, and none
// without it.
func TestWatchdogRate(t *testing.T) {
	ns := newNotifySocket(t)
	d := startDaemon(t, "", "", "NOTIFY_SOCKET="+ns.path, "WATCHDOG_USEC=200000")
	var statuses []string
	if m := ns.next(10*time.Second, &statuses); m != "READY=1" {
		t.Fatalf("first message %q", m)
	}
	var pings []time.Time
	deadline := time.After(2 * time.Second)
collect:
	for {
		select {
		case m := <-ns.msgs:
			if m == "WATCHDOG=1" {
				pings = append(pings, time.Now())
			}
		case <-deadline:
			break collect
		}
	}
	// Every 100 ms for 2 s: 20, with generous room for a loaded machine.
	if len(pings) < 12 || len(pings) > 24 {
		t.Fatalf("%d pings in 2s, want about 20 (every 100ms)", len(pings))
	}
	var total time.Duration
	for i := 1; i < len(pings); i++ {
		total += pings[i].Sub(pings[i-1])
	}
	mean := total / time.Duration(len(pings)-1)
	t.Logf("%d pings, mean interval %v", len(pings), mean)
	if mean < 70*time.Millisecond || mean > 170*time.Millisecond {
		t.Errorf("mean interval %v, want about 100ms", mean)
	}
	d.stop()

	// Without WATCHDOG_USEC: READY, a status, STOPPING, and no ping
	// in between.
	ns2 := newNotifySocket(t)
	d2 := startDaemon(t, "", "", "NOTIFY_SOCKET="+ns2.path)
	// The loop that would send pings sends a status after READY=1: wait
	// for it, not for a while.
	var got []string
	d2.waitFor("READY and a status", 10*time.Second, func() bool {
		select {
		case m := <-ns2.msgs:
			got = append(got, m)
		default:
		}
		return len(got) > 1 && strings.HasPrefix(got[len(got)-1], "STATUS=")
	})
	d2.stop()
	for m := range ns2.msgs {
		got = append(got, m)
		if m == "STOPPING=1" {
			break
		}
	}
	for _, m := range got {
		if m == "WATCHDOG=1" {
			t.Fatalf("watchdog ping without WATCHDOG_USEC: %q", got)
		}
	}
	if got[len(got)-1] != "STOPPING=1" {
		t.Fatalf("messages %q do not end with STOPPING=1", got)
	}
}

// TestNotifySocketUnwritable: the failure is logged once and the daemon
// carries on, through a restart.
func TestNotifySocketUnwritable(t *testing.T) {
	d := startDaemon(t, "", `
[program:web]
command=sleep 1000
startsecs=0
`, "NOTIFY_SOCKET="+filepath.Join(t.TempDir(), "nobody-listens.sock"), "WATCHDOG_USEC=100000")
	d.waitFor("web running", 10*time.Second, func() bool { return strings.Contains(d.log(), "success: web entered RUNNING") })
	d.signal(syscall.SIGHUP)
	d.waitFor("restart", 20*time.Second, func() bool { return strings.Count(d.log(), "success: web entered RUNNING") == 2 })
	if n := strings.Count(d.log(), "cannot notify the service manager"); n != 1 {
		t.Fatalf("failure logged %d times, want once; log:\n%s", n, d.log())
	}
}

// TestChildrenDoNotInheritNotifySocket: a program cannot speak for the
// daemon.
func TestChildrenDoNotInheritNotifySocket(t *testing.T) {
	ns := newNotifySocket(t)
	d := startDaemon(t, "", `
[program:env]
command=sh -c 'env > %(here)s/env.txt; sleep 1000'
startsecs=0
`, "NOTIFY_SOCKET="+ns.path, "WATCHDOG_USEC=10000000", "WATCHDOG_PID=1")
	envFile := filepath.Join(d.dir, "env.txt")
	var env string
	d.waitFor("env written", 10*time.Second, func() bool {
		b, _ := readFile(envFile)
		env = b
		return strings.Contains(env, "SUPERVISOR_ENABLED=1")
	})
	for _, k := range []string{"NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID="} {
		if strings.Contains(env, k) {
			t.Errorf("child inherited %s", k)
		}
	}
	// The daemon itself still speaks on the socket.
	var statuses []string
	if m := ns.next(10*time.Second, &statuses); m != "READY=1" {
		t.Fatalf("first message %q", m)
	}
}

// wakeups counts the voluntary context switches of every thread of pid:
// each is the process going to sleep after something woke it.
func wakeups(t *testing.T, pid int) int {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("threads of %d: %v", pid, err)
	}
	total := 0
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			continue // a thread that just ended
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
				n, _ := strconv.Atoi(strings.TrimSpace(v))
				total += n
			}
		}
	}
	return total
}

// TestIdleWithNotifySocket: under a service manager without a watchdog
// the idle daemon does not wake; with one it wakes at the watchdog's pace
// (the control that shows the measurement can see wake-ups).
func TestIdleWithNotifySocket(t *testing.T) {
	measure := func(env ...string) int {
		ns := newNotifySocket(t)
		d := startDaemon(t, "", "[program:web]\ncommand=sleep 1000\nstartsecs=0\n", append(env, "NOTIFY_SOCKET="+ns.path)...)
		d.waitFor("web RUNNING", 10*time.Second, func() bool { return strings.Contains(d.log(), "success: web entered RUNNING") })
		// Let the last status go out (it may wait up to 0.5s) and the
		// runtime settle.
		time.Sleep(1500 * time.Millisecond)
		before := wakeups(t, d.Pid())
		time.Sleep(2 * time.Second)
		n := wakeups(t, d.Pid()) - before
		d.stop()
		return n
	}
	idle := measure()
	watched := measure("WATCHDOG_USEC=200000")
	t.Logf("voluntary context switches in 2s: %d idle, %d with a 100ms watchdog", idle, watched)
	if watched < 15 {
		t.Fatalf("the watchdog daemon woke %d times in 2s, want about 20: the measurement sees nothing", watched)
	}
	if idle > 5 {
		t.Errorf("the idle daemon woke %d times in 2s", idle)
	}
}
