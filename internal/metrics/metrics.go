// Package metrics serves Prometheus metrics about supervised processes and
// about the daemon itself.
//
// Metrics are computed at scrape time from a snapshot the supervisor
// publishes (through the Source interface), plus CPU time and resident
// memory read from /proc for every live pid. They live in their own
// registry, never the global one.
//
// Per-process metrics carry the labels name and group. Names follow the
// old node_exporter supervisord collector where the two overlap, with the
// prefix supervisord_ instead of node_supervisord_:
//
//	node_supervisord_up                 -> supervisord_up
//	node_supervisord_state              -> supervisord_state
//	node_supervisord_exit_status        -> supervisord_exit_status
//	node_supervisord_start_time_seconds -> supervisord_start_time_seconds
//	node_supervisord_uptime             -> supervisord_uptime_seconds
//
// and adds supervisord_dropped_total (what full queues dropped),
// supervisord_process_restarts_total,
// supervisord_process_cpu_seconds_total,
// supervisord_process_resident_memory_bytes, supervisord_process_healthy,
// supervisord_process_oom_kills_total and supervisord_processes (a count
// per state). The daemon's own Go
// runtime (go_*) and process (process_*) metrics come from the client
// library's standard collectors.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/procfs"

	"supervisord/internal/process"
)

// Source gives the current process rows.
type Source interface {
	Processes() []process.Info
}

// RestartSource is optionally implemented by a Source that counts how many
// times each process was started again after its first start (by
// autorestart, a restart command or a watched change), keyed by full name
// ("group:name").
type RestartSource interface {
	Restarts() map[string]uint64
}

// Usage is what the kernel says about one live process.
type Usage struct {
	CPUSeconds float64 // user + system time
	RSSBytes   uint64  // resident set size
}

// UsageReader reads the usage of a pid.
type UsageReader func(pid int) (Usage, error)

// Options configure the collector. Zero values pick the defaults.
type Options struct {
	// Usage reads CPU and memory of a pid; the default reads /proc.
	Usage UsageReader
	// Now is the clock for uptimes; the default is time.Now.
	Now func() time.Time
	// NoRuntimeMetrics leaves out the daemon's own go_* and process_*
	// metrics.
	NoRuntimeMetrics bool
}

// Handler serves the metrics of src in the Prometheus text format.
func Handler(src Source, opts Options) http.Handler {
	reg := NewRegistry(src, opts)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// NewRegistry returns a registry holding the process collector for src
// and, unless opts.NoRuntimeMetrics, the daemon's own Go and process
// collectors.
func NewRegistry(src Source, opts Options) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(src, opts), newOOMCollector(src), newTreeCollector(src))
	if !opts.NoRuntimeMetrics {
		reg.MustRegister(
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		)
	}
	return reg
}

// Collector turns process rows into metrics at scrape time.
type Collector struct {
	src  Source
	opts Options

	up, state, exitStatus, startTime, uptime *prometheus.Desc
	restarts, cpu, rss, healthy, count       *prometheus.Desc
}

// NewCollector makes a collector over src.
func NewCollector(src Source, opts Options) *Collector {
	if opts.Usage == nil {
		opts.Usage = ReadProcUsage
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	labels := []string{"name", "group"}
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("supervisord_"+name, help, labels, nil)
	}
	return &Collector{
		src:        src,
		opts:       opts,
		up:         d("up", "Whether the process has a live pid (STARTING, RUNNING or STOPPING)."),
		state:      d("state", "Supervisor state number of the process (0 STOPPED, 10 STARTING, 20 RUNNING, 30 BACKOFF, 40 STOPPING, 100 EXITED, 200 FATAL, 1000 UNKNOWN)."),
		exitStatus: d("exit_status", "Exit status of the last exit of the process."),
		startTime:  d("start_time_seconds", "Unix time the live process was started."),
		uptime:     d("uptime_seconds", "Seconds since the live process was started."),
		restarts:   d("process_restarts_total", "Times the process was started again after its first start."),
		cpu:        d("process_cpu_seconds_total", "User and system CPU time of the live process, in seconds."),
		rss:        d("process_resident_memory_bytes", "Resident memory of the live process, in bytes."),
		healthy:    d("process_healthy", "1 when the liveness check passes, 0 when it fails; absent without a check or before its first verdict."),
		count:      prometheus.NewDesc("supervisord_processes", "Number of processes in each state.", []string{"state"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.state, c.exitStatus, c.startTime, c.uptime, c.restarts, c.cpu, c.rss, c.healthy, c.count, droppedDesc} {
		ch <- d
	}
}

// allStates lists every state so supervisord_processes always has a
// series for each, zeros included.
func allStates() []process.State {
	return []process.State{
		process.Stopped, process.Starting, process.Running, process.Backoff,
		process.Stopping, process.Exited, process.Fatal, process.Unknown,
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	infos := c.src.Processes()
	var restarts map[string]uint64
	if rs, ok := c.src.(RestartSource); ok {
		restarts = rs.Restarts()
	}
	now := c.opts.Now()
	counts := map[process.State]int{}
	gauge := func(d *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, lv...)
	}
	for _, in := range infos {
		counts[in.State]++
		lv := []string{in.Name, in.Group}
		live := in.State.IsSignallable()
		gauge(c.up, boolValue(live), lv...)
		gauge(c.state, float64(in.State), lv...)
		gauge(c.exitStatus, float64(in.ExitStatus), lv...)
		if live && in.Start > 0 {
			gauge(c.startTime, float64(in.Start), lv...)
			gauge(c.uptime, max(now.Sub(time.Unix(in.Start, 0)).Seconds(), 0), lv...)
		}
		if restarts != nil {
			ch <- prometheus.MustNewConstMetric(c.restarts, prometheus.CounterValue, float64(restarts[in.FullName()]), lv...)
		}
		if live && in.Pid > 0 {
			if u, err := c.opts.Usage(in.Pid); err == nil {
				ch <- prometheus.MustNewConstMetric(c.cpu, prometheus.CounterValue, u.CPUSeconds, lv...)
				gauge(c.rss, float64(u.RSSBytes), lv...)
			}
		}
		switch in.Health {
		case "healthy":
			gauge(c.healthy, 1, lv...)
		case "unhealthy":
			gauge(c.healthy, 0, lv...)
		}
	}
	for _, st := range allStates() {
		ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(counts[st]), st.String())
	}
	collectDrops(c.src, ch)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// ReadProcUsage reads CPU time (utime + stime) and resident memory (rss
// pages) of pid from /proc/<pid>/stat.
func ReadProcUsage(pid int) (Usage, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return Usage{}, err
	}
	st, err := p.Stat()
	if err != nil {
		return Usage{}, err
	}
	u := Usage{CPUSeconds: st.CPUTime(), RSSBytes: uint64(max(st.ResidentMemory(), 0))}
	return u, nil
}
