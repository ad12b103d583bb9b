// Package service installs supervisord as a system service, so that the
// init system starts it at boot and restarts it if it dies:
//
//	supervisord service install -c /etc/supervisord.conf
//	supervisord service start | stop | restart | status
//	supervisord service uninstall
//
// systemd, OpenRC and SysV-init are supported (--init chooses; by default
// the running one is detected). The files are generated here rather than
// through a service library because they must be exact: the daemon runs in the
// foreground (-n) so systemd tracks the right pid, KillMode=mixed sends
// SIGTERM to the daemon alone (which then stops its children in its own
// order, honouring stopsignal and stopwaitsecs) and SIGKILLs whatever is
// left only after TimeoutStopSec, and --root lets packagers and tests write
// the unit into a directory tree instead of the live system. The OpenRC and
// SysV-init scripts (openrc.go, sysv.go) follow the same rules as far as
// those systems allow.
package service

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Options steer Run; zero values mean the live system.
type Options struct {
	// Root is prepended to every path written or removed ("" means "/").
	// When it is not "/", systemctl is never called.
	Root string
	// Executable is the daemon binary written into ExecStart; the default
	// is the running executable with symbolic links resolved.
	Executable string
	// Systemctl runs systemctl with args; the default runs the real one
	// with output to stdout and stderr.
	Systemctl func(args ...string) error
	// Exec runs the other init systems' tools (rc-update, rc-service,
	// update-rc.d, chkconfig, the init script itself); the default runs
	// the real ones with output to stdout and stderr.
	Exec func(argv ...string) error
}

// Main runs `supervisord service ...` on the live system. args are the
// arguments after "service". It returns the exit status: 0 on success, 1
// on failure, 2 on a usage error.
func Main(args []string, stdout, stderr io.Writer) int {
	return Run(args, stdout, stderr, Options{})
}

const usage = `usage: supervisord service <command> [options]

commands:
  install    write and enable a systemd unit (or an OpenRC or SysV-init
             script) that runs supervisord -n -c FILE
  uninstall  stop, disable and remove the unit or script
  start      start the service
  stop       stop the service
  restart    restart the service
  status     show the service status

options:
`

// Run is Main with options.
func Run(args []string, stdout, stderr io.Writer, opts Options) int {
	fs := flag.NewFlagSet("supervisord service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		conf        string
		name        string
		root        string
		description string
		stopTimeout time.Duration
		initName    string
		watchdog    time.Duration
	)
	fs.StringVar(&conf, "c", "", "configuration file (install; made absolute)")
	fs.StringVar(&conf, "configuration", "", "same as -c")
	fs.StringVar(&name, "name", "supervisord", "service (unit) name")
	fs.StringVar(&root, "root", opts.Root, "write into this directory tree instead of / (no systemctl)")
	fs.StringVar(&description, "description", "Supervisor process control system", "unit description (install)")
	fs.StringVar(&initName, "init", "auto", "init system: "+joinInits(", ")+", or auto to detect it")
	fs.DurationVar(&stopTimeout, "stop-timeout", 90*time.Second, "how long systemd waits for a stop before killing everything (install)")
	fs.DurationVar(&watchdog, "watchdog", 0, "WatchdogSec= of the unit: systemd restarts a daemon whose loop stops answering for this long (install; 0 = off)")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if len(args) == 0 {
		fs.Usage()
		return 2
	}
	cmd := args[0]
	if cmd == "-h" || cmd == "--help" || cmd == "help" {
		fs.SetOutput(stdout)
		fmt.Fprint(stdout, usage)
		fs.PrintDefaults()
		return 0
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "service %s: unexpected argument %q\n", cmd, fs.Arg(0))
		return 2
	}
	if !validName(name) {
		fmt.Fprintf(stderr, "service: invalid name %q\n", name)
		return 2
	}
	if root == "" {
		root = "/"
	}
	initSys, chosen, err := parseInit(initName)
	if err != nil {
		fmt.Fprintf(stderr, "service %s: %v\n", cmd, err)
		return 2
	}
	if !chosen {
		if initSys, err = detectInit(root); err != nil {
			fmt.Fprintf(stderr, "service %s: %v\n", cmd, err)
			return 1
		}
	}
	m := &manager{root: root, name: name, stdout: stdout, stderr: stderr, systemctl: opts.Systemctl,
		init: initSys, exec: opts.Exec, stub: opts.Exec != nil}
	if m.exec == nil {
		m.exec = func(argv ...string) error {
			c := exec.Command(argv[0], argv[1:]...)
			c.Stdout, c.Stderr = stdout, stderr
			return c.Run()
		}
	}
	if m.systemctl == nil {
		m.systemctl = func(args ...string) error {
			c := exec.Command("systemctl", args...)
			c.Stdout, c.Stderr = stdout, stderr
			return c.Run()
		}
	}

	switch cmd {
	case "install":
		if conf == "" {
			fmt.Fprintln(stderr, "service install: -c FILE is required")
			return 2
		}
		exe := opts.Executable
		if exe == "" {
			exe, err = currentExecutable()
			if err != nil {
				break
			}
		}
		err = m.install(Unit{
			Description: description,
			Executable:  exe,
			Config:      conf,
			StopTimeout: stopTimeout,
			Watchdog:    watchdog,
		})
	case "uninstall":
		err = m.uninstall()
	case "start", "stop", "restart", "status":
		err = m.control(cmd)
	default:
		fmt.Fprintf(stderr, "service: unknown command %q\n", cmd)
		fs.Usage()
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "service %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func validName(name string) bool {
	if name == "" || len(name) > 200 {
		return false
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.@:", r)
		if !ok {
			return false
		}
	}
	return true
}

func currentExecutable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(exe)
}

type manager struct {
	root, name     string
	stdout, stderr io.Writer
	systemctl      func(args ...string) error
	init           initSystem
	exec           func(argv ...string) error // the other init systems' tools
	stub           bool                       // exec is a stand-in
}

func (m *manager) live() bool { return filepath.Clean(m.root) == "/" }

// unitPath is where the unit file lives inside the root.
func (m *manager) unitPath() string {
	return filepath.Join(m.root, "etc", "systemd", "system", m.name+".service")
}

func (m *manager) install(u Unit) error {
	conf, err := filepath.Abs(u.Config)
	if err != nil {
		return err
	}
	u.Config = conf
	if !exists(conf) && !exists(filepath.Join(m.root, conf)) {
		return fmt.Errorf("configuration file %s does not exist", conf)
	}
	if !filepath.IsAbs(u.Executable) {
		return fmt.Errorf("executable %q is not an absolute path", u.Executable)
	}
	if m.init == initOpenRC || m.init == initSysV {
		return m.installScript(u)
	}
	text, err := u.Systemd()
	if err != nil {
		return err
	}
	path := m.unitPath()
	if err := writeFileAtomic(path, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(m.stdout, "installed %s\n", path)
	if !m.live() {
		return nil
	}
	if err := m.systemctl("daemon-reload"); err != nil {
		return fmt.Errorf("systemctl daemon-reload: %w", err)
	}
	if err := m.systemctl("enable", m.name+".service"); err != nil {
		return fmt.Errorf("systemctl enable: %w", err)
	}
	fmt.Fprintf(m.stdout, "enabled %s.service; start it with: supervisord service start\n", m.name)
	return nil
}

func (m *manager) uninstall() error {
	if m.init == initOpenRC || m.init == initSysV {
		return m.uninstallScript()
	}
	path := m.unitPath()
	if !exists(path) {
		return fmt.Errorf("%s is not installed (%s not found)", m.name, path)
	}
	if m.live() {
		// Stop and disable first; a unit that is already stopped or
		// disabled is not an error worth stopping for.
		if err := m.systemctl("disable", "--now", m.name+".service"); err != nil {
			fmt.Fprintf(m.stderr, "service uninstall: systemctl disable: %v\n", err)
		}
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	fmt.Fprintf(m.stdout, "removed %s\n", path)
	if m.live() {
		if err := m.systemctl("daemon-reload"); err != nil {
			return fmt.Errorf("systemctl daemon-reload: %w", err)
		}
	}
	return nil
}

func (m *manager) control(verb string) error {
	if !m.live() {
		return fmt.Errorf("cannot %s a service inside --root %s", verb, m.root)
	}
	if m.init == initOpenRC || m.init == initSysV {
		return m.controlScript(verb)
	}
	if verb != "status" && !exists(m.unitPath()) {
		return fmt.Errorf("%s is not installed (run: supervisord service install -c FILE)", m.name)
	}
	args := []string{verb, m.name + ".service"}
	if verb == "status" {
		args = []string{"status", "--no-pager", m.name + ".service"}
	}
	return m.systemctl(args...)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
