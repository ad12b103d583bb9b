//go:build linux

package events_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/test/harness"
)

// runExitOnFatal runs our daemon with the recipe's listener watching
// "app" and returns the daemon's exit status once it has exited by itself.
func runExitOnFatal(t *testing.T, listenerArgs, app string) (int, *harness.Daemon) {
	t.Helper()
	bin := harness.MustOurs(t)
	script, err := filepath.Abs("../../examples/exit-on-fatal/exit-on-fatal.sh")
	if err != nil {
		t.Fatal(err)
	}
	p := harness.TempPaths(t)
	conf := p.Header() + app + fmt.Sprintf(`
[program:bystander]
command=sleep 300
startsecs=0

[eventlistener:exit-on-fatal]
command=/bin/sh %s %s app
events=PROCESS_STATE_FATAL,PROCESS_STATE_EXITED
environment=SUPERVISORD="%s"
priority=1
`, script, listenerArgs, bin)
	d := harness.Launch(t, harness.Spec{Bin: bin, Paths: p, Config: conf, NoWait: true})
	code := d.WaitExit(t, 30*time.Second)
	// Everything was stopped before the daemon exited.
	for _, pid := range harness.SpawnedPids(d.Log()) {
		if harness.Alive(pid) {
			t.Errorf("pid %d outlived the daemon", pid)
		}
	}
	log := d.Log()
	for _, want := range []string{"stopped: bystander", "supervisord stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	return code, d
}

// A program that never stays up gives up to FATAL; the getProcessInfo
// exitstatus of such a process is 0 (the reference records none for exits
// during startsecs), so the recipe exits with 1, as documented.
func TestExitOnFatal(t *testing.T) {
	t.Parallel()
	code, d := runExitOnFatal(t, "", `
[program:app]
command=sh -c 'exit 3'
startsecs=1
startretries=1
`)
	if code != 1 {
		t.Fatalf("daemon exit status %d, want 1; log:\n%s", code, d.Log())
	}
	if !strings.Contains(d.Log(), "gave up: app entered FATAL state") {
		t.Fatalf("app never gave up:\n%s", d.Log())
	}
}

// With --on-unexpected-exit, a program that ran and then exited with a
// status it does not expect ends the daemon with that status.
func TestExitOnUnexpectedExit(t *testing.T) {
	t.Parallel()
	code, d := runExitOnFatal(t, "--on-unexpected-exit", `
[program:app]
command=sh -c 'sleep 0.3; exit 5'
startsecs=0
autorestart=false
`)
	if code != 5 {
		t.Fatalf("daemon exit status %d, want 5; log:\n%s", code, d.Log())
	}
}
