package supervisor

import "supervisord/internal/process"

// Processes implements metrics.Source: every process row.
func (s *Supervisor) Processes() []process.Info {
	var out []process.Info
	for _, g := range s.Groups() {
		out = append(out, g.Processes...)
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
