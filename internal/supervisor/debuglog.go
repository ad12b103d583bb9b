package supervisor

import (
	"context"

	"supervisord/internal/config"
)

// logUnstopped follows a "waiting for ... to die" report with each
// unstopped process's state at blather level, as the reference does;
// users chasing a slow shutdown read these.
func (l *loop) logUnstopped() {
	if !l.log.Enabled(context.Background(), SlogLevel(config.LevelBlather)) {
		return
	}
	for _, g := range l.groups {
		for _, p := range g.procs {
			if !p.State.IsStopped() {
				l.Log(config.LevelBlather, p.Config.Name+" state: "+p.State.String())
			}
		}
	}
}
