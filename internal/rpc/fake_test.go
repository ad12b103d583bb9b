package rpc

import (
	"context"
	"fmt"
	"sync"
	"syscall"

	"supervisord/internal/config"
	"supervisord/internal/faults"
	"supervisord/internal/process"
)

// fakeBackend is an in-memory Backend that records every call.
type fakeBackend struct {
	mu      sync.Mutex // guards everything below
	state   process.SupervisorState
	groups  []GroupSnapshot
	cfg     *config.Config
	mainLog string
	calls   []string
	// errs maps "Method group:name" (or "Method" for daemon calls) to the
	// error to return.
	errs map[string]error
}

func newFake() *fakeBackend {
	return &fakeBackend{
		state: process.SupervisorRunning,
		groups: []GroupSnapshot{
			{Name: "web", Priority: 1, Processes: []process.Info{
				{Name: "web", Group: "web", State: process.Running, Pid: 42, Start: 1000},
			}},
			{Name: "workers", Priority: 2, Processes: []process.Info{
				{Name: "w1", Group: "workers", State: process.Stopped},
				{Name: "w0", Group: "workers", State: process.Running, Pid: 7, Start: 1000},
				{Name: "w2", Group: "workers", State: process.Fatal, SpawnErr: "can't find command 'nope'"},
			}},
			{Name: "aaa", Priority: 3, Processes: []process.Info{
				{Name: "aaa", Group: "aaa", State: process.Exited, Start: 5, Stop: 10},
			}},
		},
		errs: map[string]error{},
	}
}

func (f *fakeBackend) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return f.errs[call]
}

func (f *fakeBackend) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeBackend) Identifier() string { return "supervisor" }
func (f *fakeBackend) State() process.SupervisorState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}
func (f *fakeBackend) Pid() int               { return 4242 }
func (f *fakeBackend) Config() *config.Config { return f.cfg }
func (f *fakeBackend) Groups() []GroupSnapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cfg != nil { // rows report the log paths, as the daemon's do
		for _, g := range f.cfg.Groups {
			for _, pc := range g.Processes {
				for gi := range f.groups {
					for pi := range f.groups[gi].Processes {
						if p := &f.groups[gi].Processes[pi]; f.groups[gi].Name == g.Name && p.Name == pc.Name {
							p.StdoutLogfile = process.StreamPath(pc.Stdout)
							p.StderrLogfile = process.StreamPath(pc.Stderr)
						}
					}
				}
			}
		}
	}
	return f.groups
}
func (f *fakeBackend) StartProcess(_ context.Context, g, n string, wait bool) error {
	return f.record(fmt.Sprintf("StartProcess %s:%s", g, n))
}
func (f *fakeBackend) StopProcess(_ context.Context, g, n string, wait bool) error {
	return f.record(fmt.Sprintf("StopProcess %s:%s", g, n))
}
func (f *fakeBackend) SignalProcess(g, n string, sig syscall.Signal) error {
	return f.record(fmt.Sprintf("SignalProcess %s:%s %d", g, n, sig))
}
func (f *fakeBackend) SendProcessStdin(g, n string, data []byte) error {
	return f.record(fmt.Sprintf("SendProcessStdin %s:%s %q", g, n, data))
}
func (f *fakeBackend) ReloadConfig() (added, changed, removed []string, err error) {
	if err := f.record("ReloadConfig"); err != nil {
		return nil, nil, nil, err
	}
	return []string{"new"}, nil, []string{"old"}, nil
}
func (f *fakeBackend) AddProcessGroup(name string) error { return f.record("AddProcessGroup " + name) }
func (f *fakeBackend) RemoveProcessGroup(name string) error {
	return f.record("RemoveProcessGroup " + name)
}
func (f *fakeBackend) Shutdown() error     { return f.record("Shutdown") }
func (f *fakeBackend) Restart() error      { return f.record("Restart") }
func (f *fakeBackend) MainLogfile() string { return f.mainLog }
func (f *fakeBackend) ClearMainLog() error { return f.record("ClearMainLog") }
func (f *fakeBackend) ClearProcessLogs(g, n string) error {
	return f.record(fmt.Sprintf("ClearProcessLogs %s:%s", g, n))
}
func (f *fakeBackend) SendRemoteCommEvent(typ, data string) error {
	return f.record(fmt.Sprintf("SendRemoteCommEvent %s %s", typ, data))
}

var _ Backend = (*fakeBackend)(nil)

func fault(code faults.Code, detail string) error { return faults.New(code, detail) }
