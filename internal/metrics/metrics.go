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
// supervisord_process_oom_kills_total, supervisord_processes (a count
// per state), and, with cgroups, supervisord_usage_sweeps_total and
// supervisord_usage_sweep_seconds (the background readings of every
// tree's usage files, see SweepSource). The daemon's own Go
// runtime (go_*) and process (process_*) metrics come from the client
// library's standard collectors.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

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

// DropSource is optionally implemented by a Source that counts what its
// full queues dropped, by what was dropped ("events", "health", "watch",
// "output:/dev/stdout", ...). Each count becomes
// supervisord_dropped_total{what="..."}.
type DropSource interface {
	Drops() map[string]uint64
}

// MemoryRestartSource is optionally implemented by a Source that counts,
// by full name, the restarts made because a process's tree stayed above
// memory_restart_above.
type MemoryRestartSource interface {
	MemoryRestarts() map[string]uint64
}

// SweepSource is optionally implemented by a Source that reads every
// process's cgroup usage files in background sweeps: how many it has
// begun and how long the last finished one took, which at thousands of
// programs is what a reply about all of them costs the daemon besides
// itself.
type SweepSource interface {
	UsageSweeps() (begun uint64, last time.Duration)
}

// Handler serves the metrics of src in the Prometheus exposition formats
// (text, and protobuf for a scraper that asks for it), gzipped when the
// scraper accepts it (handler.go).
func Handler(src Source, opts Options) http.Handler {
	if opts.Usage == nil {
		opts.Usage = ReadProcUsage
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	reg := prometheus.NewRegistry()
	if !opts.NoRuntimeMetrics {
		reg.MustRegister(
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		)
	}
	if ss, ok := src.(SweepSource); ok {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "supervisord_usage_sweeps_total",
				Help: "Background sweeps begun that read the cgroup usage files of every process (a reply about all processes starts one when the last readings have aged).",
			}, func() float64 { n, _ := ss.UsageSweeps(); return float64(n) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "supervisord_usage_sweep_seconds",
				Help: "How long the last finished usage sweep took (0 before the first).",
			}, func() float64 { _, d := ss.UsageSweeps(); return d.Seconds() }),
		)
	}
	return newHandler(reg, src, opts)
}
