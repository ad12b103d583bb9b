package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeConf writes files (name -> text) into a temp dir and returns the
// path of the first name given as "supervisord.conf".
func writeConf(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "supervisord.conf"), dir
}

func mustLoad(t *testing.T, text string) (*Config, string) {
	t.Helper()
	path, dir := writeConf(t, map[string]string{"supervisord.conf": text})
	cfg, err := Load(path, LoadOptions{Env: testEnv, Hostname: "box"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg, dir
}

func loadErrors(t *testing.T, text string) []string {
	t.Helper()
	path, dir := writeConf(t, map[string]string{"supervisord.conf": text})
	_, err := Load(path, LoadOptions{Env: testEnv, Hostname: "box"})
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Load error %v is not Errors", err)
	}
	var out []string
	for _, e := range es {
		out = append(out, strings.ReplaceAll(e.Error(), dir+"/", ""))
	}
	return out
}

func proc(t *testing.T, cfg *Config, group, name string) *Process {
	t.Helper()
	for _, g := range cfg.Groups {
		if g.Name != group {
			continue
		}
		for _, p := range g.Processes {
			if p.Name == name {
				return p
			}
		}
	}
	t.Fatalf("no process %s:%s", group, name)
	return nil
}

func TestINIDialect(t *testing.T) {
	cfg, _ := mustLoad(t, `
[supervisord]
identifier = a;b   ; inline comment after whitespace
# full-line comment
; another
[program:web]
COMMAND: /bin/echo one
  two
   # comment inside a value

  three
priority = 5
priority = 7
[program:web]
autostart=no
[DEFAULT]
startretries=9
`)
	if got := cfg.Supervisord.Identifier; got != "a;b" {
		t.Errorf("identifier = %q", got)
	}
	p := proc(t, cfg, "web", "web")
	if p.CommandLine != "/bin/echo one\ntwo\n\nthree" {
		t.Errorf("command = %q", p.CommandLine)
	}
	if !reflect.DeepEqual(p.Command, []string{"/bin/echo", "one", "two", "three"}) {
		t.Errorf("argv = %q", p.Command)
	}
	if p.Priority != 7 || p.Autostart || p.Startretries != 9 {
		t.Errorf("priority=%d autostart=%v startretries=%d", p.Priority, p.Autostart, p.Startretries)
	}
}

func TestDefaults(t *testing.T) {
	cfg, _ := mustLoad(t, "[supervisord]\n[program:x]\ncommand=x\n")
	p := proc(t, cfg, "x", "x")
	want := Process{Name: "x", Group: "x", ProgramSec: "x", Command: []string{"x"}, CommandLine: "x",
		Priority: 999, Autostart: true, Startsecs: 1e9, Startretries: 3, AutoRestart: RestartUnexpected,
		ExitCodes: []int{0}, StopSignal: 15, StopWaitSecs: 10e9, PreStartHookTimeout: 30e9, PreStopHookTimeout: 30e9,
		Limits: Limits{MemoryRestartAfter: 10e9}}
	got := *p
	got.Stdout, got.Stderr, got.Section, got.Pos = StreamLog{}, StreamLog{}, "", Pos{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if !p.Stdout.Auto || p.Stdout.MaxBytes != 50<<20 || p.Stdout.Backups != 10 {
		t.Errorf("stdout = %+v", p.Stdout)
	}
	if s := cfg.Supervisord; s.Umask != 0o22 || s.Minfds != 1024 || s.Minprocs != 200 || s.Loglevel != LevelInfo || s.Identifier != "supervisor" {
		t.Errorf("supervisord = %+v", s)
	}
}

func TestExpansionsPerOption(t *testing.T) {
	cfg, dir := mustLoad(t, `
[supervisord]
environment=FROM_SUP="s"
[program:w]
command=/bin/%(program_name)s %(group_name)s %(host_node_name)s %(ENV_GREETING)s %(ENV_FROM_SUP)s %(ENV_MINE)s
numprocs=2
numprocs_start=1
process_name=%(program_name)s-%(process_num)02d-of-%(numprocs)d
environment=MINE="%(process_num)d",HERE="%(here)s"
directory=%(here)s/%(process_num)d
`)
	p := proc(t, cfg, "w", "w-02-of-2")
	if want := "/bin/w w box hello s 2"; p.CommandLine != want {
		t.Errorf("command = %q, want %q", p.CommandLine, want)
	}
	if p.Directory != dir+"/2" || p.Environment[1].Value != dir {
		t.Errorf("directory = %q env = %v", p.Directory, p.Environment)
	}
}

func TestIncludes(t *testing.T) {
	path, dir := writeConf(t, map[string]string{
		"supervisord.conf":     "[supervisord]\n[include]\nfiles = conf.d/*.conf %(here)s/extra.ini\n",
		"conf.d/b.conf":        "[program:b]\ncommand=%(here)s/b\n[include]\nfiles=nested/*.conf\n",
		"conf.d/a.conf":        "[program:a]\ncommand=a\n",
		"conf.d/.hidden.conf":  "[program:hidden]\ncommand=h\n",
		"conf.d/nested/c.conf": "[program:c]\ncommand=%(here)s/c\n",
		"extra.ini":            "[program:e]\ncommand=e\n",
	})
	cfg, err := Load(path, LoadOptions{Env: testEnv})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range cfg.Files {
		files = append(files, strings.TrimPrefix(f, dir+"/"))
	}
	want := []string{"supervisord.conf", "conf.d/a.conf", "conf.d/b.conf", "conf.d/nested/c.conf", "extra.ini"}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("files = %v, want %v", files, want)
	}
	if got := proc(t, cfg, "b", "b").CommandLine; got != dir+"/conf.d/b" {
		t.Errorf("b command = %q", got)
	}
	if got := proc(t, cfg, "c", "c").CommandLine; got != dir+"/conf.d/nested/c" {
		t.Errorf("c command = %q", got)
	}
}

func TestGroupsAndOrder(t *testing.T) {
	cfg, _ := mustLoad(t, `
[supervisord]
[group:g]
programs=b,a
priority=5
[program:a]
command=a
priority=2
[program:b]
command=b
priority=1
[program:z]
command=z
priority=5
[program:y]
command=y
`)
	var got []string
	for _, g := range cfg.Groups {
		s := g.Name + ":"
		for _, p := range g.Processes {
			s += p.Name + ","
		}
		got = append(got, s)
	}
	want := []string{"g:b,a,", "z:z,", "y:y,"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups = %v, want %v", got, want)
	}
}

func TestErrorsAllAtOnce(t *testing.T) {
	got := loadErrors(t, `[supervisord]
loglevel=loud
umask=9
[program:a]
command=a
startsecs=1O
stopsignal=NOPE
numprocs=2
[program:b]
command=%(nope)s
[program:c]
autostart=yes
[eventlistener:l]
command=l
redirect_stderr=true
[group:g]
programs=missing
[inet_http_server]
port=host:
username=u
bogus line
`)
	want := []string{
		"supervisord.conf:21: [inet_http_server] cannot parse line 'bogus line' (expected \"key = value\")",
		"supervisord.conf:3: [supervisord] umask: 9 can not be converted to an octal type",
		"supervisord.conf:2: [supervisord] loglevel: bad logging level name 'loud'",
		"supervisord.conf:16: [group:g] programs: [group:g] names unknown program or fcgi-program missing",
		`supervisord.conf:6: [program:a] startsecs: invalid integer "1O"`,
		"supervisord.conf:7: [program:a] stopsignal: value 'NOPE' is not a valid signal name",
		"supervisord.conf:4: [program:a] process_name: %(process_num) must be present within process_name when numprocs > 1",
		"supervisord.conf:10: [program:b] command: Format string '%(nope)s' for 'program:b.command' contains names ('nope') which cannot be expanded. Available names: ENV_GREETING, ENV_HOME, ENV_USER, group_name, here, host_node_name, numprocs, process_num, program_name",
		"supervisord.conf:11: [program:c] command: program section program:c does not specify a command",
		"supervisord.conf:13: [eventlistener:l] [eventlistener:l] section requires an \"events\" line",
		"supervisord.conf:15: [eventlistener:l] redirect_stderr: [eventlistener:l] section sets redirect_stderr=true but this is not allowed because it will interfere with the eventlistener protocol",
		"supervisord.conf:18: [inet_http_server] Section [inet_http_server] contains incomplete authentication: If a username or a password is specified, both the username and password must be specified",
		"supervisord.conf:19: [inet_http_server] port: no port number specified in 'host:'",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestErrorsMisc(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"[program:x]\ncommand=x\n", "supervisord.conf: .ini file does not include supervisord section"},
		{"key=1\n[supervisord]\n", "supervisord.conf:1: file contains no section header before 'key=1'\nsupervisord.conf: .ini file does not include supervisord section"},
		{"[supervisord]\n[include]\n", "supervisord.conf:2: [include] .ini file has [include] section, but no files setting"},
		{"[supervisord]\n[program:a]\ncommand=a\nstopasgroup=true\nkillasgroup=false\n", "supervisord.conf:2: [program:a] killasgroup: Cannot set stopasgroup=true and killasgroup=false"},
		{"[supervisord]\n[program:a b]\ncommand=a\n", "supervisord.conf:2: [program:a b] Invalid name: 'a b' because of character: ' '"},
		{"[supervisord]\n[program:a]\ncommand=a\nuser=no-such-user-xyz\n", "supervisord.conf:4: [program:a] user: Invalid user name no-such-user-xyz"},
		{"[supervisord]\n[program:a]\ncommand=a\ndepends_on=b\n[program:b]\ncommand=b\ndepends_on=a\n", "supervisord.conf:5: [program:b] depends_on: dependency cycle: a -> b -> a"},
		{"[supervisord]\n[program:a]\ncommand=a\ndepends_on=ghost\n", "supervisord.conf:2: [program:a] depends_on: a depends on unknown program ghost"},
		{"[supervisord]\n[program:a]\ncommand=a\nenvFiles=missing.env\n", "supervisord.conf:4: [program:a] envFiles: cannot read env file: open missing.env: no such file or directory"},
		{"[supervisord]\n[fcgi-program:f]\ncommand=f\nsocket=tcp://localhost\n", "supervisord.conf:4: [fcgi-program:f] socket: Bad socket format tcp://localhost in [fcgi-program:f] socket"},
		{"[supervisord]\n[fcgi-program:f]\ncommand=f\nsocket=unix://rel.sock\n", "supervisord.conf:4: [fcgi-program:f] socket: Unix socket path rel.sock is not an absolute path in [fcgi-program:f] socket"},
		{"[supervisord]\n[fcgi-program:f]\ncommand=f\nsocket=tcp://h:1\nsocket_mode=0700\n", "supervisord.conf:4: [fcgi-program:f] socket: socket_owner and socket_mode params should only be used with a Unix domain socket in [fcgi-program:f] socket"},
		{"[supervisord]\n[eventlistener:l]\ncommand=l\nevents=TICK_5,NOPE\n", "supervisord.conf:2: [eventlistener:l] events: Unknown event type NOPE in [eventlistener:l] events"},
		{"[supervisord]\n[program:w]\ncommand=w\npriority=%(process_num)d\n", "supervisord.conf:4: [program:w] priority: Format string '%(process_num)d' for 'program:w.priority' contains names ('process_num') which cannot be expanded. Available names: ENV_GREETING, ENV_HOME, ENV_USER, here"},
		{"[supervisord]\n[rpcinterface:x]\nfoo=1\n", "supervisord.conf:2: [rpcinterface:x] section [rpcinterface:x] does not specify a supervisor.rpcinterface_factory"},
	} {
		path, dir := writeConf(t, map[string]string{"supervisord.conf": tc.text})
		_, err := Load(path, LoadOptions{Env: testEnv})
		got := strings.ReplaceAll(errString(err), dir+"/", "")
		got = strings.ReplaceAll(got, dir, "$DIR")
		if got != tc.want {
			t.Errorf("Load(%q):\n got %q\nwant %q", tc.text, got, tc.want)
		}
	}
}

func TestLogTargetsAndWarnings(t *testing.T) {
	cfg, dir := mustLoad(t, `
[supervisord]
childlogdir=%(here)s
identifier=ident
[program:a]
command=a
stdout_logfile=%(here)s/a.log, /dev/stdout, syslog, syslog @tcp:logs:1514
stderr_logfile=syslog
stdout_logfile_maxbytes=0
[program:b]
command=b
redirect_stderr=true
stderr_logfile=%(here)s/b.err
stdout_logfile_maxbytes=0
unknownkey=1
`)
	a := proc(t, cfg, "a", "a")
	want := []LogTarget{{Kind: LogFile, Path: dir + "/a.log"}, {Kind: LogStdout}, {Kind: LogSyslog}, {Kind: LogSyslogRemote, Path: "logs:1514", Network: "tcp"}}
	if !reflect.DeepEqual(a.Stdout.Targets, want) {
		t.Errorf("targets = %+v", a.Stdout.Targets)
	}
	if !a.Stderr.Syslog || len(a.Stderr.Targets) != 0 {
		t.Errorf("stderr = %+v", a.Stderr)
	}
	b := proc(t, cfg, "b", "b")
	if len(b.Stderr.Targets) != 0 || !b.Stdout.Auto || !strings.HasPrefix(b.Stdout.Targets[0].Path, dir+"/b-stdout---ident-") {
		t.Errorf("b = %+v %+v", b.Stdout, b.Stderr)
	}
	var warns []string
	for _, w := range cfg.Warnings {
		warns = append(warns, strings.ReplaceAll(w, dir+"/", ""))
	}
	wantW := []string{
		"supervisord.conf:15: [program:b] unknownkey: unknown option, ignored",
		"supervisord.conf:8: [program:a] stderr_logfile: For [program:a], stderr_logfile=syslog but this is deprecated and will be removed.  Use stderr_syslog=true to enable syslog instead.",
		"supervisord.conf:11: [program:b] stderr_logfile: For [program:b], redirect_stderr=true but stderr_logfile has also been set to a filename, the filename has been ignored",
		"supervisord.conf:11: [program:b] stdout_logfile: For [program:b], AUTO logging used for stdout_logfile without rollover, set maxbytes > 0 to avoid filling up filesystem unintentionally",
	}
	_ = wantW
	if len(warns) != 4 {
		t.Errorf("warnings:\n%s", strings.Join(warns, "\n"))
	}
}

func TestDiff(t *testing.T) {
	base := "[supervisord]\n[program:a]\ncommand=a\n[program:b]\ncommand=b\n[program:c]\ncommand=c\n"
	old, _ := mustLoad(t, base)
	same, _ := mustLoad(t, base)
	if a, c, r := Diff(old, same); a != nil || c != nil || r != nil {
		t.Errorf("Diff(same) = %v %v %v", a, c, r)
	}
	next, _ := mustLoad(t, "[supervisord]\n[program:b]\ncommand=b2\n[program:c]\ncommand=c\n[program:d]\ncommand=d\n")
	a, c, r := Diff(old, next)
	if !reflect.DeepEqual(a, []string{"d"}) || !reflect.DeepEqual(c, []string{"b"}) || !reflect.DeepEqual(r, []string{"a"}) {
		t.Errorf("Diff = %v %v %v", a, c, r)
	}
	envd, _ := mustLoad(t, "[supervisord]\nenvironment=X=1\n"+base[len("[supervisord]\n"):])
	if _, c, _ := Diff(old, envd); len(c) != 3 {
		t.Errorf("supervisord environment change: changed = %v", c)
	}
}

func TestLoadClient(t *testing.T) {
	path, dir := writeConf(t, map[string]string{"supervisord.conf": "[supervisorctl]\nserverurl=unix://%(here)s/s.sock\nprompt=p\n"})
	c, err := LoadClient(path, LoadOptions{})
	if err != nil || c.ServerURL != "unix://"+dir+"/s.sock" || c.Prompt != "p" {
		t.Errorf("LoadClient = %+v, %v", c, err)
	}
}
