package supervisor

import (
	"context"
	"fmt"

	"supervisord/internal/health"
	"supervisord/internal/process"
)

// Healthz reports whether the loop answers: nil when it ran a no-op
// before ctx ended. It backs the /healthz probe.
func (s *Supervisor) Healthz(ctx context.Context) error {
	return s.doQuiet(ctx, func(*loop) {})
}

// Readyz reports whether the daemon is ready to serve: running (not
// stopping or restarting) with every autostart program RUNNING and, where
// it has a liveness check, healthy. notReady lists what is not, one
// "name: STATE" per program, in start order. It backs the /readyz probe.
func (s *Supervisor) Readyz(ctx context.Context) (ready bool, notReady []string, err error) {
	err = s.doQuiet(ctx, func(l *loop) {
		if l.mood != process.SupervisorRunning {
			notReady = append(notReady, "supervisord: "+l.mood.String())
		}
		for _, g := range l.groups {
			for _, p := range g.procs {
				if !p.Config.Autostart {
					continue
				}
				switch {
				case p.State != process.Running:
					notReady = append(notReady, fmt.Sprintf("%s: %s", p.fullName(), p.State))
				case p.Config.Liveness != nil && p.health != health.Healthy:
					notReady = append(notReady, fmt.Sprintf("%s: RUNNING (liveness %s)", p.fullName(), p.health))
				}
			}
		}
	})
	if err != nil {
		return false, nil, err
	}
	return len(notReady) == 0, notReady, nil
}
