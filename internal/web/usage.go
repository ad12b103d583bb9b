package web

import (
	"fmt"

	"supervisord/internal/process"
)

// usageText describes what a process's whole tree uses (from its
// cgroup) for the status table, or "" when it is not measured.
func usageText(u process.Usage) string {
	if !u.Measured {
		return ""
	}
	s := fmt.Sprintf("cpu %.1fs · memory %s · %d tasks", u.CPUSeconds, mib(u.MemoryBytes), u.Tasks)
	if u.OOMKills > 0 {
		s += fmt.Sprintf(" · %d OOM kills", u.OOMKills)
	}
	return s
}

func mib(n uint64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
