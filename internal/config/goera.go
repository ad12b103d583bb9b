package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// This file reads the options of the older Go port of supervisord, which
// Supervisor itself does not know. They are all off unless set.

func commandParser(s string) ([]string, error) {
	args, err := splitCommand(s)
	if err != nil {
		return nil, fmt.Errorf("can't parse command %s: %v", pyRepr(s), err)
	}
	return args, nil
}

func (l *loader) goEra(sc scope, p *Process, n names) {
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

func (l *loader) liveness(sc scope, n names) *Liveness {
	v, ok := l.opt(sc, "liveness_check_script", n)
	if !ok || !v.set || pyStrip(v.s) == "" {
		return nil
	}
	name := sc.sec.name
	lv := &Liveness{Method: "GET"}
	target := pyStrip(v.s)
	low := strings.ToLower(target)
	switch {
	case strings.HasPrefix(low, "http://"), strings.HasPrefix(low, "https://"):
		lv.Kind, lv.Target = "http", target
	case strings.HasPrefix(low, "tcp://"):
		lv.Kind, lv.Target = "tcp", target[len("tcp://"):]
		if _, _, found := strings.Cut(lv.Target, ":"); !found {
			l.errorf(v.pos, name, "liveness_check_script", "tcp check %q needs host:port", target)
		}
	default:
		args, err := commandParser(target)
		if err != nil || len(args) == 0 {
			l.errorf(v.pos, name, "liveness_check_script", "invalid command %q", target)
			return nil
		}
		lv.Kind, lv.Target, lv.Args = "script", args[0], args[1:]
	}
	lv.Method = strings.ToUpper(l.str(sc, "liveness_check_http_method", n, "GET"))
	lv.Headers = typed(l, sc, "liveness_check_http_headers", n, nil, parseHeaders)
	lv.Data = l.str(sc, "liveness_check_http_data", n, "")
	lv.KeyFile = l.str(sc, "liveness_check_key_file", n, "")
	lv.CertFile = l.str(sc, "liveness_check_cert_file", n, "")
	lv.CAFile = l.str(sc, "liveness_check_ca_file", n, "")
	lv.InitialDelay = typed(l, sc, "liveness_check_initial_delay", n, 0, durationParser)
	lv.Period = typed(l, sc, "liveness_check_period", n, 10*time.Second, durationParser)
	lv.Timeout = typed(l, sc, "liveness_check_timeout", n, time.Second, durationParser)
	lv.SuccessThreshold = typed(l, sc, "liveness_check_success_threshold", n, 1, parseInt)
	lv.FailureThreshold = typed(l, sc, "liveness_check_failure_threshold", n, 3, parseInt)
	lv.SuccessAction = typed(l, sc, "liveness_check_success_action", n, "", parseAction)
	lv.FailureAction = typed(l, sc, "liveness_check_failure_action", n, "restart", parseAction)
	if lv.Period <= 0 {
		l.errorf(sc.sec.pos, name, "liveness_check_period", "must be positive")
	}
	if lv.SuccessThreshold < 1 || lv.FailureThreshold < 1 {
		l.errorf(sc.sec.pos, name, "liveness_check_failure_threshold", "thresholds must be at least 1")
	}
	return lv
}

func parseAction(s string) (string, error) {
	t := pyStrip(s)
	switch strings.ToLower(t) {
	case "", "none":
		return "", nil
	case "restart", "stop":
		return strings.ToLower(t), nil
	}
	if strings.HasPrefix(strings.ToLower(t), "script:") && len(t) > len("script:") {
		return t, nil
	}
	return "", fmt.Errorf("invalid action %q (want restart, stop, none or script:<command>)", s)
}

// parseHeaders reads "Name: value, Name2: value2" (or Name=value).
func parseHeaders(s string) ([]EnvVar, error) {
	var out []EnvVar
	for _, part := range listOfStrings(s) {
		if part == "" {
			continue
		}
		i := strings.IndexAny(part, ":=")
		if i <= 0 {
			return nil, fmt.Errorf("invalid header %q (want Name: value)", part)
		}
		out = append(out, EnvVar{Key: pyStrip(part[:i]), Value: pyStrip(part[i+1:])})
	}
	return out, nil
}

// parseDotEnv reads a .env file: KEY=VALUE lines, optional "export ",
// single quotes (literal), double quotes (with \n, \", \\ escapes),
// blank lines and # comments.
func parseDotEnv(file, text string) ([]EnvVar, []*Error) {
	var out []EnvVar
	var errs []*Error
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		pos := Pos{File: file, Line: i + 1}
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(t, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			t = strings.TrimSpace(rest)
		}
		k, v, ok := strings.Cut(t, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			errs = append(errs, &Error{Pos: pos, Msg: fmt.Sprintf("invalid line %q (want KEY=VALUE)", t)})
			continue
		}
		v = strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(v, "'"):
			end := strings.IndexByte(v[1:], '\'')
			if end < 0 {
				errs = append(errs, &Error{Pos: pos, Msg: "unterminated single quote"})
				continue
			}
			v = v[1 : end+1]
		case strings.HasPrefix(v, `"`):
			var b strings.Builder
			closed := false
			for j := 1; j < len(v); j++ {
				c := v[j]
				if c == '\\' && j+1 < len(v) {
					j++
					switch v[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case '"', '\\', '$':
						b.WriteByte(v[j])
					default:
						b.WriteByte('\\')
						b.WriteByte(v[j])
					}
					continue
				}
				if c == '"' {
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				errs = append(errs, &Error{Pos: pos, Msg: "unterminated double quote"})
				continue
			}
			v = b.String()
		default:
			if j := strings.Index(v, " #"); j >= 0 {
				v = strings.TrimSpace(v[:j])
			}
		}
		out = append(out, EnvVar{Key: k, Value: v})
	}
	return out, errs
}

// dependencies checks depends_on: every name must be a program and the
// graph must have no cycle.
func (l *loader) dependencies(cfg *Config) {
	deps := map[string][]string{}
	where := map[string]*Process{}
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			if _, ok := where[p.ProgramSec]; !ok {
				where[p.ProgramSec] = p
				deps[p.ProgramSec] = p.DependsOn
			}
		}
	}
	known := func(n string) bool {
		return l.doc.sections["program:"+n] != nil || l.doc.sections["fcgi-program:"+n] != nil
	}
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, d := range deps[n] {
			if !known(d) {
				p := where[n]
				l.errorf(p.Pos, p.Section, "depends_on", "%s depends on unknown program %s", n, d)
			}
		}
	}
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(n string)
	visit = func(n string) {
		color[n] = grey
		stack = append(stack, n)
		for _, d := range deps[n] {
			switch color[d] {
			case grey:
				i := len(stack) - 1
				for stack[i] != d {
					i--
				}
				cycle := append(append([]string{}, stack[i:]...), d)
				p := where[n]
				l.errorf(p.Pos, p.Section, "depends_on", "dependency cycle: %s", strings.Join(cycle, " -> "))
			case white:
				if _, ok := deps[d]; ok {
					visit(d)
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
	}
	for _, n := range names {
		if color[n] == white {
			visit(n)
		}
	}
}
