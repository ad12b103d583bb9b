package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"supervisord/internal/config"
)

// shapeClient runs calls and prints, per call, the fault or the value
// reduced to its shape: structs by key, lists element by element, and
// scalars by type, except where the value itself is comparable (given by
// a true "exact" flag).
const shapeClient = `
import json, sys, time, xmlrpc.client
url, calls = sys.argv[1], json.loads(sys.argv[2])
proxy = xmlrpc.client.ServerProxy(url + "/RPC2")
deadline = time.time() + 20
while proxy.supervisor.getProcessInfo("a")["statename"] != "RUNNING":
    if time.time() > deadline:
        sys.exit("a never reached RUNNING")
    time.sleep(0.1)
def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(x) for x in v]
    return type(v).__name__
out = []
for name, args, exact in calls:
    fn = proxy
    for part in name.split("."):
        fn = getattr(fn, part)
    try:
        v = fn(*args)
        out.append({"value": v if exact else shape(v)})
    except xmlrpc.client.Fault as f:
        out.append({"fault": [f.faultCode, f.faultString]})
    except xmlrpc.client.ProtocolError as e:
        out.append({"http": e.errcode})
print(json.dumps(out))
`

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestDifferentialAgainstReference(t *testing.T) {
	needReference(t, "/usr/bin/supervisord")
	dir := t.TempDir()
	port := freePort(t)
	conf := fmt.Sprintf(`[supervisord]
logfile=%[1]s/sd.log
pidfile=%[1]s/sd.pid
childlogdir=%[1]s
identifier=supervisor
[inet_http_server]
port=127.0.0.1:%[2]d
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[program:a]
command=sleep 1000
stdout_logfile=%[1]s/a.out
stderr_logfile=%[1]s/a.err
[program:b]
command=sleep 1000
autostart=false
stdout_logfile=%[1]s/b.out
stderr_logfile=%[1]s/b.err
`, dir, port)
	confPath := filepath.Join(dir, "sd.conf")
	os.WriteFile(confPath, []byte(conf), 0o644)
	var stderr bytes.Buffer
	ref := exec.Command("/usr/bin/supervisord", "-n", "-c", confPath)
	ref.Stderr = &stderr
	if err := ref.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ref.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { ref.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			ref.Process.Kill()
			<-done
		}
	})
	refURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reference did not listen: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond) // waiting for an external process to bind
	}

	// Ours: the same two programs over the in-memory backend, a running.
	for _, n := range []string{"a.out", "a.err", "b.out", "b.err", "sd2.log"} {
		os.WriteFile(filepath.Join(dir, "ours-"+n), nil, 0o644)
	}
	prog := func(name string, autostart bool) *config.Group {
		return &config.Group{Name: name, Priority: 999, Processes: []*config.Process{{Name: name, Group: name,
			CommandLine: "sleep 1000", Autostart: autostart, Priority: 999, Startsecs: time.Second, Startretries: 3,
			StopWaitSecs: 10 * time.Second, StopSignal: 15, ExitCodes: []int{0},
			Stdout: config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogFile, Path: filepath.Join(dir, "ours-"+name+".out")}}, MaxBytes: 50 << 20, Backups: 10},
			Stderr: config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogFile, Path: filepath.Join(dir, "ours-"+name+".err")}}, MaxBytes: 50 << 20, Backups: 10},
		}}}
	}
	cfg := &config.Config{
		InetServers: []config.InetHTTPServer{{Section: "inet_http_server", Host: "127.0.0.1", Port: 0}},
		Groups:      []*config.Group{prog("a", true), prog("b", false)},
	}
	mem := newMem(cfg, filepath.Join(dir, "ours-sd2.log"))
	mem.StartProcess(t.Context(), "a", "a", true)
	srv, err := New(cfg, mem, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(t.Context())
	t.Cleanup(func() { srv.Close() })
	oursURL := "http://" + srv.Addrs()[0].String()

	calls := [][]any{
		{"supervisor.getAPIVersion", []any{}, true},
		{"supervisor.getVersion", []any{}, true},
		{"supervisor.getSupervisorVersion", []any{}, true},
		{"supervisor.getIdentification", []any{}, true},
		{"supervisor.getState", []any{}, true},
		{"supervisor.getPID", []any{}, false},
		{"supervisor.getPID", []any{1}, false},
		{"supervisor.nope", []any{}, false},
		{"nope", []any{}, false},
		{"supervisor._update", []any{"x"}, false},
		{"supervisor.getProcessInfo.x", []any{}, false},
		{"system.listMethods", []any{}, true},
		{"system.methodHelp", []any{"nope"}, false},
		{"system.methodSignature", []any{"nope"}, false},
		{"supervisor.getProcessInfo", []any{"a"}, false},
		{"supervisor.getProcessInfo", []any{"nope"}, false},
		{"supervisor.getProcessInfo", []any{"a:*"}, false},
		{"supervisor.getProcessInfo", []any{"a:a"}, false},
		{"supervisor.getAllProcessInfo", []any{}, false},
		{"supervisor.getAllConfigInfo", []any{}, false},
		{"supervisor.startProcess", []any{"nope"}, false},
		{"supervisor.startProcess", []any{"a"}, false},
		{"supervisor.startProcess", []any{"a", false, 1}, false},
		{"supervisor.stopProcess", []any{"b"}, false},
		{"supervisor.stopProcess", []any{"b:nope"}, false},
		{"supervisor.startProcessGroup", []any{"nope"}, false},
		{"supervisor.stopProcessGroup", []any{"b"}, true},
		{"supervisor.signalProcess", []any{"a", "FOO"}, false},
		{"supervisor.signalProcess", []any{"b", "HUP"}, false},
		{"supervisor.signalProcess", []any{"a", "99"}, false},
		{"supervisor.signalProcessGroup", []any{"nope", "HUP"}, false},
		{"supervisor.signalProcessGroup", []any{"b", "HUP"}, true},
		{"supervisor.sendProcessStdin", []any{"a", 1}, false},
		{"supervisor.sendProcessStdin", []any{"nope", "x"}, false},
		{"supervisor.sendProcessStdin", []any{"b", "x"}, false},
		{"supervisor.readLog", []any{-5, 2}, false},
		{"supervisor.readLog", []any{0, -1}, false},
		{"supervisor.readProcessStdoutLog", []any{"nope", 0, 1}, false},
		{"supervisor.readProcessStdoutLog", []any{"a", 0, 0}, false},
		{"supervisor.readProcessStderrLog", []any{"a", -5, 2}, false},
		{"supervisor.tailProcessStdoutLog", []any{"a", 0, 10}, false},
		{"supervisor.tailProcessStderrLog", []any{"nope", 0, 10}, false},
		{"supervisor.clearProcessLogs", []any{"nope"}, false},
		{"supervisor.addProcessGroup", []any{"a"}, false},
		{"supervisor.addProcessGroup", []any{"zz"}, false},
		{"supervisor.removeProcessGroup", []any{"a"}, false},
		{"supervisor.removeProcessGroup", []any{"zz"}, false},
		{"system.multicall", []any{[]any{
			map[string]any{"methodName": "supervisor.getAPIVersion"},
			map[string]any{"methodName": "supervisor.getProcessInfo", "params": []any{"zz"}},
			map[string]any{"methodName": "system.multicall", "params": []any{[]any{}}},
			map[string]any{"params": []any{}},
		}}, true},
		{"system.multicall", []any{map[string]any{}}, false},
	}
	// Every method's signature.
	for _, m := range []string{"supervisor.addProcessGroup", "supervisor.clearAllProcessLogs", "supervisor.clearLog",
		"supervisor.clearProcessLog", "supervisor.clearProcessLogs", "supervisor.getAPIVersion", "supervisor.getAllConfigInfo",
		"supervisor.getAllProcessInfo", "supervisor.getIdentification", "supervisor.getPID", "supervisor.getProcessInfo",
		"supervisor.getState", "supervisor.getSupervisorVersion", "supervisor.getVersion", "supervisor.readLog",
		"supervisor.readMainLog", "supervisor.readProcessLog", "supervisor.readProcessStderrLog", "supervisor.readProcessStdoutLog",
		"supervisor.reloadConfig", "supervisor.removeProcessGroup", "supervisor.restart", "supervisor.sendProcessStdin",
		"supervisor.sendRemoteCommEvent", "supervisor.shutdown", "supervisor.signalAllProcesses", "supervisor.signalProcess",
		"supervisor.signalProcessGroup", "supervisor.startAllProcesses", "supervisor.startProcess", "supervisor.startProcessGroup",
		"supervisor.stopAllProcesses", "supervisor.stopProcess", "supervisor.stopProcessGroup", "supervisor.tailProcessLog",
		"supervisor.tailProcessStderrLog", "supervisor.tailProcessStdoutLog", "system.listMethods", "system.methodHelp",
		"system.methodSignature", "system.multicall"} {
		calls = append(calls, []any{"system.methodSignature", []any{m}, true})
	}
	js, _ := json.Marshal(calls)
	run := func(url string) []map[string]any {
		out, err := exec.Command(referencePython, "-c", shapeClient, url, string(js)).CombinedOutput()
		if err != nil {
			t.Fatalf("client against %s: %v\n%s", url, err, out)
		}
		var res []map[string]any
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return res
	}
	want, got := run(refURL), run(oursURL)
	for i := range calls {
		w, g := normalise(want[i]), normalise(got[i])
		if !reflect.DeepEqual(w, g) {
			t.Errorf("%v:\nreference %v\nours      %v", calls[i][:2], w, g)
		}
	}
}

// normalise replaces the parts of a reply that legitimately differ
// between two daemons (paths of temporary files) with placeholders.
func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalise(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalise(e)
		}
		return out
	case string:
		if i := strings.Index(x, "/"); i >= 0 && strings.HasPrefix(x[:i+1], "NO_FILE: ") {
			return "NO_FILE: <path>"
		}
	}
	return v
}
