package rpc

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

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
	if err := allowed(ctx, name); err != nil {
		return nil, err
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
