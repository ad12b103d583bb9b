// Package supervisor is the daemon's core: one goroutine (the loop) owns
// every process, group and timer, spawns children and reaps them. Control
// requests, signals and timers reach it as messages; readers get an
// immutable snapshot that the loop publishes on demand after a change.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"

	"supervisord/internal/config"
	"supervisord/internal/faults"
	"supervisord/internal/logfile"
	"supervisord/internal/process"
	"supervisord/internal/reaper"
	"supervisord/internal/rpc"
)

// Options configures a Supervisor.
type Options struct {
	// Logger receives the daemon's log lines (Supervisor's levels are
	// mapped with SlogLevel).
	Logger *slog.Logger
	// Reload reads the configuration file again (for reloadConfig, HUP
	// and restart). Nil means config.Load of the current file.
	Reload func() (*config.Config, error)
	// Environ is the daemon's base environment for children; nil means
	// os.Environ() at New.
	Environ []string
	// ServerURL is exported to children as SUPERVISOR_SERVER_URL when
	// not empty.
	ServerURL string
	// Signals: when true, Run installs handlers for TERM, INT, QUIT, HUP
	// and USR2 (a daemon does; tests embedding several supervisors
	// don't).
	Signals bool
	// ReopenLogs is called on SIGUSR2 in addition to reopening child logs
	// (the main log).
	ReopenLogs func()
	// ClearMainLog truncates the main log (clearLog); nil means the
	// daemon has no log file to clear.
	ClearMainLog func() error
	// Outputs are the daemon-wide console and syslog destinations that
	// child streams share. Nil means the daemon's own stdout and stderr.
	Outputs *logfile.Outputs
	// Clock is where the loop reads the time and gets its timer; nil
	// means the wall clock.
	Clock Clock
	// SdNotify, when not nil, receives the daemon's state for the service
	// manager (see sdnotify.go).
	SdNotify *SdNotifier
	// Jitter is the source of backoff=exponential's jitter, in [-1, 1];
	// nil means uniformly random. Tests set it to make delays exact.
	Jitter func() float64
	// Containment is the cgroup set-up (NewContainment); nil means none,
	// the reference's behaviour. The Supervisor owns it once Run starts.
	Containment *Containment
	// Widen, when set, gives CPU-bound background work (the usage sweep)
	// a processor of its own until the func it returns is called.
	Widen func() (restore func())
}

// Supervisor runs the processes of one configuration.
type Supervisor struct {
	opts  Options
	log   *slog.Logger
	cmds  chan func(*loop)
	snap  atomic.Pointer[snapshot]
	dirty atomic.Bool
	reaps atomic.Uint64 // wait4 passes over the children so far
	state atomic.Int32  // process.SupervisorState
	done  chan struct{}

	mu  sync.Mutex // guards cfg
	cfg *config.Config

	loop *loop // owned by the loop goroutine once Run starts
	sink *eventSink
	// drops counts what full queues dropped, for the log and /metrics.
	drops *drops
	subs  subscribers // state-change subscriptions (Subscribe)
	sweep usageSweep  // background usage readings (usagesweep.go)
	calls quietCalls  // memory handed back once requests stop (memory.go)
}

// Result is how Run ended.
type Result struct {
	// Restart is set when the daemon should start again with Next (HUP
	// or the restart method); otherwise it shut down.
	Restart bool
	Next    *config.Config
	// ExitStatus is the status the daemon process should exit with after
	// a shutdown: the one given to ShutdownWithStatus, else 0.
	ExitStatus int
}

// New returns a Supervisor for cfg. Nothing starts until Run.
func New(cfg *config.Config, opts Options) *Supervisor {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Environ == nil {
		opts.Environ = os.Environ()
	}
	if opts.Reload == nil {
		file := cfg.File
		opts.Reload = func() (*config.Config, error) { return config.Load(file, config.LoadOptions{}) }
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Outputs == nil {
		opts.Outputs = logfile.NewOutputs(os.Stdout, os.Stderr, logfile.OutputsOptions{Logger: opts.Logger})
	}
	s := &Supervisor{
		opts: opts,
		log:  opts.Logger,
		cmds: make(chan func(*loop)),
		done: make(chan struct{}),
		cfg:  cfg,
	}
	s.state.Store(int32(process.SupervisorRunning))
	s.drops = newDrops(opts.Logger, opts.Clock)
	s.sink = newEventSink(s.drops.events)
	s.loop = newLoop(s, cfg)
	s.dirty.Store(true)
	return s
}

// Run supervises until shutdown (TERM, INT, QUIT or the shutdown method)
// or restart (HUP or the restart method), and stops every process before
// returning. Cancelling ctx is a shutdown.
func (s *Supervisor) Run(ctx context.Context) Result {
	defer close(s.done)
	sigs := make(chan os.Signal, 16)
	chld := make(chan os.Signal, 1)
	reaper.Notify(chld)
	defer reaper.Stop(chld)
	if s.opts.Signals {
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR2)
		defer signal.Stop(sigs)
	}
	return s.loop.run(ctx, sigs, chld)
}

// Done is closed when Run has returned.
func (s *Supervisor) Done() <-chan struct{} { return s.done }

// do runs f on the loop goroutine and waits for it. It fails with
// SHUTDOWN_STATE once the loop has ended.
func (s *Supervisor) do(ctx context.Context, f func(*loop)) error {
	ran := make(chan struct{})
	wrapped := func(l *loop) { f(l); close(ran) }
	select {
	case s.cmds <- wrapped:
	case <-s.done:
		return faults.New(faults.ShutdownState, "")
	case <-ctx.Done():
		return ctx.Err()
	}
	<-ran
	return nil
}

// doQuiet is do for f that only reads the loop's state: the step after it
// visits no process (afterCommand), so a probe or a snapshot refresh costs
// the loop what f costs, not a pass over every process.
func (s *Supervisor) doQuiet(ctx context.Context, f func(*loop)) error {
	return s.do(ctx, func(l *loop) { f(l); l.sched.quiet = true })
}

// errShutdown is returned for requests the loop refuses while stopping.
var errShutdown = faults.New(faults.ShutdownState, "")

// SlogLevel maps a Supervisor level onto an slog level: info is
// slog.LevelInfo, warn slog.LevelWarn, error slog.LevelError, debug
// slog.LevelDebug; critical, trace and blather extend the scale by the
// same steps.
func SlogLevel(l config.Level) slog.Level { return l.Slog() }

var _ rpc.Backend = (*Supervisor)(nil)

// wrapFault turns loop errors into API faults.
func wrapFault(err error) error {
	if err == nil {
		return nil
	}
	var f *faults.Error
	if errors.As(err, &f) {
		return f
	}
	return faults.New(faults.Failed, err.Error())
}

func badName(group, name string) error {
	if group == name || group == "" {
		return faults.New(faults.BadName, name)
	}
	return faults.New(faults.BadName, fmt.Sprintf("%s:%s", group, name))
}
