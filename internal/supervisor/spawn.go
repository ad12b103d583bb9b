package supervisor

import (
	"context"
	"errors"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/faults"
	"supervisord/internal/logfile"
	"supervisord/internal/process"
	"supervisord/internal/reaper"
	"supervisord/internal/spawn"
)

// ChildFailureEnv names the variable that makes the binary act as the
// stand-in for a child that failed between fork and exec: it writes the
// variable's value to stderr and exits 127, as the reference's child does.
const ChildFailureEnv = "SUPERVISORD_CHILD_FAILURE"

// Spawn implements process.Env: it starts the process's command with its
// environment, directory, user and pipes, and starts output capture.
func (l *loop) Spawn(pp *process.Proc) (int, error) {
	p := l.of[pp]
	p.spawns++
	l.markRow(p)
	if len(pp.Config.PreStartHook) > 0 {
		return l.startPreStartHook(p)
	}
	return l.spawnCommand(p)
}

// spawnCommand starts the process's own command.
func (l *loop) spawnCommand(p *proc) (int, error) {
	c := p.Config
	if c.CommandError != "" {
		return 0, &process.SpawnError{Msg: c.CommandError}
	}
	path, err := spawn.Resolve(c.Command[0], l.pathEnv())
	if err != nil {
		var f *faults.Error
		if errors.As(err, &f) {
			return 0, &process.SpawnError{Msg: f.Detail}
		}
		return 0, &process.SpawnError{Msg: err.Error()}
	}
	l.takePrepared(p)
	if p.outs == nil {
		outs, err := openOutputs(l, c)
		if err != nil {
			return 0, &process.SpawnError{Msg: err.Error()}
		}
		p.outs = outs
	}
	argv := append([]string{path}, c.Command[1:]...)
	argv[0] = c.Command[0]
	spec := spawn.Spec{
		Path:           path,
		Argv:           argv,
		Env:            l.processEnv(c),
		Dir:            c.Directory,
		Umask:          -1,
		Setpgid:        true,
		Stdin:          true,
		RedirectStderr: c.RedirectStderr,
		// A stream nothing reads goes to /dev/null: no pipe, no
		// descriptor held, no reads. The reference reads and drops it;
		// nothing the program or a client sees differs.
		DiscardStdout: p.g.cfg.Kind != config.KindEventListener && l.unread(c.Stdout),
		DiscardStderr: l.unread(c.Stderr),
	}
	if c.Umask != nil {
		spec.Umask = int(*c.Umask)
	}
	if c.User != nil {
		spec.Cred = spawn.UserCredential(c.User.Uid, c.User.Gid, c.User.Groups)
	}
	if sock := l.sockets[p.g.cfg.Name]; sock != nil {
		f, err := sock.Acquire()
		if err != nil {
			return 0, &process.SpawnError{Msg: err.Error()}
		}
		spec.Fd0 = f
		p.holdsSocket = true
	}
	release, err := l.contain(p, &spec)
	if err != nil {
		l.releaseSocket(p)
		return 0, &process.SpawnError{Msg: err.Error()}
	}
	child, err := spawn.Start(spec)
	release()
	if err != nil {
		var ce *spawn.ChildError
		if !errors.As(err, &ce) {
			l.releaseSocket(p)
		}
		if ce != nil {
			return l.spawnFailure(p, spec, ce.Output())
		}
		var se *spawn.SetupError
		if errors.As(err, &se) {
			return 0, &process.SpawnError{Msg: se.Spawnerr(c.Name)}
		}
		return 0, &process.SpawnError{Msg: err.Error()}
	}
	l.adopt(p, child)
	return child.Pid, nil
}

// unread reports whether nothing reads a stream: no log file, console or
// syslog, no capture mode, no events, and no echo into the main log
// (which the reference makes at loglevel debug and below).
func (l *loop) unread(s config.StreamLog) bool {
	return len(s.Targets) == 0 && !s.Auto && !s.Syslog && s.CaptureMaxBytes == 0 && !s.EventsEnabled &&
		!l.log.Enabled(context.Background(), logfile.LevelDebug)
}

// spawnFailure emulates the reference's child that failed before exec: a
// real child (this binary) writes msg to the program's stderr and exits
// 127, so the exit, the log line and the state changes are the
// reference's.
func (l *loop) spawnFailure(p *proc, spec spawn.Spec, msg string) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, &process.SpawnError{Msg: msg}
	}
	stand := spawn.Spec{
		Path:           self,
		Argv:           []string{self},
		Env:            []string{ChildFailureEnv + "=" + msg},
		Umask:          -1,
		Setpgid:        true,
		Stdin:          true,
		RedirectStderr: spec.RedirectStderr,
		DiscardStdout:  spec.DiscardStdout,
		DiscardStderr:  spec.DiscardStderr,
	}
	child, err := spawn.Start(stand)
	if err != nil {
		return 0, &process.SpawnError{Msg: msg}
	}
	l.adopt(p, child)
	return 0, &process.ChildFailure{Pid: child.Pid, Msg: msg}
}

func (l *loop) adopt(p *proc, child *spawn.Child) {
	l.byPid[child.Pid] = p
	var tee func([]byte)
	if p.g.cfg.Kind == config.KindEventListener {
		group, name, pid, ch, done := p.g.cfg.Name, p.Config.Name, child.Pid, l.listenerOut, l.s.done
		tee = func(b []byte) {
			select {
			case ch <- listenerOutput{group: group, name: name, pid: pid, data: b}:
			case <-done:
			}
		}
	}
	p.io = startIO(child, p.outs, tee)
	l.markRow(p)
}

// pathEnv is the PATH commands are searched in: the daemon's own.
func (l *loop) pathEnv() string {
	for _, e := range l.env {
		if len(e) > 5 && e[:5] == "PATH=" {
			return e[5:]
		}
	}
	return ""
}

// processEnv builds a child's environment the way the reference does:
// the daemon's, SUPERVISOR_* variables, then env files, then the
// program's environment option.
func (l *loop) processEnv(c *config.Process) []string {
	env := append([]string(nil), l.env...)
	env = setEnv(env, "SUPERVISOR_ENABLED", "1")
	url := c.ServerURL
	if url == "" {
		url = l.s.opts.ServerURL
	}
	if url != "" {
		env = setEnv(env, "SUPERVISOR_SERVER_URL", url)
	}
	env = setEnv(env, "SUPERVISOR_PROCESS_NAME", c.Name)
	env = setEnv(env, "SUPERVISOR_GROUP_NAME", c.Group)
	for _, kv := range c.EnvFromFiles {
		env = setEnv(env, kv.Key, kv.Value)
	}
	for _, kv := range c.Environment {
		env = setEnv(env, kv.Key, kv.Value)
	}
	return l.notifyEnv(c, env)
}

// Kill implements process.Env.
func (l *loop) Kill(pid int, sig syscall.Signal, group bool) error {
	if l.containedKill(pid, sig) {
		return nil
	}
	err := reaper.Kill(pid, sig, group)
	if errors.Is(err, syscall.ESRCH) {
		l.Log(config.LevelDebug, "unable to signal pid "+strconv.Itoa(pid)+", it probably just exited on its own: "+err.Error())
		return nil
	}
	return err
}

// childIO holds a running child's pipes: output capture runs in the
// background (logfile.Stream.Start); stdin writes go through a queue so
// the loop never blocks.
type childIO struct {
	stdin    *os.File
	queue    chan []byte
	closed   chan struct{}
	captures []*logfile.Capturing
	// drained closes once output capture has ended (the pipes reached
	// EOF, or drainGrace passed after the exit).
	drained chan struct{}
}

// drainGrace is how long output capture continues after a child exits,
// for data still in the pipe or written by a grandchild that holds it.
const drainGrace = time.Second

// startIO starts capturing a child's output; tee, when set, also gets
// every piece of stdout (event listeners' protocol).
func startIO(child *spawn.Child, outs *outputs, tee func([]byte)) *childIO {
	io := &childIO{stdin: child.Stdin, closed: make(chan struct{}), drained: make(chan struct{})}
	n := 0
	for _, f := range []*os.File{child.Stdout, child.Stderr} {
		if f != nil {
			n++
		}
	}
	if n == 0 {
		close(io.drained)
		return io
	}
	// The last capture to end closes drained: no goroutine waits for
	// them (a thousand idle children would hold a thousand waiters).
	var running atomic.Int32
	running.Store(int32(n))
	ended := func() {
		if running.Add(-1) == 0 {
			close(io.drained)
		}
	}
	if child.Stdout != nil {
		io.captures = append(io.captures, outs.start(child.Stdout, streamStdout, child.Pid, tee, ended))
	}
	if child.Stderr != nil {
		io.captures = append(io.captures, outs.start(child.Stderr, streamStderr, child.Pid, nil, ended))
	}
	return io
}

// write queues data for the child's stdin; it reports false when stdin is
// gone or the queue is full.
func (c *childIO) write(data []byte) bool {
	if c.stdin == nil {
		return false
	}
	if c.queue == nil {
		c.queue = make(chan []byte, 64)
		go c.pump()
	}
	select {
	case c.queue <- data:
		return true
	default:
		return false
	}
}

func (c *childIO) pump() {
	for {
		select {
		case b := <-c.queue:
			if _, err := c.stdin.Write(b); err != nil {
				return
			}
		case <-c.closed:
			return
		}
	}
}

// exited is called when the child has been reaped: stdin closes now;
// output capture gets drainGrace to finish.
func (c *childIO) exited() {
	close(c.closed)
	if c.stdin != nil {
		c.stdin.Close()
	}
	deadline := time.Now().Add(drainGrace)
	for _, capt := range c.captures {
		capt.ExpireAt(deadline)
	}
}

// releaseSocket drops p's hold on its group's fcgi socket; the last
// release closes it.
func (l *loop) releaseSocket(p *proc) {
	if !p.holdsSocket {
		return
	}
	p.holdsSocket = false
	if sock := l.sockets[p.g.cfg.Name]; sock != nil {
		if err := sock.Release(); err != nil {
			l.Log(config.LevelWarn, err.Error())
		}
	}
}
