package server

import (
	"context"
	"sync"
	"syscall"

	"supervisord/internal/config"
	"supervisord/internal/faults"
	"supervisord/internal/process"
	"supervisord/internal/rpc"
)

// memBackend is an in-memory supervisor: starts and stops flip states at
// once, and the fault rules follow Supervisor's.
type memBackend struct {
	mu      sync.Mutex // guards groups, state, stdin, events, logs
	groups  []rpc.GroupSnapshot
	state   process.SupervisorState
	cfg     *config.Config
	mainLog string
	stdin   []string
	events  []string
	// failStart makes StartProcess of a process name fail.
	failStart map[string]error
	reloadErr error
}

func newMem(cfg *config.Config, mainLog string) *memBackend {
	m := &memBackend{state: process.SupervisorRunning, cfg: cfg, mainLog: mainLog}
	for _, g := range cfg.Groups {
		gs := rpc.GroupSnapshot{Name: g.Name, Priority: g.Priority}
		for _, p := range g.Processes {
			gs.Processes = append(gs.Processes, process.Info{Name: p.Name, Group: g.Name, State: process.Stopped,
				StdoutLogfile: process.StreamPath(p.Stdout), StderrLogfile: process.StreamPath(p.Stderr)})
		}
		m.groups = append(m.groups, gs)
	}
	return m
}

func (m *memBackend) find(g, n string) (*process.Info, error) {
	for i := range m.groups {
		if m.groups[i].Name != g {
			continue
		}
		for j := range m.groups[i].Processes {
			if m.groups[i].Processes[j].Name == n {
				return &m.groups[i].Processes[j], nil
			}
		}
	}
	return nil, faults.New(faults.BadName, g+":"+n)
}

// update copies the snapshot before changing it, so that readers keep an
// immutable view.
func (m *memBackend) update(g, n string, fn func(p *process.Info) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	groups := make([]rpc.GroupSnapshot, len(m.groups))
	for i, gs := range m.groups {
		groups[i] = gs
		groups[i].Processes = append([]process.Info(nil), gs.Processes...)
	}
	m.groups = groups
	p, err := m.find(g, n)
	if err != nil {
		return err
	}
	return fn(p)
}

func (m *memBackend) Identifier() string { return "supervisor" }
func (m *memBackend) State() process.SupervisorState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}
func (m *memBackend) Pid() int               { return 4242 }
func (m *memBackend) Config() *config.Config { return m.cfg }
func (m *memBackend) Groups() []rpc.GroupSnapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.groups
}
func (m *memBackend) StartProcess(_ context.Context, g, n string, wait bool) error {
	m.mu.Lock()
	err := m.failStart[n]
	m.mu.Unlock()
	if err != nil {
		return err
	}
	return m.update(g, n, func(p *process.Info) error {
		if p.State.IsRunning() {
			return faults.New(faults.AlreadyStarted, n)
		}
		p.State, p.Pid, p.Start, p.Now = process.Running, 1000+len(p.Name), 1700000000, 1700000000
		return nil
	})
}
func (m *memBackend) StopProcess(_ context.Context, g, n string, wait bool) error {
	return m.update(g, n, func(p *process.Info) error {
		if !p.State.IsRunning() {
			return faults.New(faults.NotRunning, n)
		}
		p.State, p.Pid, p.Stop = process.Stopped, 0, 1700000100
		return nil
	})
}
func (m *memBackend) SignalProcess(g, n string, sig syscall.Signal) error {
	return m.update(g, n, func(p *process.Info) error { return nil })
}
func (m *memBackend) SendProcessStdin(g, n string, data []byte) error {
	return m.update(g, n, func(p *process.Info) error {
		if p.Pid == 0 {
			return faults.New(faults.NotRunning, n)
		}
		m.stdin = append(m.stdin, string(data))
		return nil
	})
}
func (m *memBackend) ReloadConfig() (added, changed, removed []string, err error) {
	if m.reloadErr != nil {
		return nil, nil, nil, m.reloadErr
	}
	return []string{"new"}, nil, nil, nil
}
func (m *memBackend) AddProcessGroup(name string) error {
	for _, g := range m.Groups() {
		if g.Name == name {
			return faults.New(faults.AlreadyAdded, name)
		}
	}
	return faults.New(faults.BadName, name)
}
func (m *memBackend) RemoveProcessGroup(name string) error {
	for _, g := range m.Groups() {
		if g.Name == name {
			for _, p := range g.Processes {
				if p.State.IsRunning() {
					return faults.New(faults.StillRunning, name)
				}
			}
			return nil
		}
	}
	return faults.New(faults.BadName, name)
}
func (m *memBackend) Shutdown() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state = process.SupervisorShutdown
	return nil
}
func (m *memBackend) Restart() error      { return nil }
func (m *memBackend) MainLogfile() string { return m.mainLog }
func (m *memBackend) ClearMainLog() error { return nil }
func (m *memBackend) ClearProcessLogs(g, n string) error {
	_, err := m.find(g, n)
	return err
}
func (m *memBackend) SendRemoteCommEvent(typ, data string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, typ+" "+data)
	return nil
}
