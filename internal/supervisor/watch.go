package supervisor

import (
	"fmt"
	"supervisord/internal/config"
	"supervisord/internal/watch"
)

// addWatches starts the file watches of a group's programs.
func (l *loop) addWatches(g *group) {
	for _, p := range g.procs {
		c := p.Config
		if !c.RestartWhenBinaryChanged && c.RestartDirectoryMonitor == "" {
			continue
		}
		if l.watcher == nil {
			w, err := watch.New(watch.Options{Notify: l.watchCh, Dropped: l.s.drops.watch.add, Error: func(err error) {
				l.Log(config.LevelWarn, "file watch: "+err.Error())
			}})
			if err != nil {
				l.Log(config.LevelError, "file watches disabled: "+err.Error())
				return
			}
			l.watcher = w
		}
		if c.RestartWhenBinaryChanged && len(c.Command) > 0 {
			if err := l.watcher.WatchBinary(p.fullKey(), resolveCommand(c, c.Command[0]), l.pathEnv()); err != nil {
				l.Log(config.LevelWarn, fmt.Sprintf("cannot watch the binary of '%s': %v", c.Name, err))
			}
		}
		if c.RestartDirectoryMonitor != "" {
			if err := l.watcher.WatchTree(p.fullKey(), c.RestartDirectoryMonitor, c.RestartFilePattern); err != nil {
				l.Log(config.LevelWarn, fmt.Sprintf("cannot watch %s for '%s': %v", c.RestartDirectoryMonitor, c.Name, err))
			}
		}
	}
}

func (l *loop) removeWatches(g *group) {
	if l.watcher == nil {
		return
	}
	for _, p := range g.procs {
		l.watcher.Remove(p.fullKey())
	}
}

// watchFired acts on a change to what a program watches.
func (l *loop) watchFired(ev watch.Event) {
	p := l.lookup(ev.Key)
	if p == nil {
		return
	}
	c := p.Config
	cmd, sig, what := c.RestartCmdWhenFileChanged, c.RestartSignalWhenFileChanged, "files"
	if ev.Kind == watch.Binary {
		cmd, sig, what = c.RestartCmdWhenBinaryChanged, c.RestartSignalWhenBinaryChange, "binary"
	}
	l.Log(config.LevelInfo, fmt.Sprintf("%s of '%s' changed (%s)", what, c.Name, ev.Path))
	switch {
	case len(cmd) > 0:
		l.runCommand(p, "restart command", cmd)
	case sig != 0:
		if p.State.IsSignallable() {
			l.stepDone(p.Signal(l, sig, l.now))
		}
	default:
		l.restart(p)
	}
}
