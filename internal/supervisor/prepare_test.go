package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/process"
)

// Many programs starting at once get their log files opened ahead of
// their spawns: every one captures its output to its own file, and one
// whose log directory is missing fails to spawn exactly as it would alone.
func TestManyStartsCaptureToTheirOwnFiles(t *testing.T) {
	var groups []*config.Group
	for i := range 12 {
		name := fmt.Sprintf("w%02d", i)
		groups = append(groups, prog(name, "echo hello "+name+"; exec sleep 30", func(p *config.Process) {
			p.Startretries = 0
		}))
	}
	h := start(t, groups...)
	h.log.waitFor(t, "success: ", 12, 20*time.Second)
	for _, g := range groups {
		name := g.Name
		path := filepath.Join(h.dir, name+".out")
		waitFile(t, path, "hello "+name+"\n")
		if b, _ := os.ReadFile(path); string(b) != "hello "+name+"\n" {
			t.Errorf("%s: %q", path, b)
		}
	}
}

// A log file that cannot be opened is reported by the spawn, with the
// same spawnerr, whether or not it was opened ahead.
func TestManyStartsReportUnopenableLogs(t *testing.T) {
	var groups []*config.Group
	for i := range 10 {
		groups = append(groups, prog(fmt.Sprintf("v%02d", i), "exec sleep 30", func(p *config.Process) { p.Startretries = 0 }))
	}
	h := startIn(t, func(dir string) {
		groups[4].Processes[0].Stdout.Targets[0].Path = filepath.Join(dir, "missing", "v04.out")
	}, nil, groups...)
	h.log.waitFor(t, "success: ", 9, 20*time.Second)
	h.log.waitFor(t, "gave up: v04", 1, 20*time.Second)
	info := h.info("v04")
	if info.State != process.Fatal || !strings.Contains(info.SpawnErr, "missing") {
		t.Errorf("v04: %v, spawnerr %q", info.State, info.SpawnErr)
	}
}
