package supervisor

import "supervisord/internal/process"

// Processes implements metrics.Source: every process row, with its
// tree's last usage reading, in one slice. Unlike Groups it leaves out the
// description (a formatted string per process that no metric shows) and
// the time of the reply.
func (s *Supervisor) Processes() []process.Info {
	snap := s.current()
	if snap == nil {
		return nil
	}
	s.RefreshUsage()
	n := 0
	for _, g := range snap.groups {
		n += len(g.Processes)
	}
	out := make([]process.Info, 0, n)
	for i, g := range snap.groups {
		for j, info := range g.Processes {
			fillCachedUsage(&info, snap.cgroups[i][j])
			out = append(out, info)
		}
	}
	return out
}

// Restarts implements metrics.RestartSource: starts after the first, per
// "group:name".
func (s *Supervisor) Restarts() map[string]uint64 {
	snap := s.current()
	out := map[string]uint64{}
	if snap != nil {
		for i, g := range snap.groups {
			for j, n := range snap.restarts[i] {
				if n > 0 {
					out[g.Name+":"+g.Processes[j].Name] = n
				}
			}
		}
	}
	return out
}
