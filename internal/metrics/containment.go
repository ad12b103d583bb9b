package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// MemoryRestartSource is optionally implemented by a Source that counts,
// by full name, the restarts made because a process's tree stayed above
// memory_restart_above.
type MemoryRestartSource interface {
	MemoryRestarts() map[string]uint64
}

// treeCollector exports what each process's whole tree uses, read from
// its cgroup (process.Info.Usage): only for processes that are measured.
// The OOM kills have a collector of their own (oom.go) that exports every
// process, so that alerts on them are valid on any daemon.
type treeCollector struct {
	src                             Source
	cpu, mem, peak, tasks, restarts *prometheus.Desc
}

func newTreeCollector(src Source) *treeCollector {
	labels := []string{"name", "group"}
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("supervisord_"+name, help, labels, nil)
	}
	return &treeCollector{
		src:      src,
		cpu:      d("process_tree_cpu_seconds_total", "User and system CPU time of the process and everything it started (its cgroup), in seconds."),
		mem:      d("process_tree_memory_bytes", "Memory in use by the process and everything it started (its cgroup), in bytes."),
		peak:     d("process_tree_memory_peak_bytes", "The most memory the process's cgroup has used, in bytes."),
		tasks:    d("process_tree_tasks", "Processes and threads in the process's cgroup."),
		restarts: d("process_memory_restarts_total", "Restarts made because the process's tree stayed above memory_restart_above."),
	}
}

func (c *treeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.cpu, c.mem, c.peak, c.tasks, c.restarts} {
		ch <- d
	}
}

func (c *treeCollector) Collect(ch chan<- prometheus.Metric) {
	var restarts map[string]uint64
	rs, hasRestarts := c.src.(MemoryRestartSource)
	if hasRestarts {
		restarts = rs.MemoryRestarts()
	}
	for _, in := range c.src.Processes() {
		lv := []string{in.Name, in.Group}
		if n := restarts[in.FullName()]; n > 0 {
			ch <- prometheus.MustNewConstMetric(c.restarts, prometheus.CounterValue, float64(n), lv...)
		}
		u := in.Usage
		if !u.Measured {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.cpu, prometheus.CounterValue, u.CPUSeconds, lv...)
		ch <- prometheus.MustNewConstMetric(c.mem, prometheus.GaugeValue, float64(u.MemoryBytes), lv...)
		if u.MemoryPeakBytes > 0 {
			ch <- prometheus.MustNewConstMetric(c.peak, prometheus.GaugeValue, float64(u.MemoryPeakBytes), lv...)
		}
		ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(u.Tasks), lv...)
	}
}
