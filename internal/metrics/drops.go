package metrics

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
)

// DropSource is optionally implemented by a Source that counts what its
// full queues dropped, by what was dropped ("events", "health", "watch",
// "output:/dev/stdout", ...). Each count becomes
// supervisord_dropped_total{what="..."}.
type DropSource interface {
	Drops() map[string]uint64
}

var droppedDesc = prometheus.NewDesc("supervisord_dropped_total",
	"Items the daemon dropped because a queue was full, by what was dropped.", []string{"what"}, nil)

// collectDrops sends one counter per kind of drop src reports.
func collectDrops(src Source, ch chan<- prometheus.Metric) {
	ds, ok := src.(DropSource)
	if !ok {
		return
	}
	drops := ds.Drops()
	names := make([]string, 0, len(drops))
	for name := range drops {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(drops[name]), name)
	}
}
