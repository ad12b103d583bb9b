package metrics

import (
	"cmp"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"

	"supervisord/internal/process"
)

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
}

func (c *column) add(row int, v float64) {
	c.rows = append(c.rows, int32(row))
	c.vals = append(c.vals, v)
}

// build makes the column's family, the samples' structures allocated in
// one block per kind rather than one per sample; labels[row] are the
// label pairs of a row, shared by every family. A column without samples
// gives nil: an empty family is left out, as the registry leaves it out.
func (c *column) build(labels [][]*dto.LabelPair) *dto.MetricFamily {
	n := len(c.rows)
	if n == 0 {
		return nil
	}
	ms := make([]dto.Metric, n)
	ptrs := make([]*dto.Metric, n)
	switch c.fam.typ {
	case dto.MetricType_COUNTER:
		cs := make([]dto.Counter, n)
		for i := range ms {
			cs[i].Value = &c.vals[i]
			ms[i].Counter = &cs[i]
		}
	default:
		gs := make([]dto.Gauge, n)
		for i := range ms {
			gs[i].Value = &c.vals[i]
			ms[i].Gauge = &gs[i]
		}
	}
	for i, row := range c.rows {
		ms[i].Label = labels[row]
		ptrs[i] = &ms[i]
	}
	return &dto.MetricFamily{Name: &c.fam.name, Help: &c.fam.help, Type: &c.fam.typ, Metric: ptrs}
}

// processFamilies reads src once and builds every supervisord_ family.
// The samples of a family are in the order of their label values (group,
// then name), the order the registry would give them.
func processFamilies(src Source, opts Options) []*dto.MetricFamily {
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

	var out []*dto.MetricFamily
	for _, c := range []*column{up, state, exit, start, uptime, restart, cpu, rss, healthy, oom, memRestart, treeCPU, treeMem, treePeak, treeTasks} {
		if f := c.build(labels); f != nil {
			out = append(out, f)
		}
	}
	out = append(out, stateCounts(counts))
	if ds, ok := src.(DropSource); ok {
		if f := drops(ds.Drops()); f != nil {
			out = append(out, f)
		}
	}
	return out
}

// stateCounts is supervisord_processes: a series for every state, zeros
// included, in the order of the state names.
func stateCounts(counts map[process.State]int) *dto.MetricFamily {
	states := []process.State{
		process.Stopped, process.Starting, process.Running, process.Backoff,
		process.Stopping, process.Exited, process.Fatal, process.Unknown,
	}
	slices.SortFunc(states, func(a, b process.State) int { return cmp.Compare(a.String(), b.String()) })
	names := make([]string, len(states))
	for i, st := range states {
		names[i] = st.String()
	}
	c := &column{fam: famProcesses}
	labels := make([][]*dto.LabelPair, len(states))
	for i, st := range states {
		labels[i] = []*dto.LabelPair{{Name: &labelState, Value: &names[i]}}
		c.add(i, float64(counts[st]))
	}
	return c.build(labels)
}

// drops is supervisord_dropped_total, one series per kind of drop, in
// the order of the kinds' names; nil when the source reports none.
func drops(counts map[string]uint64) *dto.MetricFamily {
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	slices.Sort(names)
	c := &column{fam: famDropped}
	labels := make([][]*dto.LabelPair, len(names))
	for i := range names {
		labels[i] = []*dto.LabelPair{{Name: &labelWhat, Value: &names[i]}}
		c.add(i, float64(counts[names[i]]))
	}
	return c.build(labels)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
