package ctl

import (
	"fmt"
	"slices"
)

// longFlag removes -l from a status command's arguments and reports
// whether it was there.
func longFlag(names []string) ([]string, bool) {
	if !slices.Contains(names, "-l") {
		return names, false
	}
	return slices.DeleteFunc(names, func(s string) bool { return s == "-l" }), true
}

// showLongStatuses is status -l: each status line followed, for processes
// the daemon measures (a cgroup each), by what the whole tree uses.
func (c *controller) showLongStatuses(infos []map[string]any) {
	for _, info := range infos {
		c.showStatuses([]map[string]any{info})
		if line := usageLine(info); line != "" {
			c.output(line)
		}
	}
}

// usageLine formats the usage members of a process info struct, or ""
// when it has none.
func usageLine(info map[string]any) string {
	if _, ok := info["memory_bytes"]; !ok {
		return ""
	}
	cpu, _ := info["cpu_seconds"].(float64)
	line := fmt.Sprintf("    cpu %.2fs  memory %s", cpu, humanBytes(int64Field(info, "memory_bytes")))
	if peak := int64Field(info, "memory_peak_bytes"); peak > 0 {
		line += fmt.Sprintf(" (peak %s)", humanBytes(peak))
	}
	line += fmt.Sprintf("  tasks %d  oom kills %d", int64Field(info, "tasks"), int64Field(info, "oom_kills"))
	return line
}

func int64Field(m map[string]any, k string) int64 {
	switch v := m[k].(type) {
	case int:
		return int64(v)
	case int64:
		return v
	case float64:
		return int64(v)
	}
	return 0
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
