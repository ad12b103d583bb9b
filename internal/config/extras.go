package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func commandParser(s string) ([]string, error) {
	args, err := splitCommand(s)
	if err != nil {
		return nil, fmt.Errorf("can't parse command %s: %v", pyRepr(s), err)
	}
	return args, nil
}

// extraKeys reads the keys of the earlier Go port of supervisord that
// Supervisor itself does not know: dependencies, env files, watches, liveness
// checks, hooks and log targets. Each is off unless set.
func (l *loader) extraKeys(sc scope, p *Process, n names) {
	name := sc.sec.name
	if deps := l.str(sc, "depends_on", n, ""); deps != "" {
		for _, d := range listOfStrings(deps) {
			if d != "" {
				p.DependsOn = append(p.DependsOn, d)
			}
		}
	}
	if v, ok := l.opt(sc, "envfiles", n); ok && v.set {
		vv := l.doc.lookup(sc.sec, "envfiles", sc.fallback)
		for _, f := range listOfStrings(v.s) {
			if f == "" {
				continue
			}
			path := expandUser(f)
			if !filepath.IsAbs(path) {
				path = filepath.Join(vv.dir, path)
			}
			p.EnvFiles = append(p.EnvFiles, path)
			if !l.readable(path) {
				continue
			}
			data, err := os.ReadFile(path)
			if err != nil {
				l.errorf(v.pos, name, "envFiles", "cannot read env file: %v", err)
				continue
			}
			vars, errs := parseDotEnv(path, string(data))
			for _, e := range errs {
				l.errorf(e.Pos, "", "", "%s", e.Msg)
			}
			p.EnvFromFiles = append(p.EnvFromFiles, vars...)
		}
	}
	p.RestartPause = typed(l, sc, "restartpause", n, 0, durationParser)
	p.RestartWhenBinaryChanged = typed(l, sc, "restart_when_binary_changed", n, false, parseBool)
	p.RestartCmdWhenBinaryChanged = typed(l, sc, "restart_cmd_when_binary_changed", n, nil, commandParser)
	p.RestartSignalWhenBinaryChange = typed(l, sc, "restart_signal_when_binary_changed", n, 0, parseSignal)
	if v, ok := l.opt(sc, "restart_directory_monitor", n); ok && v.set && v.s != "" {
		path := expandUser(v.s)
		if !filepath.IsAbs(path) {
			path = filepath.Join(l.doc.lookup(sc.sec, "restart_directory_monitor", sc.fallback).dir, path)
		}
		p.RestartDirectoryMonitor = path
	}
	p.RestartFilePattern = l.str(sc, "restart_file_pattern", n, "")
	p.RestartCmdWhenFileChanged = typed(l, sc, "restart_cmd_when_file_changed", n, nil, commandParser)
	p.RestartSignalWhenFileChanged = typed(l, sc, "restart_signal_when_file_changed", n, 0, parseSignal)

	p.SyslogFacility = l.str(sc, "syslog_facility", n, "")
	p.SyslogTag = l.str(sc, "syslog_tag", n, "")
	p.SyslogStdoutPriority = l.str(sc, "syslog_stdout_priority", n, "")
	p.SyslogStderrPriority = l.str(sc, "syslog_stderr_priority", n, "")

	p.PreStartHook = typed(l, sc, "pre_start_hook", n, nil, commandParser)
	p.PreStartHookTimeout = typed(l, sc, "pre_start_hook_timeout", n, 30*time.Second, durationParser)
	p.PreStopHook = typed(l, sc, "pre_stop_hook", n, nil, commandParser)
	p.PreStopHookTimeout = typed(l, sc, "pre_stop_hook_timeout", n, 30*time.Second, durationParser)

	p.LogLinePrefixName, p.LogLinePrefixTime = typed2(l, sc, "log_line_prefix", n, parseLogLinePrefix)
	p.Liveness = l.liveness(sc, n)
	l.lifecycle(sc, p, n)
	p.Limits = l.limits(sc, n)
}

func typed2(l *loader, sc scope, key string, n names, parse func(string) (bool, bool, error)) (bool, bool) {
	v, ok := l.opt(sc, key, n)
	if !ok || !v.set {
		return false, false
	}
	a, b, err := parse(v.s)
	if err != nil {
		l.errorf(v.pos, sc.sec.name, key, "%v", err)
	}
	return a, b
}

// parseLogLinePrefix reads "name", "time", "name,time" (or with "|"),
// or "" / "none" / "off".
func parseLogLinePrefix(s string) (bool, bool, error) {
	var name, tm bool
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '|' }) {
		switch strings.ToLower(pyStrip(part)) {
		case "name":
			name = true
		case "time":
			tm = true
		case "", "none", "off":
		default:
			return false, false, fmt.Errorf("invalid log_line_prefix %q (want name, time or name,time)", s)
		}
	}
	return name, tm, nil
}
