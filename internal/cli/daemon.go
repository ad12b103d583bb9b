package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/logfile"
	"supervisord/internal/metrics"
	"supervisord/internal/reaper"
	"supervisord/internal/server"
	"supervisord/internal/spawn"
	"supervisord/internal/supervisor"
	"supervisord/internal/web"
)

// daemonChildEnv marks the re-executed, detached copy of the daemon; its
// value is the fd number of the pipe on which it reports readiness.
const daemonChildEnv = "SUPERVISORD_DAEMONIZED"

func runDaemon(prog string, args []string, stdout, stderr io.Writer) int {
	fl, err := parseDaemonFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\nFor help, use %s -h\n", err, prog)
		return 2
	}
	if fl.help {
		fmt.Fprintf(stdout, daemonUsage, prog, prog, prog)
		return 0
	}
	if fl.version {
		fmt.Fprintln(stdout, Version)
		return 0
	}
	widen := oneProcessor()
	path := fl.config
	if path == "" {
		cwd, _ := os.Getwd()
		exe, _ := os.Executable()
		path, err = config.Find(cwd, exe)
		if err != nil {
			fmt.Fprintf(stderr, "Error: %v\nFor help, use %s -h\n", err, prog)
			return 2
		}
	} else if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	load := func() (*config.Config, error) {
		return config.Load(path, config.LoadOptions{Overrides: fl.overrides})
	}
	cfg, err := load()
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\nFor help, use %s -h\n", err, prog)
		return 2
	}

	ready := readinessPipe()
	if ready == nil && !cfg.Supervisord.Nodaemon && !reaper.IsPID1() || fl.daemonize && ready == nil {
		return daemonize(stderr)
	}
	d := &daemon{prog: prog, load: load, stdout: stdout, stderr: stderr, ready: ready, widen: widen}
	return d.run(cfg)
}

// readinessPipe returns the pipe to the launching process when this is
// the detached copy of the daemon.
func readinessPipe() *os.File {
	v, ok := os.LookupEnv(daemonChildEnv)
	if !ok {
		return nil
	}
	os.Unsetenv(daemonChildEnv)
	fd, err := strconv.Atoi(v)
	if err != nil {
		return nil
	}
	return os.NewFile(uintptr(fd), "ready")
}

// daemonize starts a detached copy of this process (Go cannot fork
// without exec) in a new session with its standard streams on /dev/null,
// and waits for it to report that it is up, so that errors (a busy
// socket, a bad user) reach the terminal and the exit status, which the
// reference's fork-and-exit cannot do.
func daemonize(stderr io.Writer) int {
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(stderr, "Error: cannot daemonize: %v\n", err)
		return 1
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "Error: cannot daemonize: %v\n", err)
		return 1
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(stderr, "Error: cannot daemonize: %v\n", err)
		return 1
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(os.Environ(), daemonChildEnv+"=3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "Error: cannot daemonize: %v\n", err)
		return 1
	}
	w.Close()
	// The launcher exits as soon as the daemon reports; it never waits on
	// the daemon's exit (init adopts it).
	msg, _ := io.ReadAll(bufio.NewReader(r))
	text := strings.TrimSpace(string(msg))
	if text == "ok" {
		return 0
	}
	if text == "" {
		text = "the daemon exited during start-up (see its log)"
	}
	fmt.Fprintln(stderr, text)
	return 2
}

type daemon struct {
	prog   string
	load   func() (*config.Config, error)
	stdout io.Writer
	stderr io.Writer
	ready  *os.File
	lock   *os.File
	// notify tells systemd (or another manager setting NOTIFY_SOCKET)
	// how the daemon is doing; nil when nothing listens.
	notify     *supervisor.SdNotifier
	notifyNote string // why the watchdog is off, logged at start
	// handoff keeps the HTTP sockets open from one generation to the
	// next across a restart.
	handoff *server.Handoff
	// widen gives background work a processor of its own (procs.go).
	widen func() func()
}

// fail reports a start-up error: on stderr, and to the launcher when
// detached. It returns the exit status 2, as the reference uses.
func (d *daemon) fail(format string, args ...any) int {
	msg := fmt.Sprintf("Error: "+format, args...)
	if d.ready != nil {
		fmt.Fprintln(d.ready, msg)
		d.ready.Close()
		d.ready = nil
	}
	fmt.Fprintln(d.stderr, msg)
	return 2
}

func (d *daemon) run(cfg *config.Config) int {
	sc := cfg.Supervisord
	// Descriptors inherited from whoever started us must not reach the
	// programs.
	if err := spawn.CloseOnExecInherited(); err != nil {
		return d.fail("%v", err)
	}
	if d.ready != nil {
		if sc.Directory != "" {
			if err := os.Chdir(sc.Directory); err != nil {
				return d.fail("can't chdir into %q: %v", sc.Directory, err)
			}
		}
		syscall.Umask(int(sc.Umask))
	}
	rootWarning := ""
	if msg := dropPrivileges(sc.User); msg != "" {
		return d.fail("%s", msg)
	}
	if os.Geteuid() == 0 && sc.User == nil {
		rootWarning = "Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file.  If you intend to run as root, you can set user=root in the config file to avoid this message."
	}
	var limitNotes []string
	for _, lim := range []struct {
		resource int
		min      uint64
	}{{spawn.LimitFiles, sc.Minfds}, {spawn.LimitProcesses, sc.Minprocs}} {
		note, err := spawn.RaiseLimit(lim.resource, lim.min)
		if err != nil {
			return d.fail("%v", err)
		}
		if note != "" {
			limitNotes = append(limitNotes, note)
		}
	}
	if err := d.lockPidfile(sc.Pidfile); err != nil {
		return d.fail("%v", err)
	}
	defer d.unlockPidfile(sc.Pidfile)
	notify, err := supervisor.NewSdNotifierFromEnv()
	if err != nil {
		d.notifyNote = fmt.Sprintf("NOTIFY_SOCKET: %v", err)
	}
	d.notify = notify
	defer notify.Close(2 * time.Second)

	for first := true; ; first = false {
		next, code := d.runOnce(cfg, first, rootWarning, limitNotes)
		limitNotes = nil
		if next == nil {
			return code
		}
		cfg = next
	}
}

// runOnce runs one generation of the daemon: logger, servers, processes.
// It returns the configuration to restart with, or nil and the exit code.
func (d *daemon) runOnce(cfg *config.Config, first bool, rootWarning string, notes []string) (*config.Config, int) {
	sc := cfg.Supervisord
	// The daemon's stdout is shared by the log echo and by programs that
	// log to /dev/stdout; one bounded buffer keeps their lines whole and
	// keeps a stuck console from stopping the daemon.
	outputs := logfile.NewOutputs(d.stdout, d.stderr, logfile.OutputsOptions{})
	defer outputs.Close(2 * time.Second)
	var echo io.Writer
	if sc.Nodaemon && !sc.Silent && d.ready == nil {
		echo = outputs.Stdout
	}
	mainLog, err := logfile.NewDaemonLog(sc, echo, logfile.DaemonLogOptions{})
	if err != nil {
		return nil, d.fail("%v", err)
	}
	defer mainLog.Close()
	log := mainLog.Logger()
	ctx := context.Background()
	if rootWarning != "" {
		log.Log(ctx, logfile.LevelCritical, rootWarning)
	}
	for _, n := range notes {
		log.Info(n)
	}
	for _, f := range cfg.Files[1:] {
		log.Info(fmt.Sprintf("Included extra file %q during parsing", f))
	}
	if first {
		// Later generations' warnings were logged when the file was read
		// again (reload below).
		for _, w := range cfg.Warnings {
			log.Warn(w)
		}
	}
	if d.notifyNote != "" {
		log.Warn(d.notifyNote)
		d.notifyNote = ""
	}
	if !sc.Nocleanup {
		clearAutoChildLogs(sc.Childlogdir, sc.Identifier, log)
	}

	contain, err := supervisor.NewContainment(cfg)
	if err != nil {
		log.Log(ctx, logfile.LevelCritical, err.Error())
		return nil, d.fail("%v", err)
	}
	var serving atomic.Pointer[server.Server]
	// Reading the file again (reloadConfig, SIGHUP) reports its warnings
	// and gives the HTTPS servers their new certificates at once.
	reload := func() (*config.Config, error) {
		next, err := d.load()
		if err != nil {
			return nil, err
		}
		for _, w := range next.Warnings {
			log.Warn(w)
		}
		if srv := serving.Load(); srv != nil {
			srv.ReloadTLS(next)
		}
		return next, nil
	}
	sup := supervisor.New(cfg, supervisor.Options{
		Containment:  contain,
		Logger:       log,
		Reload:       reload,
		ServerURL:    serverURL(cfg),
		Signals:      true,
		ReopenLogs:   func() { mainLog.Reopen() },
		ClearMainLog: mainLog.Clear,
		Outputs:      outputs,
		Environ:      supervisor.StripNotifyEnv(os.Environ()),
		SdNotify:     d.notify,
		Widen:        d.widen,
	})
	inherit := d.handoff
	d.handoff = nil
	srv, err := server.New(cfg, sup, log, server.Options{Inherit: inherit, CallSeen: sup.CallSeen, Extra: map[string]http.Handler{
		"/metrics": metrics.Handler(sup, metrics.Options{}),
		"/":        web.Handler(sup, web.Options{Version: Version}),
	}})
	if err != nil {
		contain.Close()
		return nil, d.fail("%v", err)
	}
	serving.Store(srv)
	srvCtx, stopServing := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(srvCtx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error(fmt.Sprintf("HTTP server failed: %v", err))
		}
	}()
	if first {
		if err := writePidfile(d.lock); err != nil {
			log.Log(ctx, logfile.LevelCritical, fmt.Sprintf("could not write pidfile %s", sc.Pidfile))
		}
	}
	log.Info(fmt.Sprintf("supervisord started with pid %d", os.Getpid()))
	if d.ready != nil {
		fmt.Fprintln(d.ready, "ok")
		d.ready.Close()
		d.ready = nil
	}

	res := sup.Run(ctx)
	if res.Restart {
		// Finish the requests in progress and keep the sockets open for
		// the next generation.
		srv.KeepListeners()
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		srv.Shutdown(sctx)
		cancel()
	}
	stopServing()
	srv.Close()
	<-served
	d.handoff = srv.Handoff()
	if res.Restart {
		log.Info("restarting supervisord")
		return res.Next, 0
	}
	log.Info("supervisord stopped")
	if res.ExitStatus != 0 {
		log.Info(fmt.Sprintf("exiting with status %d as the shutdown request asked", res.ExitStatus))
	}
	return nil, res.ExitStatus
}

// serverURL is what children get as SUPERVISOR_SERVER_URL: the unix
// socket when there is one, else the TCP server.
func serverURL(cfg *config.Config) string {
	if len(cfg.UnixServers) > 0 {
		return "unix://" + cfg.UnixServers[0].File
	}
	if len(cfg.InetServers) > 0 {
		s := cfg.InetServers[0]
		host := s.Host
		if host == "" || host == "*" {
			host = "localhost"
		}
		return fmt.Sprintf("http://%s:%d", host, s.Port)
	}
	return ""
}

// lockPidfile takes an exclusive lock on the pidfile, so a second daemon
// on the same configuration refuses to start instead of running every
// program twice.
func (d *daemon) lockPidfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("could not open pidfile %s: %v", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := io.ReadAll(io.LimitReader(f, 32))
		f.Close()
		return fmt.Errorf("another supervisord is already running with pidfile %s (pid %s); shut it down first", path, strings.TrimSpace(string(pid)))
	}
	d.lock = f
	return nil
}

func (d *daemon) unlockPidfile(path string) {
	if d.lock == nil {
		return
	}
	os.Remove(path)
	d.lock.Close()
}

func writePidfile(f *os.File) error {
	if f == nil {
		return nil
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// clearAutoChildLogs removes AUTO log files left by an earlier run with
// the same identifier, as the reference does at start unless nocleanup.
func clearAutoChildLogs(dir, identifier string, log *slog.Logger) {
	if dir == "" {
		return
	}
	// The reference's pattern, matched at the start of the name only (as
	// Python's re.match does); unlike the reference we quote the
	// identifier, so one with regexp characters cannot match wider.
	re, err := regexp.Compile(`^.+?---` + regexp.QuoteMeta(identifier) + `-\S+\.log\.?\d{0,4}`)
	if err != nil {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		log.Warn("Could not clear childlog dir")
		return
	}
	for _, e := range entries {
		if re.MatchString(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				log.Warn(fmt.Sprintf("Failed to clean up '%s'", filepath.Join(dir, e.Name())))
			}
		}
	}
}

// dropPrivileges switches to user when set, as the reference's
// set_uid_or_exit does; it returns a message when that is impossible.
func dropPrivileges(u *config.User) string {
	if u == nil {
		return ""
	}
	if os.Geteuid() != 0 {
		if uint32(os.Geteuid()) == u.Uid {
			return ""
		}
		return "Can't drop privilege as nonroot user"
	}
	groups := make([]int, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = int(g)
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Sprintf("Could not set groups of effective user: %v", err)
	}
	if err := syscall.Setgid(int(u.Gid)); err != nil {
		return fmt.Sprintf("Could not set group id of effective user: %v", err)
	}
	if err := syscall.Setuid(int(u.Uid)); err != nil {
		return fmt.Sprintf("Could not set user id of effective user: %v", err)
	}
	return ""
}
