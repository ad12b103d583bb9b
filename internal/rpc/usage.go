package rpc

import (
	"supervisord/internal/process"
	"supervisord/internal/xmlrpc"
)

// usageMembers are the extra members of a process info struct that carry
// what the process's whole tree uses, read from its cgroup; none when it
// is not measured. Clients ignore members they do not know, as with
// health.
func usageMembers(p *process.Info) []xmlrpc.Member {
	u := p.Usage
	if !u.Measured {
		return nil
	}
	return []xmlrpc.Member{
		{Name: "cpu_seconds", Value: u.CPUSeconds},
		{Name: "memory_bytes", Value: int64(u.MemoryBytes)},
		{Name: "memory_peak_bytes", Value: int64(u.MemoryPeakBytes)},
		{Name: "tasks", Value: u.Tasks},
		{Name: "oom_kills", Value: int64(u.OOMKills)},
	}
}
