package supervisor

import (
	"testing"

	"supervisord/internal/config"
	"supervisord/internal/process"
)

// A change to one process republishes its row alone: the other group's
// rows are shared with the previous snapshot, and lookups by name see the
// new row.
func TestSnapshotRowsCopiedOnChange(t *testing.T) {
	h := start(t,
		prog("idle", "exec sleep 30", func(p *config.Process) { p.Autostart = false }),
		prog("busy", "exec sleep 30", func(p *config.Process) { p.Autostart = false }),
	)
	before := h.sup.Rows()
	if len(before) != 2 {
		t.Fatalf("rows: %+v", before)
	}
	if _, _, ok := h.sup.Lookup("busy", "nope"); ok {
		t.Error("Lookup found an unknown process")
	}
	if _, _, ok := h.sup.Lookup("nope", ""); ok {
		t.Error("Lookup found an unknown group")
	}
	if err := h.sup.StartProcess(t.Context(), "busy", "busy", true); err != nil {
		t.Fatal(err)
	}
	_, p, ok := h.sup.Lookup("busy", "busy")
	if !ok || p.State != process.Running || p.Pid == 0 {
		t.Fatalf("busy after start: %+v", p)
	}
	after := h.sup.Rows()
	for i, g := range after {
		switch g.Name {
		case "idle":
			if &g.Processes[0] != &before[i].Processes[0] {
				t.Error("the unchanged group's rows were copied")
			}
		case "busy":
			if &g.Processes[0] == &before[i].Processes[0] {
				t.Error("the changed group's rows were modified in place")
			}
			if before[i].Processes[0].State != process.Stopped {
				t.Errorf("the old snapshot changed: %v", before[i].Processes[0].State)
			}
		}
	}
	if err := h.sup.StopProcess(t.Context(), "busy", "busy", true); err != nil {
		t.Fatal(err)
	}
	// The stop replied after the change: a reader sees it at once.
	_, p, _ = h.sup.Lookup("busy", "busy")
	if p.State != process.Stopped {
		t.Errorf("busy after stop: %v", p.State)
	}
}
