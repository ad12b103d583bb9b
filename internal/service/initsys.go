package service

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// initSystem is one kind of init system the service commands support.
type initSystem string

const (
	initSystemd initSystem = "systemd"
	initOpenRC  initSystem = "openrc"
	initSysV    initSystem = "sysv"
)

// supportedInits lists the --init values, in the order detection tries them.
var supportedInits = []initSystem{initSystemd, initOpenRC, initSysV}

// parseInit reads --init: "" or "auto" means detect.
func parseInit(s string) (initSystem, bool, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return "", false, nil
	}
	for _, i := range supportedInits {
		if strings.EqualFold(s, string(i)) {
			return i, true, nil
		}
	}
	names := make([]string, len(supportedInits))
	for i, s := range supportedInits {
		names[i] = string(s)
	}
	return "", false, fmt.Errorf("unsupported init system %q; supported: %s (or auto)", s, strings.Join(names, ", "))
}

// detectInit tells which init system runs (or, inside a --root, is
// installed in) root, the way each one's own tools tell: systemd is running
// when /run/systemd/system is a directory (sd_booted(3)); OpenRC leaves
// /run/openrc when it booted the system and ships /sbin/openrc-run; any
// other system with /etc/init.d is taken for SysV-init.
func detectInit(root string) (initSystem, error) {
	isDir := func(p string) bool {
		fi, err := os.Stat(filepath.Join(root, p))
		return err == nil && fi.IsDir()
	}
	switch {
	case isDir("run/systemd/system"):
		return initSystemd, nil
	case isDir("run/openrc") || exists(filepath.Join(root, "sbin", "openrc-run")):
		return initOpenRC, nil
	case isDir("etc/init.d"):
		return initSysV, nil
	}
	if filepath.Clean(root) != "/" {
		// An empty tree being prepared for a package: the unit is what
		// most systems want.
		return initSystemd, nil
	}
	return "", fmt.Errorf("cannot tell which init system runs here; choose one with --init %s", joinInits("|"))
}

func joinInits(sep string) string {
	names := make([]string, len(supportedInits))
	for i, s := range supportedInits {
		names[i] = string(s)
	}
	return strings.Join(names, sep)
}

// scriptPath is where OpenRC and SysV-init look for a service's script.
func (m *manager) scriptPath() string {
	return filepath.Join(m.root, "etc", "init.d", m.name)
}

// pidfile is where the OpenRC and SysV-init scripts keep the daemon's pid.
func (m *manager) pidfile() string {
	return "/run/" + m.name + ".pid"
}

// installScript writes the OpenRC or SysV-init script and, on the live
// system, adds it to the default runlevels.
func (m *manager) installScript(u Unit) error {
	var text string
	var err error
	if m.init == initOpenRC {
		text, err = u.OpenRC()
	} else {
		text, err = u.SysV(m.name, m.pidfile())
	}
	if err != nil {
		return err
	}
	path := m.scriptPath()
	if err := writeFileAtomic(path, []byte(text), 0o755); err != nil {
		return err
	}
	fmt.Fprintf(m.stdout, "installed %s\n", path)
	if !m.live() {
		return nil
	}
	if err := m.enableScript(); err != nil {
		return err
	}
	fmt.Fprintf(m.stdout, "enabled %s; start it with: supervisord service start --init %s\n", m.name, m.init)
	return nil
}

func (m *manager) enableScript() error {
	if m.init == initOpenRC {
		return m.exec("rc-update", "add", m.name, "default")
	}
	if m.has("update-rc.d") {
		return m.exec("update-rc.d", m.name, "defaults")
	}
	if m.has("chkconfig") {
		return m.exec("chkconfig", "--add", m.name)
	}
	return fmt.Errorf("neither update-rc.d nor chkconfig found to enable %s; link %s into the runlevel directories", m.name, m.scriptPath())
}

func (m *manager) uninstallScript() error {
	path := m.scriptPath()
	if !exists(path) {
		return fmt.Errorf("%s is not installed (%s not found)", m.name, path)
	}
	if m.live() {
		// Stop and disable first; failures are reported, not fatal.
		if err := m.exec(path, "stop"); err != nil {
			fmt.Fprintf(m.stderr, "service uninstall: %s stop: %v\n", path, err)
		}
		var err error
		switch {
		case m.init == initOpenRC:
			err = m.exec("rc-update", "del", m.name, "default")
		case m.has("update-rc.d"):
			err = m.exec("update-rc.d", "-f", m.name, "remove")
		case m.has("chkconfig"):
			err = m.exec("chkconfig", "--del", m.name)
		}
		if err != nil {
			fmt.Fprintf(m.stderr, "service uninstall: disable: %v\n", err)
		}
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	fmt.Fprintf(m.stdout, "removed %s\n", path)
	return nil
}

// controlScript runs the script's own start, stop, restart or status.
func (m *manager) controlScript(verb string) error {
	path := m.scriptPath()
	if !exists(path) {
		return fmt.Errorf("%s is not installed (run: supervisord service install --init %s -c FILE)", m.name, m.init)
	}
	if m.init == initOpenRC {
		return m.exec("rc-service", m.name, verb)
	}
	return m.exec(path, verb)
}

// has reports whether a command is on PATH (always true with a stand-in
// runner, which records what would run).
func (m *manager) has(cmd string) bool {
	if m.stub {
		return true
	}
	_, err := exec.LookPath(cmd)
	return err == nil
}
