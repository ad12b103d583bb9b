package metrics

import "github.com/prometheus/client_golang/prometheus"

// oomCollector exports the kernel's OOM kills per program, for the fleet
// alert on memory-starved programs. The count comes from the process's
// accounted tree (process.Info.Usage, filled where containment reads the
// program's cgroup); where nothing is measured the series is 0, so the
// alert expression is valid on every daemon.
type oomCollector struct {
	src  Source
	desc *prometheus.Desc
}

func newOOMCollector(src Source) *oomCollector {
	return &oomCollector{src: src, desc: prometheus.NewDesc("supervisord_process_oom_kills_total",
		"Processes of the program's tree killed by the kernel's OOM killer (0 where the tree is not accounted).",
		[]string{"name", "group"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *oomCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *oomCollector) Collect(ch chan<- prometheus.Metric) {
	for _, in := range c.src.Processes() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(in.Usage.OOMKills), in.Name, in.Group)
	}
}
