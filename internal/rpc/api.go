package rpc

import (
	"context"
	"errors"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/faults"
	"supervisord/internal/logfile"
	"supervisord/internal/process"
	"supervisord/internal/xmlrpc"
)

// Version strings the API reports.
const (
	APIVersion        = "3.0"
	SupervisorVersion = "4.2.5"
)

// Options tune an API. Zero values give the defaults.
type Options struct {
	// Location is the zone for stop times in descriptions; default
	// time.Local.
	Location *time.Location
	// Now is the clock for the "now" field and uptimes; default time.Now.
	Now func() time.Time
	// ReadRange and Tail read log files; default logfile.ReadRange and
	// logfile.Tail.
	ReadRange func(path string, offset, length int64) ([]byte, error)
	Tail      func(path string, offset, length int64) (data []byte, newOffset int64, overflow bool, err error)
}

// ProcessRef names one process of a group.
type ProcessRef struct{ Group, Name string }

// BatchBackend may be implemented by a Backend to start or stop several
// processes the way Supervisor does for a group or for all processes:
// act on each in order without waiting, then wait for all of them. done
// must be called exactly once per process, in the order the outcomes
// become known (failures found before acting first), and the methods
// return after the last call. Without it the API waits on the processes
// concurrently and reports them in process order once all are done.
type BatchBackend interface {
	StartProcesses(ctx context.Context, procs []ProcessRef, wait bool, done func(i int, err error))
	StopProcesses(ctx context.Context, procs []ProcessRef, wait bool, done func(i int, err error))
}

// API serves the supervisor.* and system.* methods over a Backend.
type API struct {
	b       Backend
	loc     *time.Location
	now     func() time.Time
	read    func(path string, offset, length int64) ([]byte, error)
	tail    func(path string, offset, length int64) ([]byte, int64, bool, error)
	methods map[string]*method
	names   []string // sorted
}

type method struct {
	fn   func(ctx context.Context, args []any) (any, error)
	help string
	sig  []string // return type, then parameter types
}

// New returns an API over b.
func New(b Backend, opts Options) *API {
	a := &API{b: b, loc: opts.Location, now: opts.Now, read: opts.ReadRange, tail: opts.Tail}
	if a.loc == nil {
		a.loc = time.Local
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.read == nil {
		a.read = logfile.ReadRange
	}
	if a.tail == nil {
		a.tail = logfile.Tail
	}
	a.methods = a.table()
	for n := range a.methods {
		a.names = append(a.names, n)
	}
	sort.Strings(a.names)
	return a
}

// Call runs one method. A failure is a *faults.Error (or, for backend
// failures without a code, any error; Fault maps both).
func (a *API) Call(ctx context.Context, name string, args []any) (any, error) {
	// Supervisor accepts exactly "namespace.method" and never a name
	// starting with an underscore.
	ns, m, ok := strings.Cut(name, ".")
	if !ok || strings.Contains(m, ".") || strings.HasPrefix(m, "_") || ns == "" {
		return nil, faults.New(faults.UnknownMethod, "")
	}
	meth := a.methods[name]
	if meth == nil {
		return nil, faults.New(faults.UnknownMethod, "")
	}
	return meth.fn(ctx, args)
}

// Fault is the one place failures become wire faults: *faults.Error keeps
// its code and string, anything else is FAILED with its message.
func Fault(err error) *xmlrpc.Fault {
	var fe *faults.Error
	if errors.As(err, &fe) {
		return &xmlrpc.Fault{Code: int(fe.Code), String: fe.FaultString()}
	}
	var xf *xmlrpc.Fault
	if errors.As(err, &xf) {
		return xf
	}
	return &xmlrpc.Fault{Code: int(faults.Failed), String: faults.New(faults.Failed, err.Error()).FaultString()}
}

// checkState fails with SHUTDOWN_STATE once the daemon is shutting down
// or restarting.
func (a *API) checkState() error {
	if s := a.b.State(); s == process.SupervisorShutdown || s == process.SupervisorRestarting {
		return faults.New(faults.ShutdownState, "")
	}
	return nil
}

// renamed replaces the detail of faults that Supervisor reports with the
// process name as the client spelled it.
func renamed(err error, spec string, codes ...faults.Code) error {
	var fe *faults.Error
	if !errors.As(err, &fe) {
		return err
	}
	for _, c := range codes {
		if fe.Code == c {
			return faults.New(c, spec)
		}
	}
	return err
}

var nameFaults = []faults.Code{faults.BadName, faults.AlreadyStarted, faults.SpawnError,
	faults.AbnormalTermination, faults.NotRunning}

// result builds a group operation's row.
func result(group, name string, err error) xmlrpc.Struct {
	code, desc := int(faults.Success), "OK"
	if err != nil {
		f := Fault(err)
		code, desc = f.Code, f.String
	}
	return xmlrpc.Struct{{Name: "name", Value: name}, {Name: "group", Value: group},
		{Name: "status", Value: code}, {Name: "description", Value: desc}}
}

// ---- process control ----

func (a *API) startProcess(ctx context.Context, args []any) (any, error) {
	return a.control(ctx, args, true)
}

func (a *API) stopProcess(ctx context.Context, args []any) (any, error) {
	return a.control(ctx, args, false)
}

// control is startProcess (start) or stopProcess: one process, or a whole
// group when the name is "group:*".
func (a *API) control(ctx context.Context, args []any, start bool) (any, error) {
	if err := arity(args, 1, 2); err != nil {
		return nil, err
	}
	spec, err := str(args[0])
	if err != nil {
		return nil, err
	}
	wait := len(args) < 2 || truthy(args[1])
	if err := a.checkState(); err != nil {
		return nil, err
	}
	g, p, err := a.resolve(spec)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return a.runGroup(ctx, g.Name, wait, start)
	}
	act := a.b.StopProcess
	if start {
		act = a.b.StartProcess
	}
	return true, renamed(act(ctx, g.Name, p.Name, wait), spec, nameFaults...)
}

func (a *API) groupCall(start bool) func(context.Context, []any) (any, error) {
	return func(ctx context.Context, args []any) (any, error) {
		if err := arity(args, 1, 2); err != nil {
			return nil, err
		}
		name, err := str(args[0])
		if err != nil {
			return nil, err
		}
		wait := len(args) < 2 || truthy(args[1])
		if err := a.checkState(); err != nil {
			return nil, err
		}
		return a.runGroup(ctx, name, wait, start)
	}
}

func (a *API) allCall(start bool) func(context.Context, []any) (any, error) {
	return func(ctx context.Context, args []any) (any, error) {
		if err := arity(args, 0, 1); err != nil {
			return nil, err
		}
		wait := len(args) < 1 || truthy(args[0])
		if err := a.checkState(); err != nil {
			return nil, err
		}
		var procs []ProcessRef
		var infos []process.Info
		for _, g := range a.rows() {
			for _, p := range g.Processes {
				procs = append(procs, ProcessRef{g.Name, p.Name})
				infos = append(infos, p)
			}
		}
		return a.runMany(ctx, procs, infos, wait, start), nil
	}
}

func (a *API) runGroup(ctx context.Context, name string, wait, start bool) (any, error) {
	var g *GroupSnapshot
	groups := a.rows()
	for i := range groups {
		if groups[i].Name == name {
			g = &groups[i]
		}
	}
	if g == nil {
		return nil, faults.New(faults.BadName, name)
	}
	procs := make([]ProcessRef, len(g.Processes))
	for i, p := range g.Processes {
		procs[i] = ProcessRef{g.Name, p.Name}
	}
	return a.runMany(ctx, procs, g.Processes, wait, start), nil
}

// runMany starts (or stops) the processes that are not running (or are
// running), collecting one result row per process acted on, in the order
// Supervisor reports them.
func (a *API) runMany(ctx context.Context, all []ProcessRef, infos []process.Info, wait, start bool) []any {
	var procs []ProcessRef
	for i, p := range all {
		if infos[i].State.IsRunning() != start {
			procs = append(procs, p)
		}
	}
	results := []any{}
	var mu sync.Mutex // guards results
	done := func(i int, err error) {
		spec := makeNamespec(procs[i].Group, procs[i].Name)
		err = renamed(err, spec, nameFaults...)
		mu.Lock()
		results = append(results, result(procs[i].Group, procs[i].Name, err))
		mu.Unlock()
	}
	act := a.b.StopProcess
	if start {
		act = a.b.StartProcess
	}
	switch bb, ok := a.b.(BatchBackend); {
	case ok && start:
		bb.StartProcesses(ctx, procs, wait, done)
	case ok:
		bb.StopProcesses(ctx, procs, wait, done)
	case !wait:
		for i, p := range procs {
			done(i, act(ctx, p.Group, p.Name, false))
		}
	default:
		// Wait for all at once, then report in process order: the
		// order Supervisor reports processes that finish together.
		errs := make([]error, len(procs))
		var wg sync.WaitGroup
		for i, p := range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = act(ctx, p.Group, p.Name, true)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			done(i, err)
		}
	}
	return results
}

func (a *API) signalProcess(_ context.Context, args []any) (any, error) {
	if err := arity(args, 2, 2); err != nil {
		return nil, err
	}
	spec, err := str(args[0])
	if err != nil {
		return nil, err
	}
	if err := a.checkState(); err != nil {
		return nil, err
	}
	g, p, err := a.resolve(spec)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return a.signalMany(g.Processes, args[1]), nil
	}
	sig, err := signalNumber(args[1])
	if err != nil {
		return nil, err
	}
	if !p.State.IsSignallable() {
		return nil, faults.New(faults.NotRunning, spec)
	}
	return true, renamed(a.b.SignalProcess(g.Name, p.Name, sig), spec, nameFaults...)
}

func (a *API) signalMany(procs []process.Info, sigArg any) []any {
	results := []any{}
	for _, p := range procs {
		if !p.State.IsSignallable() {
			continue
		}
		sig, err := signalNumber(sigArg)
		if err == nil {
			err = renamed(a.b.SignalProcess(p.Group, p.Name, sig), makeNamespec(p.Group, p.Name), nameFaults...)
		}
		results = append(results, result(p.Group, p.Name, err))
	}
	return results
}

func (a *API) signalProcessGroup(_ context.Context, args []any) (any, error) {
	if err := arity(args, 2, 2); err != nil {
		return nil, err
	}
	name, err := str(args[0])
	if err != nil {
		return nil, err
	}
	if err := a.checkState(); err != nil {
		return nil, err
	}
	for _, g := range a.rows() {
		if g.Name == name {
			return a.signalMany(g.Processes, args[1]), nil
		}
	}
	return nil, faults.New(faults.BadName, name)
}

func (a *API) signalAllProcesses(_ context.Context, args []any) (any, error) {
	if err := arity(args, 1, 1); err != nil {
		return nil, err
	}
	var all []process.Info
	for _, g := range a.rows() {
		all = append(all, g.Processes...)
	}
	res := a.signalMany(all, args[0])
	// Supervisor checks its state only after signalling.
	if err := a.checkState(); err != nil {
		return nil, err
	}
	return res, nil
}

func (a *API) sendProcessStdin(_ context.Context, args []any) (any, error) {
	if err := arity(args, 2, 2); err != nil {
		return nil, err
	}
	spec, err := str(args[0])
	if err != nil {
		return nil, err
	}
	if err := a.checkState(); err != nil {
		return nil, err
	}
	var data []byte
	switch x := args[1].(type) {
	case string:
		data = []byte(x)
	case []byte:
		data = x
	default:
		return nil, faults.New(faults.IncorrectParameters, pyStr(args[1]))
	}
	g, p, err := a.resolve(spec)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, faults.New(faults.BadName, spec)
	}
	err = a.b.SendProcessStdin(g.Name, p.Name, data)
	return true, renamed(err, spec, append(nameFaults, faults.NoFile)...)
}

func (a *API) sendRemoteCommEvent(_ context.Context, args []any) (any, error) {
	if err := arity(args, 2, 2); err != nil {
		return nil, err
	}
	typ, err := str(args[0])
	if err != nil {
		return nil, err
	}
	data, err := str(args[1])
	if err != nil {
		return nil, err
	}
	return true, a.b.SendRemoteCommEvent(typ, data)
}

// ---- information ----

func (a *API) info(g *GroupSnapshot, p *process.Info, now int64) xmlrpc.Struct {
	st := xmlrpc.Struct{
		{Name: "name", Value: p.Name},
		{Name: "group", Value: g.Name},
		{Name: "start", Value: capInt(p.Start)},
		{Name: "stop", Value: capInt(p.Stop)},
		{Name: "now", Value: capInt(now)},
		{Name: "state", Value: int(p.State)},
		{Name: "statename", Value: p.State.String()},
		{Name: "spawnerr", Value: p.SpawnErr},
		{Name: "exitstatus", Value: p.ExitStatus},
		{Name: "logfile", Value: p.StdoutLogfile},
		{Name: "stdout_logfile", Value: p.StdoutLogfile},
		{Name: "stderr_logfile", Value: p.StderrLogfile},
		{Name: "pid", Value: p.Pid},
		{Name: "description", Value: describe(p, now, a.loc)},
	}
	if p.Health != "" {
		st = append(st, xmlrpc.Member{Name: "health", Value: p.Health})
	}
	return st
}

// capInt saturates a time stamp to the XML-RPC int range, as Supervisor
// does.
func capInt(n int64) int64 {
	return min(max(n, -1<<31), 1<<31-1)
}

func (a *API) getProcessInfo(_ context.Context, args []any) (any, error) {
	if err := arity(args, 1, 1); err != nil {
		return nil, err
	}
	spec, err := str(args[0])
	if err != nil {
		return nil, err
	}
	g, p, err := a.process(spec)
	if err != nil {
		return nil, err
	}
	return infoRow{a: a, g: g, p: p, now: a.now().Unix()}, nil
}

func (a *API) getAllProcessInfo(_ context.Context, args []any) (any, error) {
	if err := arity(args, 0, 0); err != nil {
		return nil, err
	}
	if err := a.checkState(); err != nil {
		return nil, err
	}
	return a.allInfoRows(a.rows(), a.now().Unix()), nil
}

// AllProcessInfo builds getAllProcessInfo's reply: rows ordered by group
// name, then process name.
func (a *API) AllProcessInfo(groups []GroupSnapshot, now int64) []xmlrpc.Struct {
	order := make([]int, len(groups))
	n := 0
	for i := range groups {
		order[i] = i
		n += len(groups[i].Processes)
	}
	sort.SliceStable(order, func(x, y int) bool { return groups[order[x]].Name < groups[order[y]].Name })
	out := make([]xmlrpc.Struct, 0, n)
	var idx []int
	for _, gi := range order {
		g := &groups[gi]
		idx = idx[:0]
		for i := range g.Processes {
			idx = append(idx, i)
		}
		sort.SliceStable(idx, func(x, y int) bool { return g.Processes[idx[x]].Name < g.Processes[idx[y]].Name })
		for _, i := range idx {
			out = append(out, a.info(g, &g.Processes[i], now))
		}
	}
	return out
}

// ---- daemon ----

func noArgs(fn func() (any, error)) func(context.Context, []any) (any, error) {
	return func(_ context.Context, args []any) (any, error) {
		if err := arity(args, 0, 0); err != nil {
			return nil, err
		}
		return fn()
	}
}

func (a *API) checked(fn func() (any, error)) func(context.Context, []any) (any, error) {
	return noArgs(func() (any, error) {
		if err := a.checkState(); err != nil {
			return nil, err
		}
		return fn()
	})
}

func (a *API) getState() (any, error) {
	s := a.b.State()
	return xmlrpc.Struct{{Name: "statecode", Value: int(s)}, {Name: "statename", Value: s.String()}}, nil
}

func (a *API) reloadConfig() (any, error) {
	added, changed, removed, err := a.b.ReloadConfig()
	if err != nil {
		return nil, err
	}
	nz := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return []any{[]any{nz(added), nz(changed), nz(removed)}}, nil
}

func (a *API) groupName(fn func(string) error) func(context.Context, []any) (any, error) {
	return func(_ context.Context, args []any) (any, error) {
		if err := arity(args, 1, 1); err != nil {
			return nil, err
		}
		name, err := str(args[0])
		if err != nil {
			return nil, err
		}
		if err := a.checkState(); err != nil {
			return nil, err
		}
		if err := fn(name); err != nil {
			return nil, err
		}
		return true, nil
	}
}

// ---- logs ----

func (a *API) readLog(_ context.Context, args []any) (any, error) {
	if err := arity(args, 2, 2); err != nil {
		return nil, err
	}
	if err := a.checkState(); err != nil {
		return nil, err
	}
	path := a.b.MainLogfile()
	if path == "" {
		return nil, faults.New(faults.NoFile, "")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, faults.New(faults.NoFile, path)
	}
	return a.readFile(path, args[0], args[1])
}

func (a *API) readFile(path string, offArg, lenArg any) (any, error) {
	off, err := integer(offArg)
	if err != nil {
		return nil, err
	}
	n, err := integer(lenArg)
	if err != nil {
		return nil, err
	}
	data, err := a.read(path, off, n)
	if err != nil {
		var fe *faults.Error
		if errors.As(err, &fe) {
			return nil, faults.New(fe.Code, "")
		}
		return nil, faults.New(faults.Failed, "")
	}
	return string(data), nil
}

func (a *API) clearLog() (any, error) {
	path := a.b.MainLogfile()
	if path == "" {
		return nil, faults.New(faults.NoFile, "")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, faults.New(faults.NoFile, "")
	}
	if err := a.b.ClearMainLog(); err != nil {
		var fe *faults.Error
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, faults.New(faults.Failed, "")
	}
	return true, nil
}

// LogPath returns the file a process's stdout (or stderr) log is written
// to. A process whose log is not a file (NONE, syslog, the daemon's own
// stdout) fails with NO_FILE; an unknown name with BAD_NAME.
func (a *API) LogPath(spec string, stderr bool) (string, error) {
	g, p, err := a.resolve(spec)
	if err != nil {
		return "", err
	}
	if p == nil {
		return "", faults.New(faults.BadName, spec)
	}
	return a.logFile(g.Name, p, stderr), nil
}

// MainLogPath is the daemon's log file, "" when there is none.
func (a *API) MainLogPath() string { return a.b.MainLogfile() }

// logFile finds the file target of a process stream from the
// configuration, "" when the stream is not logged to a file.
func (a *API) logFile(group string, p *process.Info, stderr bool) string {
	if cfg := a.b.Config(); cfg != nil {
		for _, g := range cfg.Groups {
			if g.Name != group {
				continue
			}
			for _, pc := range g.Processes {
				if pc.Name != p.Name {
					continue
				}
				s := pc.Stdout
				if stderr {
					s = pc.Stderr
				}
				for _, t := range s.Targets {
					if t.Kind == config.LogFile {
						return t.Path
					}
				}
				return ""
			}
		}
	}
	if stderr {
		return p.StderrLogfile
	}
	return p.StdoutLogfile
}

func (a *API) readProcessLog(stderr bool) func(context.Context, []any) (any, error) {
	return func(_ context.Context, args []any) (any, error) {
		if err := arity(args, 3, 3); err != nil {
			return nil, err
		}
		spec, err := str(args[0])
		if err != nil {
			return nil, err
		}
		if err := a.checkState(); err != nil {
			return nil, err
		}
		path, err := a.LogPath(spec, stderr)
		if err != nil {
			return nil, err
		}
		if path == "" {
			return nil, faults.New(faults.NoFile, "")
		}
		if _, err := os.Stat(path); err != nil {
			return nil, faults.New(faults.NoFile, path)
		}
		return a.readFile(path, args[1], args[2])
	}
}

func (a *API) tailProcessLog(stderr bool) func(context.Context, []any) (any, error) {
	return func(_ context.Context, args []any) (any, error) {
		if err := arity(args, 3, 3); err != nil {
			return nil, err
		}
		spec, err := str(args[0])
		if err != nil {
			return nil, err
		}
		if err := a.checkState(); err != nil {
			return nil, err
		}
		path, err := a.LogPath(spec, stderr)
		if err != nil {
			return nil, err
		}
		off, err := integer(args[1])
		if err != nil {
			return nil, err
		}
		n, err := integer(args[2])
		if err != nil {
			return nil, err
		}
		if path == "" {
			return []any{"", 0, false}, nil
		}
		if _, err := os.Stat(path); err != nil {
			return []any{"", 0, false}, nil
		}
		// Python integers do not overflow; keep the window sums in range.
		const bound = 1 << 52
		off, n = min(max(off, -bound), bound), min(max(n, -bound), bound)
		data, newOff, overflow, err := a.tail(path, off, n)
		if err != nil {
			return []any{"", off, false}, nil
		}
		return []any{string(data), newOff, overflow}, nil
	}
}

func (a *API) clearProcessLogs(_ context.Context, args []any) (any, error) {
	if err := arity(args, 1, 1); err != nil {
		return nil, err
	}
	spec, err := str(args[0])
	if err != nil {
		return nil, err
	}
	g, p, err := a.process(spec)
	if err != nil {
		return nil, err
	}
	if err := a.b.ClearProcessLogs(g.Name, p.Name); err != nil {
		var fe *faults.Error
		if errors.As(err, &fe) && fe.Code == faults.BadName {
			return nil, faults.New(faults.BadName, spec)
		}
		return nil, faults.New(faults.Failed, spec)
	}
	return true, nil
}

func (a *API) clearAllProcessLogs() (any, error) {
	results := []any{}
	for _, g := range a.rows() {
		for _, p := range g.Processes {
			var err error
			if e := a.b.ClearProcessLogs(g.Name, p.Name); e != nil {
				err = faults.New(faults.Failed, makeNamespec(g.Name, p.Name))
			}
			results = append(results, result(g.Name, p.Name, err))
		}
	}
	return results, nil
}

// ---- signals ----

var signalNames = map[string]syscall.Signal{
	"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7,
	"FPE": 8, "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14,
	"TERM": 15, "STKFLT": 16, "CHLD": 17, "CLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20,
	"TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27,
	"WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31, "RTMIN": 34, "RTMAX": 64,
	"_DFL": 0, "_IGN": 1, "_BLOCK": 0, "_UNBLOCK": 1, "_SETMASK": 2,
}

// signalNumber parses a signal given as a number or a name with or
// without "SIG", accepting the numbers Supervisor accepts.
func signalNumber(v any) (syscall.Signal, error) {
	bad := func() error { return faults.New(faults.BadSignal, pyStr(v)) }
	var n int64
	if i, err := integer(v); err == nil {
		n = i
	} else {
		s, err := str(v)
		if err != nil {
			return 0, bad()
		}
		name := strings.ToUpper(strings.TrimSpace(s))
		name = strings.TrimPrefix(name, "SIG")
		sig, ok := signalNames[name]
		if !ok {
			return 0, bad()
		}
		n = int64(sig)
	}
	if (n >= 0 && n <= 31) || n == 34 || n == 64 {
		return syscall.Signal(n), nil
	}
	return 0, bad()
}

// process finds the one process a method names, after the daemon-state
// check every method makes: BAD_NAME when spec names no process (a group
// alone does not count).
func (a *API) process(spec string) (*GroupSnapshot, *process.Info, error) {
	if err := a.checkState(); err != nil {
		return nil, nil, err
	}
	g, p, err := a.resolve(spec)
	if err != nil {
		return nil, nil, err
	}
	if p == nil {
		return nil, nil, faults.New(faults.BadName, spec)
	}
	return g, p, nil
}
