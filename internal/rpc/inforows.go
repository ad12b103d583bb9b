package rpc

import (
	"slices"
	"sort"
	"sync"

	"supervisord/internal/process"
	"supervisord/internal/xmlrpc"
)

// infoRow is getProcessInfo's reply: it encodes itself straight from the
// snapshot row, the same bytes as the xmlrpc.Struct that info builds.
type infoRow struct {
	a   *API
	g   *GroupSnapshot
	p   *process.Info
	now int64
	// cached: take the usage from the last reading (a row of a reply
	// about every process, after RefreshUsage).
	cached bool
}

func (r infoRow) AppendXMLRPC(b []byte) ([]byte, error) {
	p := r.p
	b = xmlrpc.StructStart(b)
	b = xmlrpc.StringMember(b, "name", p.Name)
	b = xmlrpc.StringMember(b, "group", r.g.Name)
	b = xmlrpc.IntMember(b, "start", capInt(p.Start))
	b = xmlrpc.IntMember(b, "stop", capInt(p.Stop))
	b = xmlrpc.IntMember(b, "now", capInt(r.now))
	b = xmlrpc.IntMember(b, "state", int64(p.State))
	b = xmlrpc.StringMember(b, "statename", p.State.String())
	b = xmlrpc.StringMember(b, "spawnerr", p.SpawnErr)
	b = xmlrpc.IntMember(b, "exitstatus", int64(p.ExitStatus))
	b = xmlrpc.StringMember(b, "logfile", p.StdoutLogfile)
	b = xmlrpc.StringMember(b, "stdout_logfile", p.StdoutLogfile)
	b = xmlrpc.StringMember(b, "stderr_logfile", p.StderrLogfile)
	b = xmlrpc.IntMember(b, "pid", int64(p.Pid))
	b = r.a.descriptionMember(b, p, r.now)
	if p.Health != "" {
		b = xmlrpc.StringMember(b, "health", p.Health)
	}
	u := p.Usage
	if ur, ok := r.a.b.(UsageReader); ok {
		if r.cached {
			u = ur.CachedUsage(r.g.Name, p.Name, u)
		} else {
			u = ur.ReadUsage(r.g.Name, p.Name, u)
		}
	}
	if u.Measured {
		b = xmlrpc.DoubleMember(b, "cpu_seconds", u.CPUSeconds)
		b = xmlrpc.IntMember(b, "memory_bytes", int64(u.MemoryBytes))
		b = xmlrpc.IntMember(b, "memory_peak_bytes", int64(u.MemoryPeakBytes))
		b = xmlrpc.IntMember(b, "tasks", int64(u.Tasks))
		b = xmlrpc.IntMember(b, "oom_kills", int64(u.OOMKills))
	}
	return xmlrpc.StructEnd(b), nil
}

// usageSize is the markup of a row's five usage members, numbers included.
const usageSize = 5 * 80

// infoRows is getAllProcessInfo's reply, encoded row by row. Its row
// slice (40 bytes a process) comes from a pool and goes back once the reply
// is encoded (Release): allocated per call, it was most of what a call
// allocated, and each collection it brought on made a reply wait.
type infoRows struct {
	rows  []infoRow
	order []int // the groups' indexes, by name
}

var infoRowsPool sync.Pool

// Release implements xmlrpc.Releaser: the server is done with the reply.
func (rs *infoRows) Release() {
	clear(rs.rows) // no row keeps a snapshot alive from the pool
	rs.rows = rs.rows[:0]
	infoRowsPool.Put(rs)
}

// EncodedSize implements xmlrpc.Sizer: the markup of a row is about 1,100
// bytes, plus its strings (the description is under 128) and its usage
// members when it has them.
func (rs *infoRows) EncodedSize() int {
	n := 64
	for _, r := range rs.rows {
		p := r.p
		n += 1100 + 128 + usageSize + len(p.Name) + len(r.g.Name) + 2*len(p.StdoutLogfile) + len(p.StderrLogfile) + len(p.SpawnErr) + len(p.Health)
	}
	return n
}

func (rs *infoRows) AppendXMLRPC(b []byte) ([]byte, error) {
	b = xmlrpc.ArrayStart(b)
	for _, r := range rs.rows {
		b, _ = r.AppendXMLRPC(b)
	}
	return xmlrpc.ArrayEnd(b), nil
}

// StreamXMLRPC implements xmlrpc.Streamer: the rows are handed to flush
// a chunk at a time.
func (rs *infoRows) StreamXMLRPC(b []byte, chunk int, flush func([]byte) error) ([]byte, error) {
	b = xmlrpc.ArrayStart(b)
	for _, r := range rs.rows {
		b, _ = r.AppendXMLRPC(b)
		if len(b) >= chunk {
			if err := flush(b); err != nil {
				return nil, err
			}
			b = b[:0]
		}
	}
	return xmlrpc.ArrayEnd(b), nil
}

// allInfoRows orders every row as AllProcessInfo does: by group name,
// then process name.
func (a *API) allInfoRows(groups []GroupSnapshot, now int64) *infoRows {
	rs, _ := infoRowsPool.Get().(*infoRows)
	if rs == nil {
		rs = &infoRows{}
	}
	order := rs.order[:0]
	n := 0
	for i := range groups {
		order = append(order, i)
		n += len(groups[i].Processes)
	}
	rs.order = order
	sort.SliceStable(order, func(x, y int) bool { return groups[order[x]].Name < groups[order[y]].Name })
	_, cached := a.b.(UsageReader)
	if cached {
		a.b.(UsageReader).RefreshUsage()
	}
	out := slices.Grow(rs.rows[:0], n)
	for _, gi := range order {
		g := &groups[gi]
		start := len(out)
		for i := range g.Processes {
			out = append(out, infoRow{a: a, g: g, p: &g.Processes[i], now: now, cached: cached})
		}
		rows := out[start:]
		sort.SliceStable(rows, func(x, y int) bool { return rows[x].p.Name < rows[y].p.Name })
	}
	rs.rows = out
	return rs
}
