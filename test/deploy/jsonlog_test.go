//go:build linux

package deploy_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestJSONLog: with logformat=json, the main log and the foreground echo
// (a container's log) are one JSON object per line, and records about a
// program name it and its pid.
func TestJSONLog(t *testing.T) {
	d := startDaemon(t, "logformat=json", `
[program:web]
command=sleep 1000
startsecs=0
`)
	d.waitFor("web RUNNING", 10*time.Second, func() bool { return strings.Contains(d.log(), "success: web entered RUNNING") })
	d.stop()
	for name, text := range map[string]string{"main log": d.log(), "stdout": d.Output()} {
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		if len(lines) < 4 {
			t.Fatalf("%s: %d lines:\n%s", name, len(lines), text)
		}
		var spawnedPid float64
		seen := map[string]bool{}
		for _, line := range lines {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("%s: %q is not JSON: %v", name, line, err)
			}
			ts, _ := rec["time"].(string)
			if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
				t.Errorf("%s: time %q: %v", name, ts, err)
			}
			msg, _ := rec["message"].(string)
			if rec["level"] == nil || msg == "" {
				t.Errorf("%s: record without level or message: %q", name, line)
			}
			switch {
			case strings.HasPrefix(msg, "spawned: 'web' with pid "):
				spawnedPid, _ = rec["pid"].(float64)
				if rec["program"] != "web" || msg != "spawned: 'web' with pid "+formatPid(spawnedPid) {
					t.Errorf("%s: spawned record %q", name, line)
				}
				seen["spawned"] = true
			case strings.HasPrefix(msg, "success: web entered RUNNING"):
				if rec["program"] != "web" || rec["pid"] != spawnedPid || rec["level"] != "info" {
					t.Errorf("%s: success record %q (pid %v)", name, line, spawnedPid)
				}
				seen["success"] = true
			case strings.HasPrefix(msg, "stopped: web"):
				if rec["program"] != "web" {
					t.Errorf("%s: stopped record %q", name, line)
				}
				seen["stopped"] = true
			case strings.HasPrefix(msg, "supervisord started with pid"):
				if _, ok := rec["program"]; ok {
					t.Errorf("%s: daemon record names a program: %q", name, line)
				}
				seen["started"] = true
			}
		}
		for _, k := range []string{"started", "spawned", "success", "stopped"} {
			if !seen[k] {
				t.Errorf("%s: no %s record in:\n%s", name, k, text)
			}
		}
	}
}

func formatPid(f float64) string {
	b, _ := json.Marshal(int(f))
	return string(b)
}
