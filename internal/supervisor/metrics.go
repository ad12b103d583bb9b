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
	s.Groups() // refresh the snapshot when stale
	snap := s.snap.Load()
	out := map[string]uint64{}
	if snap != nil {
		for k, v := range snap.restarts {
			out[k] = v
		}
	}
	return out
}
