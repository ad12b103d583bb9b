package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"supervisord/internal/faults"
	"supervisord/internal/process"
	"supervisord/internal/xmlrpc"
)

const referencePython = "/usr/bin/python3"

// needReference skips unless the reference Supervisor is installed, or
// fails when SUPERVISORD_REQUIRE_REFERENCE=1.
func needReference(t *testing.T, paths ...string) {
	t.Helper()
	missing := ""
	for _, p := range append([]string{referencePython}, paths...) {
		if _, err := os.Stat(p); err != nil {
			missing = p
		}
	}
	if missing == "" {
		if err := exec.Command(referencePython, "-c", "import supervisor.xmlrpc").Run(); err != nil {
			missing = "the python supervisor module"
		}
	}
	if missing != "" {
		if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") == "1" {
			t.Fatalf("reference Supervisor required but %s is missing", missing)
		}
		t.Skipf("reference Supervisor not installed (%s missing)", missing)
	}
}

// pythonClient calls every method it is given through Python's
// xmlrpc.client and prints, per call, the result or the fault as JSON.
const pythonClient = `
import json, sys, xmlrpc.client
from supervisor.xmlrpc import SupervisorTransport
url, user, pw, calls = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
if url.startswith("unix://"):
    proxy = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=SupervisorTransport(user, pw, url))
else:
    proxy = xmlrpc.client.ServerProxy(url.replace("http://", "http://%s:%s@" % (user, pw)) + "/RPC2")
out = []
for name, args in calls:
    fn = proxy
    for part in name.split("."):
        fn = getattr(fn, part)
    try:
        out.append({"ok": fn(*args)})
    except xmlrpc.client.Fault as f:
        out.append({"code": f.faultCode, "string": f.faultString})
    except xmlrpc.client.ProtocolError as e:
        out.append({"http": e.errcode})
print(json.dumps(out))
`

type pyResult struct {
	OK     any    `json:"ok"`
	Code   int    `json:"code"`
	String string `json:"string"`
	HTTP   int    `json:"http"`
}

func runPython(t *testing.T, url, user, pass string, calls [][]any) []pyResult {
	t.Helper()
	js, _ := json.Marshal(calls)
	out, err := exec.Command(referencePython, "-c", pythonClient, url, user, pass, string(js)).CombinedOutput()
	if err != nil {
		t.Fatalf("python client: %v\n%s", err, out)
	}
	var res []pyResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("python output: %v\n%s", err, out)
	}
	if len(res) != len(calls) {
		t.Fatalf("python gave %d results for %d calls", len(res), len(calls))
	}
	return res
}

func TestPythonClients(t *testing.T) {
	needReference(t)
	f := startServer(t, "user", "pw", Options{})
	// The server is already serving: set the failures under the lock.
	f.backend.mu.Lock()
	f.backend.failStart = map[string]error{
		"w0": faults.New(faults.SpawnError, "w0"),
		"w1": faults.New(faults.AbnormalTermination, "w1"),
	}
	f.backend.mu.Unlock()
	type call struct {
		name string
		args []any
		code faults.Code // 0: success
		str  string      // expected fault string, "" to skip
	}
	calls := []call{
		{"supervisor.getAPIVersion", nil, 0, ""},
		{"supervisor.getSupervisorVersion", nil, 0, ""},
		{"supervisor.nope", nil, faults.UnknownMethod, "UNKNOWN_METHOD"},
		{"supervisor.getProcessInfo", []any{1}, faults.IncorrectParameters, "INCORRECT_PARAMETERS"},
		{"supervisor.getProcessInfo", []any{}, faults.IncorrectParameters, "INCORRECT_PARAMETERS"},
		{"supervisor.readLog", []any{-5, 2}, faults.BadArguments, "BAD_ARGUMENTS"},
		{"system.methodHelp", []any{"nope"}, faults.SignatureUnsupported, "SIGNATURE_UNSUPPORTED"},
		{"supervisor.getProcessInfo", []any{"nope"}, faults.BadName, "BAD_NAME: nope"},
		{"supervisor.startProcess", []any{"web"}, 0, ""},
		{"supervisor.startProcess", []any{"web"}, faults.AlreadyStarted, "ALREADY_STARTED: web"},
		{"supervisor.signalProcess", []any{"web", "NOPE"}, faults.BadSignal, "BAD_SIGNAL: NOPE"},
		{"supervisor.signalProcess", []any{"web", "HUP"}, 0, ""},
		{"supervisor.sendProcessStdin", []any{"web", "hello"}, 0, ""},
		{"supervisor.readProcessStderrLog", []any{"web", 0, 0}, faults.NoFile, "NO_FILE"},
		{"supervisor.startProcess", []any{"workers:w0"}, faults.SpawnError, "SPAWN_ERROR: workers:w0"},
		{"supervisor.startProcess", []any{"workers:w1"}, faults.AbnormalTermination, "ABNORMAL_TERMINATION: workers:w1"},
		{"supervisor.stopProcess", []any{"workers:w1"}, faults.NotRunning, "NOT_RUNNING: workers:w1"},
		{"supervisor.addProcessGroup", []any{"web"}, faults.AlreadyAdded, "ALREADY_ADDED: web"},
		{"supervisor.removeProcessGroup", []any{"web"}, faults.StillRunning, "STILL_RUNNING: web"},
		{"supervisor.startProcessGroup", []any{"workers"}, 0, ""},
		{"supervisor.getAllProcessInfo", nil, 0, ""},
		{"supervisor.tailProcessStdoutLog", []any{"web", 0, 5}, 0, ""},
		{"system.multicall", []any{[]any{map[string]any{"methodName": "supervisor.getPID"}}}, 0, ""},
		{"supervisor.shutdown", nil, 0, ""},
		{"supervisor.getPID", nil, faults.ShutdownState, "SHUTDOWN_STATE"},
	}
	var raw [][]any
	for _, c := range calls {
		args := c.args
		if args == nil {
			args = []any{}
		}
		raw = append(raw, []any{c.name, args})
	}
	check := func(t *testing.T, res []pyResult) {
		for i, c := range calls {
			r := res[i]
			if r.HTTP != 0 {
				t.Errorf("%s%v: HTTP %d", c.name, c.args, r.HTTP)
				continue
			}
			if r.Code != int(c.code) || (c.str != "" && r.String != c.str) {
				t.Errorf("%s%v: got %d %q (%v), want %d %q", c.name, c.args, r.Code, r.String, r.OK, c.code, c.str)
			}
		}
		// Spot checks of values.
		if res[0].OK != "3.0" || res[1].OK != "4.2.5" {
			t.Errorf("versions: %v %v", res[0].OK, res[1].OK)
		}
		group := res[19].OK.([]any)
		if len(group) != 2 || group[0].(map[string]any)["status"] != float64(faults.SpawnError) {
			t.Errorf("startProcessGroup: %v", group)
		}
		tail := res[21].OK.([]any)
		if tail[0] != " two\n" || tail[1] != float64(18) || tail[2] != true {
			t.Errorf("tail: %v", tail)
		}
		if mc := res[22].OK.([]any); len(mc) != 1 || mc[0] != float64(4242) {
			t.Errorf("multicall: %v", mc)
		}
	}
	t.Run("tcp", func(t *testing.T) { check(t, runPython(t, f.url, "user", "pw", raw)) })

	// The same over the unix socket, from a fresh state, plus the
	// remaining codes.
	f.backend.mu.Lock()
	f.backend.state = process.SupervisorRunning
	for i := range f.backend.groups {
		for j := range f.backend.groups[i].Processes {
			f.backend.groups[i].Processes[j].State = process.Stopped
		}
	}
	f.backend.mu.Unlock()
	t.Run("unix", func(t *testing.T) { check(t, runPython(t, "unix://"+f.sock, "user", "pw", raw)) })

	f.backend.mu.Lock()
	f.backend.state = process.SupervisorRunning
	f.backend.failStart = map[string]error{"web": faults.New(faults.NotExecutable, "command at '/etc' is a directory"),
		"w0": errors.New("boom")}
	f.backend.reloadErr = faults.New(faults.CantReread, "x.conf:1: bad")
	f.backend.mu.Unlock()
	res := runPython(t, f.url, "user", "pw", [][]any{
		{"supervisor.startProcess", []any{"web"}},
		{"supervisor.startProcess", []any{"workers:w0"}},
		{"supervisor.reloadConfig", []any{}},
		{"supervisor.getPID", []any{}},
	})
	want := []pyResult{{Code: 21, String: "NOT_EXECUTABLE: command at '/etc' is a directory"},
		{Code: 30, String: "FAILED: boom"}, {Code: 92, String: "CANT_REREAD: x.conf:1: bad"}, {OK: float64(4242)}}
	for i := range want {
		if res[i] != want[i] {
			t.Errorf("call %d: got %+v want %+v", i, res[i], want[i])
		}
	}
	if bad := runPython(t, f.url, "user", "wrong", [][]any{{"supervisor.getPID", []any{}}}); bad[0].HTTP != 401 {
		t.Errorf("wrong password: %+v", bad[0])
	}
}

func TestSupervisorctlAgainstServer(t *testing.T) {
	needReference(t, "/usr/bin/supervisorctl")
	f := startServer(t, "user", "pw", Options{})
	f.backend.StartProcess(t.Context(), "web", "web", true)
	for _, url := range []string{f.url, "unix://" + f.sock} {
		out, err := exec.Command("/usr/bin/supervisorctl", "-s", url, "-u", "user", "-p", "pw", "status").CombinedOutput()
		// status exits 3 when some process is not running.
		var ee *exec.ExitError
		if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 3) {
			t.Fatalf("%s: %v\n%s", url, err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "web ") || !strings.Contains(lines[0], "RUNNING   pid 1003, uptime ") ||
			!strings.HasPrefix(lines[1], "workers:w0") || !strings.Contains(lines[1], "STOPPED   Not started") {
			t.Errorf("%s: status output:\n%s", url, out)
		}
		out, _ = exec.Command("/usr/bin/supervisorctl", "-s", url, "-u", "user", "-p", "pw", "tail", "web").CombinedOutput()
		if string(out) != "line one\nline two\n\n" { // supervisorctl adds a newline
			t.Errorf("%s: tail: %q", url, out)
		}
		out, _ = exec.Command("/usr/bin/supervisorctl", "-s", url, "-u", "user", "-p", "pw", "start", "nope").CombinedOutput()
		if strings.TrimSpace(string(out)) != "nope: ERROR (no such process)" {
			t.Errorf("%s: start nope: %q", url, out)
		}
		out, _ = exec.Command("/usr/bin/supervisorctl", "-s", url, "-u", "user", "-p", "bad", "status").CombinedOutput()
		if !strings.Contains(string(out), "Server requires authentication") {
			t.Errorf("%s: bad password: %q", url, out)
		}
	}
}

// A reply over Options.StreamAbove is sent as it is encoded, chunked and
// without a Content-Length, and Python's xmlrpc.client (over TCP, and
// over the unix socket with supervisorctl's transport) reads it; a reply
// under it carries a Content-Length, as the reference's do.
func TestLargeReplyStreamsToPythonClients(t *testing.T) {
	post := func(t *testing.T, url, method string) *http.Response {
		t.Helper()
		var body bytes.Buffer
		xmlrpc.EncodeCall(&body, method, nil)
		resp, err := http.Post(url+"/RPC2", "text/xml", &body)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	streamed := startServer(t, "", "", Options{StreamAbove: 1})
	resp := post(t, streamed.url, "supervisor.getAllProcessInfo")
	if resp.ContentLength != -1 || !slices.Equal(resp.TransferEncoding, []string{"chunked"}) {
		t.Errorf("streamed reply: Content-Length %d, Transfer-Encoding %v", resp.ContentLength, resp.TransferEncoding)
	}
	v, err := xmlrpc.DecodeResponse(resp.Body, xmlrpc.DefaultLimits())
	if err != nil || len(v.([]any)) != 3 {
		t.Fatalf("streamed reply: %v %v", v, err)
	}
	if resp := post(t, streamed.url, "supervisor.getAPIVersion"); resp.ContentLength <= 0 {
		t.Errorf("a small reply that cannot stream has Content-Length %d", resp.ContentLength)
	}
	whole := startServer(t, "", "", Options{})
	if resp := post(t, whole.url, "supervisor.getAllProcessInfo"); resp.ContentLength <= 0 || resp.TransferEncoding != nil {
		t.Errorf("a reply under the default bound: Content-Length %d, Transfer-Encoding %v", resp.ContentLength, resp.TransferEncoding)
	}

	needReference(t)
	for _, url := range []string{streamed.url, "unix://" + streamed.sock} {
		res := runPython(t, url, "", "", [][]any{{"supervisor.getAllProcessInfo", []any{}}, {"supervisor.getPID", []any{}}})
		rows, ok := res[0].OK.([]any)
		if !ok || len(rows) != 3 || rows[0].(map[string]any)["name"] != "web" || res[1].OK != float64(4242) {
			t.Errorf("python over %s: %+v", url, res)
		}
	}
}
