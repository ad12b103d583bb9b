package config

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestContainmentKeys(t *testing.T) {
	cfg, _ := mustLoad(t, `[supervisord]
cgroups = on
cgroup_parent = /supervisord//test/

[program:w]
command = /bin/true
memory_limit = 64MB
cpu_limit = 0.5
pids_limit = 20
memory_restart_above = 1GB
memory_restart_after = 1m30s
pdeathsig = KILL

[program:plain]
command = /bin/true
`)
	if c := cfg.Supervisord.Containment; c.Mode != CgroupsOn || c.Parent != "/supervisord/test" {
		t.Errorf("containment = %+v", c)
	}
	want := Limits{MemoryLimit: 64 << 20, CPULimit: 0.5, PidsLimit: 20, MemoryRestartAbove: 1 << 30,
		MemoryRestartAfter: 90 * time.Second, Pdeathsig: syscall.SIGKILL}
	if got := proc(t, cfg, "w", "w").Limits; got != want {
		t.Errorf("limits = %+v, want %+v", got, want)
	}
	plain := proc(t, cfg, "plain", "plain").Limits
	if plain.Any() || plain.MemoryRestartAbove != 0 || plain.MemoryRestartAfter != 10*time.Second {
		t.Errorf("default limits = %+v", plain)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %v", cfg.Warnings)
	}
	def, _ := mustLoad(t, "[supervisord]\n")
	if def.Supervisord.Containment.Mode != CgroupsAuto || def.Supervisord.Containment.Parent != "" {
		t.Errorf("default containment = %+v", def.Supervisord.Containment)
	}
}

func TestContainmentBadValues(t *testing.T) {
	errs := loadErrors(t, `[supervisord]
cgroups = sometimes
cgroup_parent = relative/path

[program:w]
command = /bin/true
memory_limit = lots
cpu_limit = -1
pids_limit = 0
memory_restart_above = 0
memory_restart_after = -5
pdeathsig = NOPE
`)
	want := []string{
		`supervisord.conf:2: [supervisord] cgroups: invalid cgroups "sometimes"`,
		`supervisord.conf:3: [supervisord] cgroup_parent: invalid cgroup_parent "relative/path"`,
		`supervisord.conf:7: [program:w] memory_limit: invalid byte size "lots"`,
		`supervisord.conf:8: [program:w] cpu_limit: invalid cpu_limit "-1"`,
		`supervisord.conf:9: [program:w] pids_limit: invalid pids_limit "0"`,
		`supervisord.conf:10: [program:w] memory_restart_above: invalid byte size "0"`,
		`supervisord.conf:11: [program:w] memory_restart_after: invalid memory_restart_after "-5"`,
		`supervisord.conf:12: [program:w] pdeathsig:`,
	}
	joined := strings.Join(errs, "\n")
	for _, w := range want {
		if !strings.Contains(joined, w) {
			t.Errorf("missing error %q in:\n%s", w, joined)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{64 << 20: "64MB", 1 << 30: "1GB", 1536: "1536", 2048: "2KB", 7: "7"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func FuzzContainmentValues(f *testing.F) {
	for _, s := range []string{"64MB", "0.5", "-1", "lots", "1e400", "NaN", "/a/../b", "/x", " 20 ", "1_000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := parseCPULimit(s); err == nil && !(v > 0) {
			t.Fatalf("cpu_limit %q accepted as %v", s, v)
		}
		if v, err := positiveByteSize(s); err == nil && v <= 0 {
			t.Fatalf("byte size %q accepted as %v", s, v)
		}
		if v, err := parsePidsLimit(s); err == nil && v <= 0 {
			t.Fatalf("pids_limit %q accepted as %v", s, v)
		}
		if p, err := parseCgroupParent(s); err == nil && (!strings.HasPrefix(p, "/") || strings.Contains(p+"/", "/../")) {
			t.Fatalf("cgroup_parent %q accepted as %q", s, p)
		}
		parseCgroupMode(s)
	})
}
