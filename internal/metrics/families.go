package metrics

import (
	"cmp"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"

	"supervisord/internal/process"
)

// The supervisord_ families are built here straight into the exposition's
// protobuf structures, not collected through the client library's
// registry: at 1,000 processes its way (a const metric per sample, label
// pairs made, sorted and checked for each, sent over a channel and checked
// again) cost 13 ms and 5 MB of garbage per scrape. The registry keeps
// only the daemon's own metrics (handler.go).

// A family of samples, one per process (or per state, per kind of drop).
type family struct {
	name, help string
	typ        dto.MetricType
}

func gauge(name, help string) *family {
	return &family{name: "supervisord_" + name, help: help, typ: dto.MetricType_GAUGE}
}

func counter(name, help string) *family {
	return &family{name: "supervisord_" + name, help: help, typ: dto.MetricType_COUNTER}
}

// The per-process families, labelled group and name. Their names follow
// the old node_exporter supervisord collector where the two overlap (see
// the package comment).
var (
	famUp         = gauge("up", "Whether the process has a live pid (STARTING, RUNNING or STOPPING).")
	famState      = gauge("state", "Supervisor state number of the process (0 STOPPED, 10 STARTING, 20 RUNNING, 30 BACKOFF, 40 STOPPING, 100 EXITED, 200 FATAL, 1000 UNKNOWN).")
	famExitStatus = gauge("exit_status", "Exit status of the last exit of the process.")
	famStartTime  = gauge("start_time_seconds", "Unix time the live process was started.")
	famUptime     = gauge("uptime_seconds", "Seconds since the live process was started.")
	famRestarts   = counter("process_restarts_total", "Times the process was started again after its first start.")
	famCPU        = counter("process_cpu_seconds_total", "User and system CPU time of the live process, in seconds.")
	famRSS        = gauge("process_resident_memory_bytes", "Resident memory of the live process, in bytes.")
	famHealthy    = gauge("process_healthy", "1 when the liveness check passes, 0 when it fails; absent without a check or before its first verdict.")
	famOOMKills   = counter("process_oom_kills_total", "Processes of the program's tree killed by the kernel's OOM killer (0 where the tree is not accounted).")
	famMemRestart = counter("process_memory_restarts_total", "Restarts made because the process's tree stayed above memory_restart_above.")
	famTreeCPU    = counter("process_tree_cpu_seconds_total", "User and system CPU time of the process and everything it started (its cgroup), in seconds.")
	famTreeMem    = gauge("process_tree_memory_bytes", "Memory in use by the process and everything it started (its cgroup), in bytes.")
	famTreePeak   = gauge("process_tree_memory_peak_bytes", "The most memory the process's cgroup has used, in bytes.")
	famTreeTasks  = gauge("process_tree_tasks", "Processes and threads in the process's cgroup.")

	famProcesses = gauge("processes", "Number of processes in each state.")
	famDropped   = counter("dropped_total", "Items the daemon dropped because a queue was full, by what was dropped.")
)

// Label names, shared by every sample's label pairs.
var (
	labelGroup = "group"
	labelName  = "name"
	labelState = "state"
	labelWhat  = "what"
)

// column is one family's samples in one scrape: which row each belongs
// to and its value, appended as the rows are walked.
type column struct {
	fam  *family
	rows []int32
	vals []float64
	// labels, when set, are the column's own rows' label pairs (a
	// per-state or per-drop family) instead of the processes'.
	labels [][]*dto.LabelPair
}

func (c *column) add(row int, v float64) {
	c.rows = append(c.rows, int32(row))
	c.vals = append(c.vals, v)
}

// scratch holds the samples' structures of one family at a time: a scrape
// encodes each family before it builds the next, into the same blocks.
type scratch struct {
	ms       []dto.Metric
	ptrs     []*dto.Metric
	gauges   []dto.Gauge
	counters []dto.Counter
	mf       dto.MetricFamily
}

// grow returns s[:n], reallocated only when too small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// build makes the column's family, the samples' structures allocated in
// one block per kind rather than one per sample, or taken from sc when
// it is given (the family is then valid until sc builds the next);
// labels[row] are the label pairs of a row, shared by every family. A
// column without samples gives nil: an empty family is left out, as the
// registry leaves it out.
func (c *column) build(labels [][]*dto.LabelPair, sc *scratch) *dto.MetricFamily {
	n := len(c.rows)
	if n == 0 {
		return nil
	}
	if sc == nil {
		sc = &scratch{}
	}
	sc.ms, sc.ptrs = grow(sc.ms, n), grow(sc.ptrs, n)
	ms := sc.ms
	switch c.fam.typ {
	case dto.MetricType_COUNTER:
		sc.counters = grow(sc.counters, n)
		for i := range ms {
			sc.counters[i].Value = &c.vals[i]
			ms[i].Counter, ms[i].Gauge = &sc.counters[i], nil
		}
	default:
		sc.gauges = grow(sc.gauges, n)
		for i := range ms {
			sc.gauges[i].Value = &c.vals[i]
			ms[i].Gauge, ms[i].Counter = &sc.gauges[i], nil
		}
	}
	for i, row := range c.rows {
		ms[i].Label = labels[row]
		sc.ptrs[i] = &ms[i]
	}
	mf := &sc.mf
	mf.Name, mf.Help, mf.Type, mf.Metric = &c.fam.name, &c.fam.help, &c.fam.typ, sc.ptrs
	return mf
}

// scrapeSet is what one scrape serves of the supervisord_ families: the
// samples of each, as columns, and the label pairs they share.
type scrapeSet struct {
	labels  [][]*dto.LabelPair
	columns []*column // in the order of their names
}

// newScrape reads src once and takes every supervisord_ sample. The
// samples of a family are in the order of their label values (group, then
// name), the order the registry would give them.
func newScrape(src Source, opts Options) *scrapeSet {
	infos := src.Processes()
	order := make([]int32, len(infos))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		return cmp.Or(cmp.Compare(infos[a].Group, infos[b].Group), cmp.Compare(infos[a].Name, infos[b].Name))
	})
	// The two label pairs of every process, in one block; the label names
	// in the order the exposition wants them, sorted.
	pairs := make([]dto.LabelPair, 2*len(infos))
	ptrs := make([]*dto.LabelPair, 2*len(infos))
	labels := make([][]*dto.LabelPair, len(infos))
	for i := range infos {
		g, n := &pairs[2*i], &pairs[2*i+1]
		g.Name, g.Value = &labelGroup, &infos[i].Group
		n.Name, n.Value = &labelName, &infos[i].Name
		ptrs[2*i], ptrs[2*i+1] = g, n
		labels[i] = ptrs[2*i : 2*i+2 : 2*i+2]
	}

	var restarts, memRestarts map[string]uint64
	rs, hasRestarts := src.(RestartSource)
	if hasRestarts {
		restarts = rs.Restarts()
	}
	if ms, ok := src.(MemoryRestartSource); ok {
		memRestarts = ms.MemoryRestarts()
	}
	now := opts.Now()

	col := func(f *family, size int) *column {
		return &column{fam: f, rows: make([]int32, 0, size), vals: make([]float64, 0, size)}
	}
	all := len(infos)
	up, state, exit, oom := col(famUp, all), col(famState, all), col(famExitStatus, all), col(famOOMKills, all)
	start, uptime, restart := col(famStartTime, 0), col(famUptime, 0), col(famRestarts, 0)
	if hasRestarts {
		restart = col(famRestarts, all)
	}
	cpu, rss, healthy, memRestart := col(famCPU, 0), col(famRSS, 0), col(famHealthy, 0), col(famMemRestart, 0)
	treeCPU, treeMem, treePeak, treeTasks := col(famTreeCPU, 0), col(famTreeMem, 0), col(famTreePeak, 0), col(famTreeTasks, 0)
	counts := map[process.State]int{}

	for _, i32 := range order {
		i := int(i32)
		in := &infos[i]
		counts[in.State]++
		live := in.State.IsSignallable()
		up.add(i, boolValue(live))
		state.add(i, float64(in.State))
		exit.add(i, float64(in.ExitStatus))
		if live && in.Start > 0 {
			start.add(i, float64(in.Start))
			uptime.add(i, max(now.Sub(time.Unix(in.Start, 0)).Seconds(), 0))
		}
		if hasRestarts {
			restart.add(i, float64(restarts[in.FullName()]))
		}
		if live && in.Pid > 0 {
			if u, err := opts.Usage(in.Pid); err == nil {
				cpu.add(i, u.CPUSeconds)
				rss.add(i, float64(u.RSSBytes))
			}
		}
		switch in.Health {
		case "healthy":
			healthy.add(i, 1)
		case "unhealthy":
			healthy.add(i, 0)
		}
		oom.add(i, float64(in.Usage.OOMKills))
		if len(memRestarts) > 0 {
			if n := memRestarts[in.FullName()]; n > 0 {
				memRestart.add(i, float64(n))
			}
		}
		if u := in.Usage; u.Measured {
			treeCPU.add(i, u.CPUSeconds)
			treeMem.add(i, float64(u.MemoryBytes))
			if u.MemoryPeakBytes > 0 {
				treePeak.add(i, float64(u.MemoryPeakBytes))
			}
			treeTasks.add(i, float64(u.Tasks))
		}
	}

	sc := &scrapeSet{labels: labels, columns: []*column{up, state, exit, start, uptime, restart, cpu, rss,
		healthy, oom, memRestart, treeCPU, treeMem, treePeak, treeTasks}}
	sc.columns = append(sc.columns, stateCounts(counts))
	if ds, ok := src.(DropSource); ok {
		sc.columns = append(sc.columns, drops(ds.Drops()))
	}
	slices.SortFunc(sc.columns, func(a, b *column) int { return cmp.Compare(a.fam.name, b.fam.name) })
	return sc
}

// each builds the families one after the other into one scratch and
// hands each to f, which must be done with it when it returns; it stops
// at f's first error.
func (sc *scrapeSet) each(f func(*dto.MetricFamily) error) error {
	var mem scratch
	for _, c := range sc.columns {
		if mf := c.build(sc.labelsOf(c), &mem); mf != nil {
			if err := f(mf); err != nil {
				return err
			}
		}
	}
	return nil
}

// labelsOf is the label pairs of c's rows.
func (sc *scrapeSet) labelsOf(c *column) [][]*dto.LabelPair {
	if c.labels != nil {
		return c.labels
	}
	return sc.labels
}

// stateCounts is supervisord_processes: a series for every state, zeros
// included, in the order of the state names.
func stateCounts(counts map[process.State]int) *column {
	states := []process.State{
		process.Stopped, process.Starting, process.Running, process.Backoff,
		process.Stopping, process.Exited, process.Fatal, process.Unknown,
	}
	slices.SortFunc(states, func(a, b process.State) int { return cmp.Compare(a.String(), b.String()) })
	names := make([]string, len(states))
	for i, st := range states {
		names[i] = st.String()
	}
	c := &column{fam: famProcesses, labels: make([][]*dto.LabelPair, len(states))}
	for i, st := range states {
		c.labels[i] = []*dto.LabelPair{{Name: &labelState, Value: &names[i]}}
		c.add(i, float64(counts[st]))
	}
	return c
}

// drops is supervisord_dropped_total, one series per kind of drop, in
// the order of the kinds' names; without samples when the source reports
// none.
func drops(counts map[string]uint64) *column {
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	slices.Sort(names)
	c := &column{fam: famDropped, labels: make([][]*dto.LabelPair, len(names))}
	for i := range names {
		c.labels[i] = []*dto.LabelPair{{Name: &labelWhat, Value: &names[i]}}
		c.add(i, float64(counts[names[i]]))
	}
	return c
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
