package service

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestUnitNotifyAndWatchdog checks the readiness protocol lines and that
// WatchdogSec= appears only when asked, through the install command.
func TestUnitNotifyAndWatchdog(t *testing.T) {
	u := Unit{Description: "d", Executable: "/usr/bin/supervisord", Config: "/etc/supervisord.conf"}
	text, err := u.Systemd()
	if err != nil {
		t.Fatal(err)
	}
	keys := unitLines(t, text)
	if got := keys["Type"]; len(got) != 1 || got[0] != "notify" {
		t.Errorf("Type=%q", got)
	}
	if got := keys["NotifyAccess"]; len(got) != 1 || got[0] != "main" {
		t.Errorf("NotifyAccess=%q", got)
	}
	if got := keys["WatchdogSec"]; len(got) != 0 {
		t.Errorf("WatchdogSec=%q without --watchdog", got)
	}

	root := t.TempDir()
	conf := filepath.Join(root, "s.conf")
	if err := os.WriteFile(conf, []byte("[supervisord]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	opts := Options{Root: root, Executable: "/usr/bin/supervisord", Systemctl: func(...string) error { return nil }}
	if code := Run([]string{"install", "-c", conf, "--watchdog", "30s"}, &stdout, &stderr, opts); code != 0 {
		t.Fatalf("install exited %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(root, "etc", "systemd", "system", "supervisord.service"))
	if err != nil {
		t.Fatal(err)
	}
	keys = unitLines(t, string(data))
	if got := keys["WatchdogSec"]; len(got) != 1 || got[0] != "30000ms" {
		t.Errorf("WatchdogSec=%q, want 30000ms", got)
	}
}
