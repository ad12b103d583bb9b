package config

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// LoadOptions are the inputs of Load that do not come from the file.
type LoadOptions struct {
	// Env supplies %(ENV_X)s expansions; nil means the process environment.
	Env map[string]string
	// Hostname supplies %(host_node_name)s; "" means os.Hostname().
	Hostname string
	// Overrides are [supervisord] options given on the daemon's command
	// line (e.g. "loglevel" for -e); they replace the file's values and
	// are checked by the same rules, reported at "command line".
	Overrides map[string]string

	// includeRoot, when set, restricts the files that includes and
	// envFiles may read to this directory (for fuzzing).
	includeRoot string
	// maxNumprocs, when set, lowers the numprocs bound (for fuzzing).
	maxNumprocs int
}

type loader struct {
	opts          LoadOptions
	env           names // ENV_* expansions; grows with [supervisord] environment
	hostname      string
	doc           *iniDoc
	mainDir       string
	includeActive bool
	errs          Errors
	seenErr       map[string]bool
	warns         []string
	files         []string
	childlogdir   string
	stripANSI     bool
	identifier    string
}

func newLoader(opts LoadOptions) *loader {
	l := &loader{opts: opts, env: names{}, seenErr: map[string]bool{}, doc: newDoc()}
	if opts.Env == nil {
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok {
				l.env["ENV_"+k] = v
			}
		}
	} else {
		for k, v := range opts.Env {
			l.env["ENV_"+k] = v
		}
	}
	l.hostname = opts.Hostname
	if l.hostname == "" {
		l.hostname, _ = os.Hostname()
	}
	return l
}

func (l *loader) errorf(pos Pos, section, key, format string, args ...any) {
	e := &Error{Pos: pos, Section: section, Key: key, Msg: fmt.Sprintf(format, args...)}
	// One report per option is enough: the reference stops at the first.
	s := e.Error()
	if e.Key != "" && e.Pos.Line > 0 {
		s = fmt.Sprintf("%s:%d:%s:%s", e.Pos.File, e.Pos.Line, e.Section, e.Key)
	}
	if l.seenErr[s] {
		return
	}
	l.seenErr[s] = true
	l.errs = append(l.errs, e)
}

func (l *loader) warnf(pos Pos, section, key, format string, args ...any) {
	e := &Error{Pos: pos, Section: section, Key: key, Msg: fmt.Sprintf(format, args...)}
	l.warns = append(l.warns, e.Error())
}

// Load reads the configuration file at path, its includes, and returns
// the typed, validated result. On failure the error is an Errors holding
// every problem found.
func Load(path string, opts LoadOptions) (*Config, error) {
	l := newLoader(opts)
	cfg := l.load(path)
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	return cfg, nil
}

func (l *loader) readable(path string) bool {
	if l.opts.includeRoot == "" {
		return true
	}
	rel, err := filepath.Rel(l.opts.includeRoot, path)
	return err == nil && !strings.HasPrefix(rel, "..")
}

func (l *loader) load(path string) *Config {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	cfg := &Config{File: abs}
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			l.errorf(Pos{File: path}, "", "", "could not find config file %s", path)
		} else {
			l.errorf(Pos{File: path}, "", "", "could not read config file %s: %v", path, err)
		}
		return nil
	}
	l.mainDir = filepath.Dir(abs)
	l.files = append(l.files, abs)
	for _, e := range parseINI(l.doc, path, l.mainDir, string(data)) {
		l.errorf(e.Pos, e.Section, e.Key, "%s", e.Msg)
	}
	if inc := l.doc.sections["include"]; inc != nil {
		l.includeActive = true
		v := l.doc.lookup(inc, "files")
		if v == nil {
			l.errorf(inc.pos, "include", "", ".ini file has [include] section, but no files setting")
		} else {
			l.include(v, l.mainDir, []string{abs})
		}
	}
	cfg.Files = l.files

	sup := l.doc.sections["supervisord"]
	if sup == nil {
		l.errorf(Pos{File: path}, "", "", ".ini file does not include supervisord section")
		sup = newSection("supervisord", Pos{File: path})
	}
	if len(l.opts.Overrides) > 0 {
		cwd, _ := os.Getwd()
		keys := make([]string, 0, len(l.opts.Overrides))
		for k := range l.opts.Overrides {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sup.set(k, &iniValue{text: l.opts.Overrides[k], pos: Pos{File: "command line"}, dir: cwd})
		}
	}
	l.checkSections()
	l.supervisord(sup, &cfg.Supervisord)
	l.rpcInterfaces()
	cfg.Groups = l.groups(cfg)
	cfg.InetServers, cfg.UnixServers = l.servers()
	cfg.Supervisorctl = l.clientSection(path, string(data))
	l.dependencies(cfg)
	l.headerWarnings()
	cfg.Warnings = l.warns
	return cfg
}

// include reads the files named by an [include] files= value, then the
// includes those files declare themselves.
func (l *loader) include(v *iniValue, base string, stack []string) {
	n := l.env.clone()
	n["here"] = l.mainDir
	n["host_node_name"] = l.hostname
	s, err := expandString(l.text(v), n, "include.files")
	if err != nil {
		l.errorf(v.pos, "include", "files", "%v", err)
		return
	}
	for _, pat := range strings.Fields(s) {
		pattern := pat
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(base, pattern)
		}
		if !l.readable(pattern) {
			continue
		}
		matches, err := pyGlob(pattern)
		if err != nil {
			l.errorf(v.pos, "include", "files", "bad pattern %q: %v", pat, err)
			continue
		}
		if len(matches) == 0 {
			l.warnf(v.pos, "include", "files", "No file matches via include %q", pattern)
			continue
		}
		sort.Strings(matches)
	files:
		for _, m := range matches {
			for _, s := range stack {
				if s == m {
					l.errorf(v.pos, "include", "files", "include cycle: %s includes %s again", stack[len(stack)-1], m)
					continue files
				}
			}
			if !l.readable(m) {
				continue
			}
			data, err := os.ReadFile(m)
			if err != nil {
				l.warnf(v.pos, "include", "files", "could not read included file %s: %v", m, err)
				continue
			}
			l.files = append(l.files, m)
			var before *iniValue
			if inc := l.doc.sections["include"]; inc != nil {
				before = inc.keys["files"]
			}
			for _, e := range parseINI(l.doc, m, filepath.Dir(m), string(data)) {
				l.errorf(e.Pos, e.Section, e.Key, "%s", e.Msg)
			}
			if inc := l.doc.sections["include"]; inc != nil {
				if after := inc.keys["files"]; after != nil && after != before && after.pos.File == m {
					l.include(after, filepath.Dir(m), append(stack[:len(stack):len(stack)], m))
				}
			}
		}
	}
}

// pyGlob expands pattern like Python's glob.glob: "[!x]" negates and a
// wildcard does not match a leading dot.
func pyGlob(pattern string) ([]string, error) {
	goPat := strings.ReplaceAll(pattern, "[!", "[^")
	matches, err := filepath.Glob(goPat)
	if err != nil {
		return nil, err
	}
	pc := strings.Split(goPat, "/")
	var out []string
	for _, m := range matches {
		mc := strings.Split(m, "/")
		ok := true
		for i := range pc {
			if i < len(mc) && strings.ContainsAny(pc[i], "*?[") && !strings.HasPrefix(pc[i], ".") && strings.HasPrefix(mc[i], ".") {
				ok = false
			}
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// text is a value as the reference sees it: when includes are in play it
// has already replaced %(here)s with the directory of the defining file.
func (l *loader) text(v *iniValue) string {
	if l.includeActive && strings.Contains(v.text, "%(here)s") {
		return strings.ReplaceAll(v.text, "%(here)s", v.dir)
	}
	return v.text
}

// scope is where options are looked up: a section, then an optional
// fallback section ([program-default]), then [DEFAULT].
type scope struct {
	sec      *iniSection
	fallback *iniSection
}

// optVal is one option after expansion.
type optVal struct {
	s   string
	set bool
	pos Pos
}

// opt returns key's value expanded with n (no expansion when n is nil).
// ok is false when expansion failed; the error is recorded.
func (l *loader) opt(sc scope, key string, n names) (optVal, bool) {
	v := l.doc.lookup(sc.sec, key, sc.fallback)
	if v == nil {
		return optVal{pos: sc.sec.pos}, true
	}
	s := l.text(v)
	if n != nil {
		out, err := expandString(s, n, sc.sec.name+"."+key)
		if err != nil {
			l.errorf(v.pos, sc.sec.name, key, "%v", err)
			return optVal{pos: v.pos}, false
		}
		s = out
	}
	return optVal{s: s, set: true, pos: v.pos}, true
}

// typed reads key with parse, recording a failure at the option's line
// and returning def when the option is absent or wrong.
func typed[T any](l *loader, sc scope, key string, n names, def T, parse func(string) (T, error)) T {
	v, ok := l.opt(sc, key, n)
	if !ok || !v.set {
		return def
	}
	out, err := parse(v.s)
	if err != nil {
		l.errorf(v.pos, sc.sec.name, key, "%v", err)
		return def
	}
	return out
}

func (l *loader) str(sc scope, key string, n names, def string) string {
	v, ok := l.opt(sc, key, n)
	if !ok || !v.set {
		return def
	}
	return v.s
}

func secondsParser(s string) (time.Duration, error) {
	n, err := pyInt(s)
	if err != nil {
		return 0, err
	}
	return time.Duration(n) * time.Second, nil
}

// durationParser accepts whole seconds or a Go duration ("1m30s"), for the
// Go-era options.
func durationParser(s string) (time.Duration, error) {
	if n, err := pyInt(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(pyStrip(s))
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (want seconds or a duration like 1m30s)", s)
	}
	return d, nil
}

var knownSupervisord = keySet("logfile logfile_maxbytes logfile_backups loglevel pidfile umask nodaemon silent minfds minprocs nocleanup childlogdir user directory strip_ansi environment identifier profile_options")

var knownProcess = keySet(`command process_name numprocs numprocs_start priority autostart autorestart
startsecs startretries exitcodes stopsignal stopwaitsecs stopasgroup killasgroup user redirect_stderr
stdout_logfile stdout_logfile_maxbytes stdout_logfile_backups stdout_capture_maxbytes stdout_events_enabled stdout_syslog
stderr_logfile stderr_logfile_maxbytes stderr_logfile_backups stderr_capture_maxbytes stderr_events_enabled stderr_syslog
environment directory umask serverurl
depends_on envfiles restartpause restart_when_binary_changed restart_cmd_when_binary_changed
restart_signal_when_binary_changed restart_directory_monitor restart_file_pattern restart_cmd_when_file_changed
restart_signal_when_file_changed syslog_facility syslog_tag syslog_stdout_priority syslog_stderr_priority
liveness_check_script liveness_check_http_method liveness_check_http_headers liveness_check_http_data
liveness_check_key_file liveness_check_cert_file liveness_check_ca_file liveness_check_initial_delay
liveness_check_period liveness_check_timeout liveness_check_success_threshold liveness_check_failure_threshold
liveness_check_success_action liveness_check_failure_action
pre_start_hook pre_start_hook_timeout pre_stop_hook pre_stop_hook_timeout log_line_prefix
shutdown_when backoff backoff_max ready_when`)

var knownListener = keySet("buffer_size events result_handler")
var knownFcgi = keySet("socket socket_backlog socket_owner socket_mode")

func keySet(s string) map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(s) {
		m[k] = true
	}
	return m
}

// checkSections warns about section types and keys the daemon ignores.
func (l *loader) checkSections() {
	for _, name := range l.doc.order {
		sec := l.doc.sections[name]
		var known []map[string]bool
		prefix, _, _ := strings.Cut(name, ":")
		switch {
		case name == "supervisord":
			known = append(known, knownSupervisord, knownDeploy, knownContainmentSupervisord)
		case name == "supervisorctl":
			known = append(known, keySet("serverurl username password prompt history_file cafile"))
		case name == "include":
			known = append(known, keySet("files"))
		case name == "program-default", prefix == "program" && strings.Contains(name, ":"):
			known = append(known, knownProcess, knownContainmentProcess)
		case prefix == "eventlistener" && strings.Contains(name, ":"):
			known = append(known, knownProcess, knownListener, knownContainmentProcess)
		case prefix == "fcgi-program" && strings.Contains(name, ":"):
			known = append(known, knownProcess, knownFcgi, knownContainmentProcess)
		case prefix == "group" && strings.Contains(name, ":"):
			known = append(known, keySet("programs priority"))
		case strings.HasPrefix(name, "unix_http_server"):
			known = append(known, keySet("file chmod chown username password readonly_username readonly_password"))
		case strings.HasPrefix(name, "inet_http_server"):
			known = append(known, keySet("port username password readonly_username readonly_password certfile keyfile clientcafile"))
		case prefix == "rpcinterface" && strings.Contains(name, ":"), prefix == "ctlplugin" && strings.Contains(name, ":"):
			continue
		default:
			l.warnf(sec.pos, name, "", "unknown section type, ignored")
			continue
		}
		for _, k := range sec.order {
			ok := false
			for _, m := range known {
				ok = ok || m[k]
			}
			if !ok {
				l.warnf(sec.keys[k].pos, name, k, "unknown option, ignored")
			}
		}
	}
}

func (l *loader) supervisord(sec *iniSection, s *Supervisord) {
	sc := scope{sec: sec}
	n := l.env.clone()
	n["here"] = l.mainDir
	s.Minfds = uint64(max(0, typed(l, sc, "minfds", n, 1024, parseInt)))
	s.Minprocs = uint64(max(0, typed(l, sc, "minprocs", n, 200, parseInt)))
	s.Directory = typed(l, sc, "directory", n, "", existingDirectory)
	s.User = typed(l, sc, "user", n, nil, lookupUser)
	s.Umask = typed(l, sc, "umask", n, 0o22, parseOctal)
	s.Logfile = typed(l, sc, "logfile", n, normalizePath("supervisord.log"), func(v string) (string, error) {
		if strings.EqualFold(v, "none") {
			return "", nil
		}
		p, err := existingDirpath(v)
		if err != nil || p == "syslog" {
			return p, err
		}
		return normalizePath(p), nil
	})
	s.LogfileMaxBytes = typed(l, sc, "logfile_maxbytes", n, 50*1024*1024, parseByteSize)
	s.LogfileBackups = typed(l, sc, "logfile_backups", n, 10, parseInt)
	s.Loglevel = typed(l, sc, "loglevel", n, LevelInfo, parseLevel)
	s.Pidfile = typed(l, sc, "pidfile", n, normalizePath("supervisord.pid"), func(v string) (string, error) {
		p, err := existingDirpath(v)
		return normalizePath(p), err
	})
	s.Identifier = l.str(sc, "identifier", n, "supervisor")
	s.Nodaemon = typed(l, sc, "nodaemon", n, false, parseBool)
	s.Silent = typed(l, sc, "silent", n, false, parseBool)
	s.Childlogdir = typed(l, sc, "childlogdir", n, os.TempDir(), existingDirectory)
	s.Nocleanup = typed(l, sc, "nocleanup", n, false, parseBool)
	s.StripANSI = typed(l, sc, "strip_ansi", n, false, parseBool)
	l.containment(sc, n, &s.Containment)
	l.childlogdir, l.identifier, l.stripANSI = s.Childlogdir, s.Identifier, s.StripANSI
	l.deployKeys(sc, n, s)

	// The reference expands environment twice: once as every option, once
	// more with host_node_name available.
	if v, ok := l.opt(sc, "environment", n); ok && v.set {
		n2 := l.env.clone()
		n2["here"] = l.mainDir
		n2["host_node_name"] = l.hostname
		out, err := expandString(v.s, n2, "environment")
		if err != nil {
			l.errorf(v.pos, sec.name, "environment", "%v", err)
		} else if env, err := parseKeyValuePairs(out); err != nil {
			l.errorf(v.pos, sec.name, "environment", "%v", err)
		} else {
			s.Environment = env
		}
	}
	for _, e := range s.Environment {
		l.env["ENV_"+e.Key] = e.Value
	}
}

const mainRPCFactory = "supervisor.rpcinterface:make_main_rpcinterface"

func (l *loader) rpcInterfaces() {
	for _, name := range l.doc.order {
		if !strings.HasPrefix(name, "rpcinterface:") {
			continue
		}
		sec := l.doc.sections[name]
		sc := scope{sec: sec}
		v, ok := l.opt(sc, "supervisor.rpcinterface_factory", l.env)
		if !ok {
			continue
		}
		if !v.set {
			l.errorf(sec.pos, name, "", "section [%s] does not specify a supervisor.rpcinterface_factory", name)
			continue
		}
		for _, k := range sec.order {
			l.opt(sc, k, l.env) // report expansion errors like the reference
		}
		if pyStrip(v.s) != mainRPCFactory {
			l.warnf(v.pos, name, "supervisor.rpcinterface_factory", "%s is not supported and is ignored", v.s)
		}
	}
}

// servers reads [inet_http_server] and [unix_http_server] sections.
func (l *loader) servers() ([]InetHTTPServer, []UnixHTTPServer) {
	var inets []InetHTTPServer
	var unixes []UnixHTTPServer
	for _, name := range l.doc.order {
		if !strings.HasPrefix(name, "inet_http_server") {
			continue
		}
		sec := l.doc.sections[name]
		sc := scope{sec: sec}
		srv := InetHTTPServer{Section: name}
		srv.Username, srv.Password = l.auth(sc)
		srv.ReadOnly, srv.TLS = l.readOnlyUser(sc, srv.Username), l.tlsFiles(sc)
		v, ok := l.opt(sc, "port", l.env)
		if ok && !v.set {
			l.errorf(sec.pos, name, "", "section [%s] has no port value", name)
		} else if ok {
			host, port, err := parseInetAddress(v.s)
			if err != nil {
				l.errorf(v.pos, name, "port", "%v", err)
			}
			srv.Host, srv.Port = host, port
		}
		inets = append(inets, srv)
	}
	for _, name := range l.doc.order {
		if !strings.HasPrefix(name, "unix_http_server") {
			continue
		}
		sec := l.doc.sections[name]
		sc := scope{sec: sec}
		srv := UnixHTTPServer{Section: name, Chmod: 0o700}
		n := l.env.clone()
		n["here"] = l.mainDir
		v, ok := l.opt(sc, "file", n)
		if ok && !v.set {
			l.errorf(sec.pos, name, "", "section [%s] has no file value", name)
		} else if ok {
			srv.File = normalizePath(pyStrip(v.s))
		}
		srv.Username, srv.Password = l.auth(sc)
		srv.ReadOnly = l.readOnlyUser(sc, srv.Username)
		if v, ok := l.opt(sc, "chown", l.env); ok && v.set {
			u, err := parseUserGroup(v.s)
			if err != nil {
				l.errorf(v.pos, name, "chown", "Invalid sockchown value %s", v.s)
			}
			srv.Chown = u
		}
		if v, ok := l.opt(sc, "chmod", l.env); ok && v.set {
			m, err := parseOctal(v.s)
			if err != nil {
				l.errorf(v.pos, name, "chmod", "Invalid chmod value %s", v.s)
			} else {
				srv.Chmod = m
			}
		}
		unixes = append(unixes, srv)
	}
	return inets, unixes
}

func (l *loader) auth(sc scope) (string, string) {
	u, uok := l.opt(sc, "username", l.env)
	p, pok := l.opt(sc, "password", l.env)
	if uok && pok && u.set != p.set {
		l.errorf(sc.sec.pos, sc.sec.name, "", "Section [%s] contains incomplete authentication: If a username or a password is specified, both the username and password must be specified", sc.sec.name)
	}
	return u.s, p.s
}

// clientSection reads [supervisorctl] the way supervisorctl does: from the
// main file only, with the process environment and %(here)s.
func (l *loader) clientSection(path, text string) Supervisorctl {
	doc := newDoc()
	parseINI(doc, path, l.mainDir, text)
	out, _ := clientFromDoc(doc, l.mainDir, l.opts)
	return out
}

func clientFromDoc(doc *iniDoc, here string, opts LoadOptions) (Supervisorctl, Errors) {
	out := Supervisorctl{Prompt: "supervisor"}
	sec := doc.sections["supervisorctl"]
	if sec == nil {
		sec = newSection("supervisorctl", Pos{})
	}
	cl := newLoader(opts)
	cl.doc = doc
	sc := scope{sec: sec}
	n := cl.env.clone()
	n["here"] = here
	if v, ok := cl.opt(sc, "serverurl", n); ok && v.set {
		out.ServerURL = v.s
		if strings.HasPrefix(v.s, "unix://") {
			out.ServerURL = "unix://" + normalizePath(v.s[len("unix://"):])
		}
	}
	out.Prompt = cl.str(sc, "prompt", cl.env, out.Prompt)
	out.Username = cl.str(sc, "username", cl.env, "")
	out.Password = cl.str(sc, "password", cl.env, "")
	if h := cl.str(sc, "history_file", n, ""); h != "" {
		out.HistoryFile = normalizePath(h)
	}
	return out, cl.errs
}

// LoadClient reads the [supervisorctl] section of the file at path the way
// supervisorctl does (main file only; no [supervisord] needed).
func LoadClient(path string, opts LoadOptions) (*Supervisorctl, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Errors{{Pos: Pos{File: path}, Msg: fmt.Sprintf("could not read config file %s", path)}}
	}
	abs, _ := filepath.Abs(path)
	doc := newDoc()
	errs := Errors(parseINI(doc, path, filepath.Dir(abs), string(data)))
	if doc.sections["supervisorctl"] == nil {
		errs = append(errs, &Error{Pos: Pos{File: path}, Msg: ".ini file does not include supervisorctl section"})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out, errs := clientFromDoc(doc, filepath.Dir(abs), opts)
	if len(errs) > 0 {
		return nil, errs
	}
	return &out, nil
}

func randomSuffix() string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789_"
	b := make([]byte, 8)
	for i := range b {
		b[i] = chars[rand.IntN(len(chars))]
	}
	return string(b)
}
