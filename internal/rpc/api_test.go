package rpc

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/faults"
	"supervisord/internal/process"
	"supervisord/internal/xmlrpc"
)

// wire passes a value through the codec, so tests compare what a client
// would see.
func wire(t *testing.T, v any) any {
	t.Helper()
	var buf bytes.Buffer
	if err := xmlrpc.EncodeResponse(&buf, v); err != nil {
		t.Fatalf("encode %#v: %v", v, err)
	}
	out, err := xmlrpc.DecodeResponse(&buf, xmlrpc.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func row(name, group string, status int, desc string) map[string]any {
	return map[string]any{"name": name, "group": group, "status": status, "description": desc}
}

func newAPI(f *fakeBackend) *API {
	return New(f, Options{Location: time.UTC, Now: func() time.Time { return time.Unix(1000+3723, 0) }})
}

func TestMethods(t *testing.T) {
	dir := t.TempDir()
	mainLog := filepath.Join(dir, "main.log")
	if err := os.WriteFile(mainLog, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	webLog := filepath.Join(dir, "web.log")
	if err := os.WriteFile(webLog, []byte("hello world\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Groups: []*config.Group{
		{Name: "web", Priority: 1, Processes: []*config.Process{{Name: "web", Group: "web",
			CommandLine: "web --serve", Autostart: true, ExitCodes: []int{0, 2}, StopSignal: 15,
			Startsecs: time.Second, StopWaitSecs: 10 * time.Second, Startretries: 3, Priority: 999,
			Stdout: config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogFile, Path: webLog}}, MaxBytes: 1024, Backups: 2},
			Stderr: config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogSyslog}}},
		}}},
		{Name: "spare", Priority: 5, Processes: []*config.Process{{Name: "spare", Group: "spare", CommandLine: "x",
			User: &config.User{Name: "nobody", Uid: 65534}, Directory: "/tmp"}}},
	}}

	type tc struct {
		name   string
		setup  func(f *fakeBackend)
		method string
		args   []any
		want   any    // compared after a trip through the codec
		fault  string // "CODE: detail" expected instead of want
		calls  []string
	}
	cases := []tc{
		{name: "api version", method: "supervisor.getAPIVersion", want: "3.0"},
		{name: "old api version", method: "supervisor.getVersion", want: "3.0"},
		{name: "supervisor version", method: "supervisor.getSupervisorVersion", want: "4.2.5"},
		{name: "identification", method: "supervisor.getIdentification", want: "supervisor"},
		{name: "state", method: "supervisor.getState", want: map[string]any{"statecode": 1, "statename": "RUNNING"}},
		{name: "pid", method: "supervisor.getPID", want: 4242},
		{name: "extra argument", method: "supervisor.getPID", args: []any{1}, fault: "2: INCORRECT_PARAMETERS"},
		{name: "unknown method", method: "supervisor.nope", fault: "1: UNKNOWN_METHOD"},
		{name: "private method", method: "supervisor._update", fault: "1: UNKNOWN_METHOD"},
		{name: "dotted traversal", method: "supervisor.getPID.x", fault: "1: UNKNOWN_METHOD"},
		{name: "no namespace", method: "getPID", fault: "1: UNKNOWN_METHOD"},
		{name: "shutdown state", setup: func(f *fakeBackend) { f.state = process.SupervisorShutdown },
			method: "supervisor.getPID", fault: "6: SHUTDOWN_STATE"},
		{name: "restarting state", setup: func(f *fakeBackend) { f.state = process.SupervisorRestarting },
			method: "supervisor.startProcess", args: []any{"web"}, fault: "6: SHUTDOWN_STATE"},
		{name: "fatal state still serves", setup: func(f *fakeBackend) { f.state = process.SupervisorFatal },
			method: "supervisor.getState", want: map[string]any{"statecode": 2, "statename": "FATAL"}},

		{name: "start", method: "supervisor.startProcess", args: []any{"workers:w1"}, want: true,
			calls: []string{"StartProcess workers:w1"}},
		{name: "start by short name", method: "supervisor.startProcess", args: []any{"web", false}, want: true,
			calls: []string{"StartProcess web:web"}},
		{name: "start bad name", method: "supervisor.startProcess", args: []any{"nope"}, fault: "10: BAD_NAME: nope"},
		{name: "start bad process", method: "supervisor.startProcess", args: []any{"workers:nope"}, fault: "10: BAD_NAME: workers:nope"},
		{name: "start group member by short name", method: "supervisor.startProcess", args: []any{"w1"}, fault: "10: BAD_NAME: w1"},
		{name: "start int name", method: "supervisor.startProcess", args: []any{5}, fault: "2: INCORRECT_PARAMETERS"},
		{name: "start no args", method: "supervisor.startProcess", fault: "2: INCORRECT_PARAMETERS"},
		{name: "start too many args", method: "supervisor.startProcess", args: []any{"web", true, 1}, fault: "2: INCORRECT_PARAMETERS"},
		{name: "start already started", setup: func(f *fakeBackend) {
			f.errs["StartProcess web:web"] = fault(faults.AlreadyStarted, "web:web")
		}, method: "supervisor.startProcess", args: []any{"web"}, fault: "60: ALREADY_STARTED: web"},
		{name: "start no file", setup: func(f *fakeBackend) {
			f.errs["StartProcess web:web"] = fault(faults.NoFile, "no such file")
		}, method: "supervisor.startProcess", args: []any{"web"}, fault: "20: NO_FILE: no such file"},
		{name: "start not executable", setup: func(f *fakeBackend) {
			f.errs["StartProcess web:web"] = fault(faults.NotExecutable, "command at '/etc' is a directory")
		}, method: "supervisor.startProcess", args: []any{"web"}, fault: "21: NOT_EXECUTABLE: command at '/etc' is a directory"},
		{name: "start spawn error", setup: func(f *fakeBackend) {
			f.errs["StartProcess workers:w1"] = fault(faults.SpawnError, "w1")
		}, method: "supervisor.startProcess", args: []any{"workers:w1"}, fault: "50: SPAWN_ERROR: workers:w1"},
		{name: "start abnormal", setup: func(f *fakeBackend) {
			f.errs["StartProcess workers:w1"] = fault(faults.AbnormalTermination, "")
		}, method: "supervisor.startProcess", args: []any{"workers:w1"}, fault: "40: ABNORMAL_TERMINATION: workers:w1"},
		{name: "start plain error is FAILED", setup: func(f *fakeBackend) {
			f.errs["StartProcess workers:w1"] = errors.New("boom")
		}, method: "supervisor.startProcess", args: []any{"workers:w1"}, fault: "30: FAILED: boom"},
		{name: "start group spec", method: "supervisor.startProcess", args: []any{"workers:*"},
			want: []any{row("w1", "workers", 80, "OK"), row("w2", "workers", 80, "OK")}},
		{name: "start group spec no wait", method: "supervisor.startProcess", args: []any{"workers:*", false},
			want:  []any{row("w1", "workers", 80, "OK"), row("w2", "workers", 80, "OK")},
			calls: []string{"StartProcess workers:w1", "StartProcess workers:w2"}},
		{name: "start group", method: "supervisor.startProcessGroup", args: []any{"workers", false},
			want: []any{row("w1", "workers", 80, "OK"), row("w2", "workers", 80, "OK")}},
		{name: "start group with failure", setup: func(f *fakeBackend) {
			f.errs["StartProcess workers:w2"] = fault(faults.SpawnError, "x")
		}, method: "supervisor.startProcessGroup", args: []any{"workers", false},
			want: []any{row("w1", "workers", 80, "OK"), row("w2", "workers", 50, "SPAWN_ERROR: workers:w2")}},
		{name: "start group bad name", method: "supervisor.startProcessGroup", args: []any{"nope"}, fault: "10: BAD_NAME: nope"},
		{name: "start all", method: "supervisor.startAllProcesses", args: []any{false},
			want:  []any{row("w1", "workers", 80, "OK"), row("w2", "workers", 80, "OK"), row("aaa", "aaa", 80, "OK")},
			calls: []string{"StartProcess workers:w1", "StartProcess workers:w2", "StartProcess aaa:aaa"}},

		{name: "stop", method: "supervisor.stopProcess", args: []any{"web"}, want: true, calls: []string{"StopProcess web:web"}},
		{name: "stop not running", setup: func(f *fakeBackend) {
			f.errs["StopProcess workers:w1"] = fault(faults.NotRunning, "")
		}, method: "supervisor.stopProcess", args: []any{"workers:w1"}, fault: "70: NOT_RUNNING: workers:w1"},
		{name: "stop failed", setup: func(f *fakeBackend) {
			f.errs["StopProcess web:web"] = fault(faults.Failed, "process is unkillable")
		}, method: "supervisor.stopProcess", args: []any{"web"}, fault: "30: FAILED: process is unkillable"},
		{name: "stop group", method: "supervisor.stopProcessGroup", args: []any{"workers", false},
			want: []any{row("w0", "workers", 80, "OK")}, calls: []string{"StopProcess workers:w0"}},
		{name: "stop group spec", method: "supervisor.stopProcess", args: []any{"workers:", true},
			want: []any{row("w0", "workers", 80, "OK")}},
		{name: "stop all", method: "supervisor.stopAllProcesses",
			want: []any{row("web", "web", 80, "OK"), row("w0", "workers", 80, "OK")}},

		{name: "signal by name", method: "supervisor.signalProcess", args: []any{"web", "HUP"}, want: true,
			calls: []string{"SignalProcess web:web 1"}},
		{name: "signal with SIG", method: "supervisor.signalProcess", args: []any{"web", "sigusr1"}, want: true,
			calls: []string{"SignalProcess web:web 10"}},
		{name: "signal by number string", method: "supervisor.signalProcess", args: []any{"web", "9"}, want: true,
			calls: []string{"SignalProcess web:web 9"}},
		{name: "signal by int", method: "supervisor.signalProcess", args: []any{"web", 15}, want: true},
		{name: "bad signal", method: "supervisor.signalProcess", args: []any{"web", "FOO"}, fault: "11: BAD_SIGNAL: FOO"},
		{name: "bad signal number", method: "supervisor.signalProcess", args: []any{"web", 99}, fault: "11: BAD_SIGNAL: 99"},
		{name: "signal not running", method: "supervisor.signalProcess", args: []any{"workers:w1", "HUP"}, fault: "70: NOT_RUNNING: workers:w1"},
		{name: "signal group", method: "supervisor.signalProcessGroup", args: []any{"workers", "TERM"},
			want: []any{row("w0", "workers", 80, "OK")}},
		{name: "signal group bad signal", method: "supervisor.signalProcessGroup", args: []any{"workers", "FOO"},
			want: []any{row("w0", "workers", 11, "BAD_SIGNAL: FOO")}},
		{name: "signal group bad name", method: "supervisor.signalProcessGroup", args: []any{"nope", "TERM"}, fault: "10: BAD_NAME: nope"},
		{name: "signal all", method: "supervisor.signalAllProcesses", args: []any{"HUP"},
			want: []any{row("web", "web", 80, "OK"), row("w0", "workers", 80, "OK")}},

		{name: "stdin", method: "supervisor.sendProcessStdin", args: []any{"web", "hi\n"}, want: true,
			calls: []string{`SendProcessStdin web:web "hi\n"`}},
		{name: "stdin not a string", method: "supervisor.sendProcessStdin", args: []any{"web", 1}, fault: "2: INCORRECT_PARAMETERS: 1"},
		{name: "stdin closed", setup: func(f *fakeBackend) {
			f.errs[`SendProcessStdin web:web "x"`] = fault(faults.NoFile, "")
		}, method: "supervisor.sendProcessStdin", args: []any{"web", "x"}, fault: "20: NO_FILE: web"},
		{name: "stdin group", method: "supervisor.sendProcessStdin", args: []any{"workers:*", "x"}, fault: "10: BAD_NAME: workers:*"},
		{name: "remote comm", method: "supervisor.sendRemoteCommEvent", args: []any{"t", "d"}, want: true,
			calls: []string{"SendRemoteCommEvent t d"}},

		{name: "process info", method: "supervisor.getProcessInfo", args: []any{"web"}, want: map[string]any{
			"name": "web", "group": "web", "start": 1000, "stop": 0, "now": 4723, "state": 20, "statename": "RUNNING",
			"spawnerr": "", "exitstatus": 0, "logfile": "", "stdout_logfile": "", "stderr_logfile": "", "pid": 42,
			"description": "pid 42, uptime 1:02:03"}},
		{name: "process info group spec", method: "supervisor.getProcessInfo", args: []any{"workers:*"}, fault: "10: BAD_NAME: workers:*"},
		{name: "process info fatal", method: "supervisor.getProcessInfo", args: []any{"workers:w2"}, want: map[string]any{
			"name": "w2", "group": "workers", "start": 0, "stop": 0, "now": 4723, "state": 200, "statename": "FATAL",
			"spawnerr": "can't find command 'nope'", "exitstatus": 0, "logfile": "", "stdout_logfile": "", "stderr_logfile": "", "pid": 0,
			"description": "can't find command 'nope'"}},

		{name: "reload", method: "supervisor.reloadConfig", want: []any{[]any{[]any{"new"}, []any{}, []any{"old"}}}},
		{name: "reload error", setup: func(f *fakeBackend) {
			f.errs["ReloadConfig"] = fault(faults.CantReread, "bad.conf:3: oops")
		}, method: "supervisor.reloadConfig", fault: "92: CANT_REREAD: bad.conf:3: oops"},
		{name: "add group", method: "supervisor.addProcessGroup", args: []any{"new"}, want: true, calls: []string{"AddProcessGroup new"}},
		{name: "add group twice", setup: func(f *fakeBackend) {
			f.errs["AddProcessGroup web"] = fault(faults.AlreadyAdded, "web")
		}, method: "supervisor.addProcessGroup", args: []any{"web"}, fault: "90: ALREADY_ADDED: web"},
		{name: "remove running group", setup: func(f *fakeBackend) {
			f.errs["RemoveProcessGroup web"] = fault(faults.StillRunning, "web")
		}, method: "supervisor.removeProcessGroup", args: []any{"web"}, fault: "91: STILL_RUNNING: web"},
		{name: "shutdown", method: "supervisor.shutdown", want: true, calls: []string{"Shutdown"}},
		{name: "restart", method: "supervisor.restart", want: true, calls: []string{"Restart"}},

		{name: "read log", setup: func(f *fakeBackend) { f.mainLog = mainLog },
			method: "supervisor.readLog", args: []any{2, 3}, want: "234"},
		{name: "read log tail", setup: func(f *fakeBackend) { f.mainLog = mainLog },
			method: "supervisor.readMainLog", args: []any{-4, 0}, want: "6789"},
		{name: "read log string args", setup: func(f *fakeBackend) { f.mainLog = mainLog },
			method: "supervisor.readLog", args: []any{"1", "2"}, want: "12"},
		{name: "read log bad arguments", setup: func(f *fakeBackend) { f.mainLog = mainLog },
			method: "supervisor.readLog", args: []any{-5, 2}, fault: "3: BAD_ARGUMENTS"},
		{name: "read log no file", method: "supervisor.readLog", args: []any{0, 0}, fault: "20: NO_FILE"},
		{name: "read log missing file", setup: func(f *fakeBackend) { f.mainLog = filepath.Join(dir, "gone") },
			method: "supervisor.readLog", args: []any{0, 0}, fault: "20: NO_FILE: " + filepath.Join(dir, "gone")},
		{name: "clear log", setup: func(f *fakeBackend) { f.mainLog = mainLog },
			method: "supervisor.clearLog", want: true, calls: []string{"ClearMainLog"}},
		{name: "clear log none", method: "supervisor.clearLog", fault: "20: NO_FILE"},

		{name: "read process log", setup: func(f *fakeBackend) { f.cfg = cfg },
			method: "supervisor.readProcessStdoutLog", args: []any{"web", 0, 5}, want: "hello"},
		{name: "read process log alias", setup: func(f *fakeBackend) { f.cfg = cfg },
			method: "supervisor.readProcessLog", args: []any{"web", 6, 0}, want: "world\n"},
		{name: "read process stderr syslog", setup: func(f *fakeBackend) { f.cfg = cfg },
			method: "supervisor.readProcessStderrLog", args: []any{"web", 0, 5}, fault: "20: NO_FILE"},
		{name: "read process log bad name", method: "supervisor.readProcessStdoutLog", args: []any{"x", 0, 5}, fault: "10: BAD_NAME: x"},
		{name: "read process log bad offset", setup: func(f *fakeBackend) { f.cfg = cfg },
			method: "supervisor.readProcessStdoutLog", args: []any{"web", "x", 5}, fault: "2: INCORRECT_PARAMETERS"},
		{name: "tail process log", setup: func(f *fakeBackend) { f.cfg = cfg },
			method: "supervisor.tailProcessStdoutLog", args: []any{"web", 0, 6}, want: []any{"world\n", 12, true}},
		{name: "tail process log alias", setup: func(f *fakeBackend) { f.cfg = cfg },
			method: "supervisor.tailProcessLog", args: []any{"web", 0, 100}, want: []any{"hello world\n", 12, false}},
		{name: "tail process log no file", setup: func(f *fakeBackend) { f.cfg = cfg },
			method: "supervisor.tailProcessStderrLog", args: []any{"web", 0, 100}, want: []any{"", 0, false}},
		{name: "clear process logs", method: "supervisor.clearProcessLogs", args: []any{"web"}, want: true,
			calls: []string{"ClearProcessLogs web:web"}},
		{name: "clear process log alias failing", setup: func(f *fakeBackend) {
			f.errs["ClearProcessLogs web:web"] = errors.New("permission denied")
		}, method: "supervisor.clearProcessLog", args: []any{"web"}, fault: "30: FAILED: web"},
		{name: "clear all logs", method: "supervisor.clearAllProcessLogs", want: []any{
			row("web", "web", 80, "OK"), row("w1", "workers", 80, "OK"), row("w0", "workers", 80, "OK"),
			row("w2", "workers", 80, "OK"), row("aaa", "aaa", 80, "OK")}},

		{name: "method signature", method: "system.methodSignature", args: []any{"supervisor.startProcess"},
			want: []any{"boolean", "string", "boolean"}},
		{name: "method signature unknown", method: "system.methodSignature", args: []any{"x"}, fault: "4: SIGNATURE_UNSUPPORTED"},
		{name: "method help unknown", method: "system.methodHelp", args: []any{"x"}, fault: "4: SIGNATURE_UNSUPPORTED"},
		{name: "multicall", method: "system.multicall", args: []any{[]any{
			map[string]any{"methodName": "supervisor.getPID"},
			map[string]any{"methodName": "supervisor.getProcessInfo", "params": []any{"zz"}},
			map[string]any{"methodName": "system.multicall", "params": []any{[]any{}}},
			map[string]any{},
			map[string]any{"methodName": "supervisor.startProcess", "params": []any{"web"}},
		}}, want: []any{4242,
			map[string]any{"faultCode": 10, "faultString": "BAD_NAME: zz"},
			map[string]any{"faultCode": 2, "faultString": "INCORRECT_PARAMETERS: Recursive system.multicall forbidden"},
			map[string]any{"faultCode": 2, "faultString": "INCORRECT_PARAMETERS: No methodName"},
			true}},
		{name: "multicall not an array", method: "system.multicall", args: []any{map[string]any{}}, fault: "2: INCORRECT_PARAMETERS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake()
			if c.setup != nil {
				c.setup(f)
			}
			a := newAPI(f)
			got, err := a.Call(context.Background(), c.method, c.args)
			if c.fault != "" {
				if err == nil {
					t.Fatalf("got %#v, want fault %s", got, c.fault)
				}
				if s := Fault(err).Error(); s != c.fault {
					t.Fatalf("fault %q, want %q", s, c.fault)
				}
				return
			}
			if err != nil {
				t.Fatalf("fault %v", err)
			}
			if w := wire(t, got); !reflect.DeepEqual(w, c.want) {
				t.Fatalf("got  %#v\nwant %#v", w, c.want)
			}
			if c.calls != nil && !reflect.DeepEqual(f.Calls(), c.calls) {
				t.Fatalf("backend calls %q, want %q", f.Calls(), c.calls)
			}
		})
	}
}

func TestAllProcessInfoOrderAndDescriptions(t *testing.T) {
	f := newFake()
	a := newAPI(f)
	got, err := a.Call(context.Background(), "supervisor.getAllProcessInfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	var names, descs []string
	for _, r := range wire(t, got).([]any) {
		m := r.(map[string]any)
		names = append(names, m["group"].(string)+":"+m["name"].(string))
		descs = append(descs, m["description"].(string))
	}
	wantNames := []string{"aaa:aaa", "web:web", "workers:w0", "workers:w1", "workers:w2"}
	wantDescs := []string{"Jan 01 12:00 AM", "pid 42, uptime 1:02:03", "pid 7, uptime 1:02:03", "Not started", "can't find command 'nope'"}
	if !reflect.DeepEqual(names, wantNames) || !reflect.DeepEqual(descs, wantDescs) {
		t.Errorf("got %q %q", names, descs)
	}
}

func TestDescribe(t *testing.T) {
	utc := time.UTC
	for _, c := range []struct {
		info process.Info
		now  int64
		want string
	}{
		{process.Info{State: process.Running, Pid: 1, Start: 100}, 100, "pid 1, uptime 0:00:00"},
		{process.Info{State: process.Running, Pid: 1, Start: 100}, 50, "pid 1, uptime 0:00:00"},
		{process.Info{State: process.Running, Pid: 1, Start: 0}, 86400 + 61, "pid 1, uptime 1 day, 0:01:01"},
		{process.Info{State: process.Running, Pid: 1, Start: 0}, 3*86400 + 36000, "pid 1, uptime 3 days, 10:00:00"},
		{process.Info{State: process.Backoff, Name: "x"}, 0, `unknown error (try "tail x")`},
		{process.Info{State: process.Fatal, SpawnErr: "boom"}, 0, "boom"},
		{process.Info{State: process.Stopped}, 0, "Not started"},
		{process.Info{State: process.Exited, Start: 1, Stop: 1700000000}, 0, "Nov 14 10:13 PM"},
		{process.Info{State: process.Starting}, 0, ""},
		{process.Info{State: process.Stopping}, 0, ""},
		{process.Info{State: process.Unknown}, 0, ""},
	} {
		if got := describe(&c.info, c.now, utc); got != c.want {
			t.Errorf("%+v at %d: got %q want %q", c.info, c.now, got, c.want)
		}
	}
}

func TestListMethodsAndHelp(t *testing.T) {
	a := newAPI(newFake())
	got, err := a.Call(context.Background(), "system.listMethods", nil)
	if err != nil {
		t.Fatal(err)
	}
	names := got.([]string)
	if len(names) != 41 || names[0] != "supervisor.addProcessGroup" || names[len(names)-1] != "system.multicall" {
		t.Errorf("listMethods: %d %q", len(names), names)
	}
	for _, n := range names {
		h, err := a.Call(context.Background(), "system.methodHelp", []any{n})
		if err != nil || !strings.Contains(h.(string), "@return") {
			t.Errorf("%s: help %q %v", n, h, err)
		}
	}
}

func TestConfigInfo(t *testing.T) {
	f := newFake()
	f.cfg = &config.Config{Groups: []*config.Group{
		{Name: "web", Priority: 7, Processes: []*config.Process{{Name: "web", Group: "web", CommandLine: "web -x",
			ExitCodes: []int{0}, StopSignal: 15, Startsecs: time.Second, StopWaitSecs: 10 * time.Second,
			Stdout: config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogFile, Path: "/l/web.log"}}}}}},
		{Name: "later", Priority: 9, Processes: []*config.Process{{Name: "b", Group: "later", User: &config.User{Uid: 12}, Directory: "/d"}}},
	}}
	got, err := newAPI(f).Call(context.Background(), "supervisor.getAllConfigInfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	rows := wire(t, got).([]any)
	if len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	b, w := rows[0].(map[string]any), rows[1].(map[string]any)
	if b["name"] != "b" || b["inuse"] != false || b["uid"] != 12 || b["directory"] != "/d" || b["stdout_logfile"] != "none" {
		t.Errorf("b: %v", b)
	}
	if w["inuse"] != true || w["uid"] != "none" || w["command"] != "web -x" || w["stdout_logfile"] != "/l/web.log" ||
		w["group_prio"] != 7 || w["startsecs"] != 1 || w["stopwaitsecs"] != 10 || w["serverurl"] != "none" ||
		!reflect.DeepEqual(w["exitcodes"], []any{0}) || len(w) != 29 {
		t.Errorf("web: %v", w)
	}
}

// batchFake adds BatchBackend to the fake, reporting outcomes in an order
// chosen by the test.
type batchFake struct {
	*fakeBackend
	order []int
}

func (b *batchFake) StartProcesses(ctx context.Context, procs []ProcessRef, wait bool, done func(int, error)) {
	for _, i := range b.order {
		done(i, b.StartProcess(ctx, procs[i].Group, procs[i].Name, wait))
	}
}

func (b *batchFake) StopProcesses(ctx context.Context, procs []ProcessRef, wait bool, done func(int, error)) {
	for _, i := range b.order {
		done(i, b.StopProcess(ctx, procs[i].Group, procs[i].Name, wait))
	}
}

func TestGroupWaitUsesBatchOrder(t *testing.T) {
	b := &batchFake{fakeBackend: newFake(), order: []int{1, 0}}
	got, err := New(b, Options{}).Call(context.Background(), "supervisor.startProcessGroup", []any{"workers", true})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{row("w2", "workers", 80, "OK"), row("w1", "workers", 80, "OK")}
	if w := wire(t, got); !reflect.DeepEqual(w, want) {
		t.Errorf("got %v", w)
	}
}

func TestGroupWaitWithoutBatch(t *testing.T) {
	f := newFake()
	got, err := newAPI(f).Call(context.Background(), "supervisor.startAllProcesses", []any{true})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.([]any)); n != 3 || len(f.Calls()) != 3 {
		t.Errorf("results %d, calls %q", n, f.Calls())
	}
}

func BenchmarkAllProcessInfo1000(b *testing.B) {
	f := newFake()
	var procs []process.Info
	for i := range 1000 {
		procs = append(procs, process.Info{Name: "p" + string(rune('a'+i%26)) + strings.Repeat("x", i%7) + itoa(i),
			Group: "g", State: process.Running, Pid: 1000 + i, Start: 1000,
			StdoutLogfile: "/var/log/p.log", StderrLogfile: "/var/log/p.err"})
	}
	f.groups = []GroupSnapshot{{Name: "g", Processes: procs}}
	a := newAPI(f)
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		v, err := a.Call(context.Background(), "supervisor.getAllProcessInfo", nil)
		if err != nil {
			b.Fatal(err)
		}
		if buf, err = xmlrpc.AppendResponse(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10)))
}

// A getAllProcessInfo reply streamed in pieces is the same bytes as the
// reply encoded whole.
func TestAllProcessInfoStreamsTheSameBytes(t *testing.T) {
	f := newFake()
	var procs []process.Info
	for i := range 300 {
		procs = append(procs, process.Info{Name: "p<&" + itoa(i), Group: "g", State: process.Running, Pid: 1000 + i, Start: 1000,
			Description: "pid " + itoa(i) + ", uptime 0:00:01", StdoutLogfile: "/var/log/p.log"})
	}
	f.groups = []GroupSnapshot{{Name: "g", Processes: procs}, {Name: "a", Processes: procs[:3]}}
	a := newAPI(f)
	call := func() xmlrpc.Streamer {
		v, err := a.Call(context.Background(), "supervisor.getAllProcessInfo", nil)
		if err != nil {
			t.Fatal(err)
		}
		st, ok := v.(xmlrpc.Streamer)
		if !ok {
			t.Fatalf("getAllProcessInfo's reply %T does not stream", v)
		}
		return st
	}
	whole, err := xmlrpc.AppendResponse(nil, call())
	if err != nil {
		t.Fatal(err)
	}
	const chunk = 4096
	var pieces [][]byte
	var joined []byte
	_, err = xmlrpc.StreamResponse(make([]byte, 0, 100), call(), chunk, func(b []byte) error {
		pieces = append(pieces, slices.Clone(b))
		joined = append(joined, b...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(joined, whole) {
		t.Fatalf("streamed %d bytes differ from the whole reply's %d", len(joined), len(whole))
	}
	// Each piece is a chunk and at most one row more: the buffer stays
	// that size however many rows there are.
	for i, p := range pieces {
		if (len(p) < chunk && i < len(pieces)-1) || len(p) > chunk+4096 {
			t.Errorf("piece %d of %d is %d bytes, for chunks of %d", i, len(pieces), len(p), chunk)
		}
	}
	// A failing write ends the stream with its error.
	gone := errors.New("client gone")
	if _, err := xmlrpc.StreamResponse(nil, call(), chunk, func([]byte) error { return gone }); !errors.Is(err, gone) {
		t.Errorf("stream to a failing writer: %v", err)
	}
}
