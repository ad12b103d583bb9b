package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// maxNumprocs bounds numprocs so a typo cannot exhaust memory.
const maxNumprocs = 100000

// processes builds the process instances of a [program:x],
// [eventlistener:x] or [fcgi-program:x] section for group groupName,
// following the reference's order of reads so the same expansions are
// available to the same options.
func (l *loader) processes(sec *iniSection, groupName string, kind GroupKind) []*Process {
	name := sec.name
	errsBefore := len(l.errs)
	program, err := checkName(strings.SplitN(name, ":", 2)[1])
	if err != nil {
		l.errorf(sec.pos, name, "", "%v", err)
		return nil
	}
	sc := scope{sec: sec}
	if strings.HasPrefix(name, "program:") {
		sc.fallback = l.doc.sections["program-default"]
	}
	common := l.env.clone()
	common["here"] = l.mainDir
	common["program_name"] = program
	common["host_node_name"] = l.hostname
	common["group_name"] = groupName

	priority := typed(l, sc, "priority", common, 999, parseInt)
	autostart := typed(l, sc, "autostart", common, true, parseBool)
	autorestart := typed(l, sc, "autorestart", common, RestartUnexpected, parseAutoRestart)
	startsecs := typed(l, sc, "startsecs", common, time.Second, secondsParser)
	startretries := typed(l, sc, "startretries", common, 3, parseStartRetries)
	stopsignal := typed(l, sc, "stopsignal", common, 15, parseSignal)
	stopwait := typed(l, sc, "stopwaitsecs", common, 10*time.Second, secondsParser)
	stopasgroup := typed(l, sc, "stopasgroup", common, false, parseBool)
	killasgroup := typed(l, sc, "killasgroup", common, stopasgroup, parseBool)
	exitcodes := typed(l, sc, "exitcodes", common, []int{0}, parseExitCodes)
	redirect := typed(l, sc, "redirect_stderr", common, false, parseBool)
	numprocs := typed(l, sc, "numprocs", common, 1, parseInt)
	numprocsStart := typed(l, sc, "numprocs_start", common, 0, parseInt)
	envRaw, _ := l.opt(sc, "environment", nil)
	outCap := typed(l, sc, "stdout_capture_maxbytes", common, 0, parseByteSize)
	outEvents := typed(l, sc, "stdout_events_enabled", common, false, parseBool)
	errCap := typed(l, sc, "stderr_capture_maxbytes", common, 0, parseByteSize)
	errEvents := typed(l, sc, "stderr_events_enabled", common, false, parseBool)
	serverURL := l.str(sc, "serverurl", common, "")
	if strings.EqualFold(pyStrip(serverURL), "AUTO") {
		serverURL = ""
	}
	usr := typed(l, sc, "user", common, nil, lookupUser)
	umask := typed(l, sc, "umask", common, nil, func(s string) (*os.FileMode, error) {
		m, err := parseOctal(s)
		return &m, err
	})
	pnRaw, _ := l.opt(sc, "process_name", nil)
	processName := "%(program_name)s"
	if pnRaw.set {
		processName = pnRaw.s
	}
	if _, err := checkName(processName); err != nil {
		l.errorf(pnRaw.pos, name, "process_name", "%v", err)
	}
	if numprocs > 1 && !strings.Contains(processName, "%(process_num)") {
		l.errorf(pnRaw.pos, name, "process_name", "%%(process_num) must be present within process_name when numprocs > 1")
	}
	limit := maxNumprocs
	if l.opts.maxNumprocs > 0 {
		limit = l.opts.maxNumprocs
	}
	if numprocs > limit {
		l.errorf(sec.pos, name, "numprocs", "numprocs %d is more than %d", numprocs, limit)
	}
	if stopasgroup && !killasgroup {
		l.errorf(sec.pos, name, "killasgroup", "Cannot set stopasgroup=true and killasgroup=false")
	}
	if len(l.errs) > errsBefore {
		return nil
	}

	var procs []*Process
	for num := numprocsStart; num < numprocsStart+numprocs; num++ {
		before := len(l.errs)
		n := common // shared across instances, as in the reference
		n["process_num"] = num
		n["numprocs"] = numprocs
		for k, v := range l.env {
			n[k] = v
		}
		var env []EnvVar
		if envRaw.set {
			out, err := expandString(envRaw.s, n, "environment")
			if err != nil {
				l.errorf(envRaw.pos, name, "environment", "%v", err)
			} else if env, err = parseKeyValuePairs(out); err != nil {
				l.errorf(envRaw.pos, name, "environment", "%v", err)
			}
		}
		for _, e := range env {
			n["ENV_"+e.Key] = e.Value
		}
		p := &Process{
			Group: groupName, ProgramSec: program, ProcessNum: num,
			Priority: priority, Autostart: autostart, AutoRestart: autorestart,
			Startsecs: startsecs, Startretries: startretries, ExitCodes: exitcodes,
			StopSignal: stopsignal, StopWaitSecs: stopwait, StopAsGroup: stopasgroup, KillAsGroup: killasgroup,
			User: usr, RedirectStderr: redirect, Environment: env, Umask: umask, ServerURL: serverURL,
			Section: name, Pos: sec.pos, StripANSI: l.stripANSI,
		}
		p.Directory = l.str(sc, "directory", n, "")
		p.Stdout = l.streamLog(sc, "stdout", n)
		p.Stderr = l.streamLog(sc, "stderr", n)
		p.Stdout.CaptureMaxBytes, p.Stdout.EventsEnabled = outCap, outEvents
		p.Stderr.CaptureMaxBytes, p.Stderr.EventsEnabled = errCap, errEvents
		if redirect {
			if len(p.Stderr.Targets) > 0 && !p.Stderr.Auto {
				l.warnf(sec.pos, name, "stderr_logfile", "For [%s], redirect_stderr=true but stderr_logfile has also been set to a filename, the filename has been ignored", name)
			}
			p.Stderr.Targets, p.Stderr.Auto = nil, false
		}
		cmd, ok := l.opt(sc, "command", n)
		if ok && !cmd.set {
			l.errorf(sec.pos, name, "command", "program section %s does not specify a command", name)
		}
		p.CommandLine = cmd.s
		if cmd.set {
			args, err := splitCommand(cmd.s)
			switch {
			case err != nil:
				p.CommandError = fmt.Sprintf("can't parse command %s: %v", pyRepr(cmd.s), err)
			case len(args) == 0:
				p.CommandError = "command is empty"
			}
			p.Command = args
		}
		pn, err := expandString(processName, n, "process_name")
		if err != nil {
			l.errorf(pnRaw.pos, name, "process_name", "%v", err)
		}
		p.Name = pn
		for _, t := range []*StreamLog{&p.Stdout, &p.Stderr} {
			if t.Auto {
				ch := "stdout"
				if t == &p.Stderr {
					ch = "stderr"
				}
				t.Targets = []LogTarget{{Kind: LogFile, Path: filepath.Join(l.childlogdir,
					fmt.Sprintf("%s-%s---%s-%s.log", pn, ch, l.identifier, randomSuffix()))}}
			}
		}
		l.extraKeys(sc, p, n)
		if len(l.errs) > before {
			break // one report per section is enough
		}
		procs = append(procs, p)
	}
	// The reference sorts a program's instances by (priority, name):
	// "web_10" comes before "web_9".
	sort.SliceStable(procs, func(i, j int) bool {
		if procs[i].Priority != procs[j].Priority {
			return procs[i].Priority < procs[j].Priority
		}
		return procs[i].Name < procs[j].Name
	})
	return procs
}

// streamLog reads the *_logfile options of one stream. The value is
// expanded twice, as in the reference.
func (l *loader) streamLog(sc scope, ch string, n names) StreamLog {
	var s StreamLog
	key := ch + "_logfile"
	name := sc.sec.name
	v, ok := l.opt(sc, key, n)
	raw := "auto"
	if ok && v.set {
		out, err := expandString(v.s, n, key)
		if err != nil {
			l.errorf(v.pos, name, key, "%v", err)
			ok = false
		}
		raw = out
	}
	s.Backups = typed(l, sc, ch+"_logfile_backups", n, 10, parseInt)
	s.MaxBytes = typed(l, sc, ch+"_logfile_maxbytes", n, 50*1024*1024, parseByteSize)
	s.Syslog = typed(l, sc, ch+"_syslog", n, false, parseBool)
	if !ok {
		return s
	}
	switch strings.ToLower(raw) {
	case "none", "off":
		return s
	case "auto":
		s.Auto = true
		if s.MaxBytes == 0 {
			l.warnf(v.pos, name, key, "For [%s], AUTO logging used for %s without rollover, set maxbytes > 0 to avoid filling up filesystem unintentionally", name, key)
		}
		return s
	case "syslog":
		l.warnf(v.pos, name, key, "For [%s], %s=syslog but this is deprecated and will be removed.  Use %s_syslog=true to enable syslog instead.", name, key, ch)
		s.Syslog = true
		return s
	}
	items := []string{raw}
	if strings.Contains(raw, ",") {
		items = listOfStrings(raw)
	}
	for _, it := range items {
		t, err := parseLogTarget(it)
		if err != nil {
			l.errorf(v.pos, name, key, "%v", err)
			continue
		}
		if t != nil {
			s.Targets = append(s.Targets, *t)
		}
	}
	return s
}

// parseLogTarget reads one log destination: a path, /dev/stdout,
// /dev/stderr, /dev/null, "syslog", or "syslog @[tcp|udp:]host[:port]".
func parseLogTarget(it string) (*LogTarget, error) {
	switch strings.ToLower(it) {
	case "":
		return nil, nil
	case "/dev/stdout":
		return &LogTarget{Kind: LogStdout}, nil
	case "/dev/stderr":
		return &LogTarget{Kind: LogStderr}, nil
	case "/dev/null":
		return &LogTarget{Kind: LogNull}, nil
	case "syslog":
		return &LogTarget{Kind: LogSyslog}, nil
	case "auto", "none", "off":
		return nil, fmt.Errorf("%s cannot be combined with other log targets", it)
	}
	if rest, ok := strings.CutPrefix(it, "syslog"); ok && strings.HasPrefix(strings.TrimLeft(rest, " \t"), "@") {
		addr := strings.TrimLeft(rest, " \t")[1:]
		network := "udp"
		if a, ok := strings.CutPrefix(addr, "tcp:"); ok {
			network, addr = "tcp", a
		} else if a, ok := strings.CutPrefix(addr, "udp:"); ok {
			addr = a
		}
		addr = strings.TrimPrefix(addr, "//")
		if addr == "" {
			return nil, fmt.Errorf("syslog target %q has no host", it)
		}
		if !strings.Contains(addr, ":") || strings.HasSuffix(addr, "]") {
			addr += ":514"
		}
		return &LogTarget{Kind: LogSyslogRemote, Path: addr, Network: network}, nil
	}
	p, err := existingDirpath(it)
	if err != nil {
		return nil, err
	}
	return &LogTarget{Kind: LogFile, Path: normalizePath(p)}, nil
}
