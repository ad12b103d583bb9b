package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// eventTypeNames are the event types a listener may subscribe to.
var eventTypeNames = keySet(`EVENT PROCESS_COMMUNICATION PROCESS_COMMUNICATION_STDERR PROCESS_COMMUNICATION_STDOUT
PROCESS_GROUP PROCESS_GROUP_ADDED PROCESS_GROUP_REMOVED PROCESS_LOG PROCESS_LOG_STDERR PROCESS_LOG_STDOUT
PROCESS_STATE PROCESS_STATE_BACKOFF PROCESS_STATE_EXITED PROCESS_STATE_FATAL PROCESS_STATE_RUNNING
PROCESS_STATE_STARTING PROCESS_STATE_STOPPED PROCESS_STATE_STOPPING PROCESS_STATE_UNKNOWN
REMOTE_COMMUNICATION SUPERVISOR_STATE_CHANGE SUPERVISOR_STATE_CHANGE_RUNNING SUPERVISOR_STATE_CHANGE_STOPPING
TICK TICK_3600 TICK_5 TICK_60`)

const defaultResultHandler = "supervisor.dispatchers:default_handler"

// groups builds every process group in the reference's order of
// discovery, then sorts them by (priority, name).
func (l *loader) groups(cfg *Config) []*Group {
	var groups []*Group
	base := l.env.clone()
	base["here"] = l.mainDir
	inGroup := map[string]bool{}
	has := func(s string) bool { return l.doc.sections[s] != nil }

	for _, name := range l.doc.order {
		if !strings.HasPrefix(name, "group:") {
			continue
		}
		sec := l.doc.sections[name]
		sc := scope{sec: sec}
		gname, err := checkName(strings.SplitN(name, ":", 2)[1])
		if err != nil {
			l.errorf(sec.pos, name, "", "%v", err)
			continue
		}
		programs := typed(l, sc, "programs", base, nil, func(s string) ([]string, error) { return listOfStrings(s), nil })
		g := &Group{Name: gname, Kind: KindProgram, Section: name, Pos: sec.pos,
			Priority: typed(l, sc, "priority", base, 999, parseInt)}
		for _, p := range programs {
			ps, fs := "program:"+p, "fcgi-program:"+p
			switch {
			case !has(ps) && !has(fs):
				l.errorf(sec.pos, name, "programs", "[%s] names unknown program or fcgi-program %s", name, p)
				continue
			case has(ps) && has(fs):
				l.errorf(sec.pos, name, "programs", "[%s] name %s is ambiguous (exists as program and fcgi-program)", name, p)
				continue
			}
			sname := ps
			if !has(ps) {
				sname = fs
			}
			inGroup[sname] = true
			g.Processes = append(g.Processes, l.processes(l.doc.sections[sname], gname, KindProgram)...)
		}
		groups = append(groups, g)
	}

	for _, name := range l.doc.order {
		if !strings.HasPrefix(name, "program:") || inGroup[name] {
			continue
		}
		sec := l.doc.sections[name]
		pname, err := checkName(strings.SplitN(name, ":", 2)[1])
		if err != nil {
			l.errorf(sec.pos, name, "", "%v", err)
			continue
		}
		g := &Group{Name: pname, Kind: KindProgram, Section: name, Pos: sec.pos,
			Priority: typed(l, scope{sec: sec, fallback: l.doc.sections["program-default"]}, "priority", base, 999, parseInt)}
		g.Processes = l.processes(sec, pname, KindProgram)
		groups = append(groups, g)
	}

	for _, name := range l.doc.order {
		if !strings.HasPrefix(name, "eventlistener:") {
			continue
		}
		sec := l.doc.sections[name]
		sc := scope{sec: sec}
		pool := &Pool{}
		g := &Group{Name: strings.SplitN(name, ":", 2)[1], Kind: KindEventListener, Section: name, Pos: sec.pos, Pool: pool,
			Priority: typed(l, sc, "priority", base, -1, parseInt)}
		pool.BufferSize = typed(l, sc, "buffer_size", base, 10, parseInt)
		if pool.BufferSize < 1 {
			l.errorf(sec.pos, name, "buffer_size", "[%s] section sets invalid buffer_size (%d)", name, pool.BufferSize)
		}
		if v, ok := l.opt(sc, "result_handler", base); ok && v.set {
			switch h := pyStrip(v.s); h {
			case defaultResultHandler:
			case "supervisor.dispatchers:reject_handler":
				pool.ResultHandler = h
			default:
				l.errorf(v.pos, name, "result_handler", "%s cannot be resolved within [%s]", v.s, name)
			}
		}
		seen := map[string]bool{}
		for _, e := range listOfStrings(l.str(sc, "events", base, "")) {
			e = strings.ToUpper(e)
			if seen[e] {
				continue
			}
			seen[e] = true
			if !eventTypeNames[e] {
				l.errorf(sec.pos, name, "events", "Unknown event type %s in [%s] events", e, name)
				continue
			}
			pool.Events = append(pool.Events, e)
		}
		if len(seen) == 0 {
			l.errorf(sec.pos, name, "", "[%s] section requires an \"events\" line", name)
		}
		if rv, _ := l.opt(sc, "redirect_stderr", nil); typed(l, sc, "redirect_stderr", base, false, parseBool) {
			l.errorf(rv.pos, name, "redirect_stderr", "[%s] section sets redirect_stderr=true but this is not allowed because it will interfere with the eventlistener protocol", name)
		}
		g.Processes = l.processes(sec, g.Name, KindEventListener)
		groups = append(groups, g)
	}

	for _, name := range l.doc.order {
		if !strings.HasPrefix(name, "fcgi-program:") || inGroup[name] {
			continue
		}
		sec := l.doc.sections[name]
		sc := scope{sec: sec}
		pname, err := checkName(strings.SplitN(name, ":", 2)[1])
		if err != nil {
			l.errorf(sec.pos, name, "", "%v", err)
			continue
		}
		g := &Group{Name: pname, Kind: KindFcgiProgram, Section: name, Pos: sec.pos,
			Priority: typed(l, sc, "priority", base, 999, parseInt)}
		g.Socket = l.fcgiSocket(sc, pname, base)
		g.Processes = l.processes(sec, pname, KindFcgiProgram)
		groups = append(groups, g)
	}

	// Like the reference: groups sorted by (priority, name), which is the
	// start order; a [group:x] keeps its processes in programs= order.
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].Priority != groups[j].Priority {
			return groups[i].Priority < groups[j].Priority
		}
		return groups[i].Name < groups[j].Name
	})
	// The reference adds groups in this order and skips a name it already
	// has; say so rather than dropping one silently.
	seen := map[string]*Group{}
	out := groups[:0]
	for _, g := range groups {
		if first := seen[g.Name]; first != nil {
			l.warnf(g.Pos, g.Section, "", "group name %q is already used by [%s]; this section is ignored", g.Name, first.Section)
			continue
		}
		seen[g.Name] = g
		out = append(out, g)
	}
	return out
}

func listOfStrings(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = pyStrip(parts[i])
	}
	return parts
}

func (l *loader) fcgiSocket(sc scope, program string, base names) *FcgiSocket {
	name := sc.sec.name
	var procUser *User
	if v, ok := l.opt(sc, "user", base); ok && v.set {
		procUser, _ = lookupUser(v.s) // reported with the processes
	}
	backlog := 0
	if v, ok := l.opt(sc, "socket_backlog", base); ok && v.set {
		n, err := parseInt(v.s)
		if err != nil {
			l.errorf(v.pos, name, "socket_backlog", "%v", err)
		} else if n < 1 || n > 65535 {
			l.errorf(v.pos, name, "socket_backlog", "Invalid socket_backlog value %d", n)
		}
		backlog = n
	}
	var owner *User
	ownerV, _ := l.opt(sc, "socket_owner", base)
	if ownerV.set {
		u, err := parseUserGroup(ownerV.s)
		if err != nil {
			l.errorf(ownerV.pos, name, "socket_owner", "Invalid socket_owner value %s", ownerV.s)
		}
		owner = u
	}
	var mode os.FileMode
	modeV, _ := l.opt(sc, "socket_mode", base)
	if modeV.set {
		m, err := parseOctal(modeV.s)
		if err != nil {
			l.errorf(modeV.pos, name, "socket_mode", "Invalid socket_mode value %s", modeV.s)
		}
		mode = m
	}
	n := base.clone()
	n["program_name"] = program
	v, ok := l.opt(sc, "socket", n)
	if !ok {
		return nil
	}
	if v.s == "" {
		l.errorf(sc.sec.pos, name, "", "[%s] section requires a \"socket\" line", name)
		return nil
	}
	sock := &FcgiSocket{Backlog: backlog}
	if strings.HasPrefix(v.s, "unix://") {
		path := v.s[len("unix://"):]
		if !filepath.IsAbs(path) {
			l.errorf(v.pos, name, "socket", "Unix socket path %s is not an absolute path in [%s] socket", path, name)
			return nil
		}
		path = normalizePath(path)
		sock.Network, sock.Address, sock.URL = "unix", path, "unix://"+path
		if owner == nil && procUser != nil && int(procUser.Uid) != os.Getuid() {
			owner = procUser
		}
		sock.Owner = owner
		sock.Mode = 0o700
		if modeV.set {
			sock.Mode = mode
		}
		return sock
	}
	if ownerV.set || modeV.set {
		l.errorf(v.pos, name, "socket", "socket_owner and socket_mode params should only be used with a Unix domain socket in [%s] socket", name)
		return nil
	}
	rest, ok := strings.CutPrefix(v.s, "tcp://")
	host, port, found := strings.Cut(rest, ":")
	if !ok || !found || host == "" || strings.ContainsAny(host, " \t\n\r\f\v:") || port == "" || strings.Trim(port, "0123456789") != "" {
		l.errorf(v.pos, name, "socket", "Bad socket format %s in [%s] socket", v.s, name)
		return nil
	}
	p, err := parsePort(port)
	if err != nil {
		l.errorf(v.pos, name, "socket", "%v in [%s] socket", err, name)
		return nil
	}
	host = strings.ToLower(host)
	sock.Network, sock.Address, sock.URL = "tcp", host+":"+strconv.Itoa(p), fmt.Sprintf("tcp://%s:%d", host, p)
	return sock
}
