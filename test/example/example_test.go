//go:build linux

// Package example checks that the shipped example configuration works,
// under the reference daemon and under ours.
package example

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"supervisord/test/harness"
)

const (
	exampleConf = "../../examples/demo/supervisord.conf"
	examplePort = "127.0.0.1:9001"
	timeout     = 20 * time.Second
)

func TestExampleConfig(t *testing.T) {
	tmp := t.TempDir()
	wd, _ := os.Getwd()
	choice := harness.Choose(wd, tmp)
	if choice.RefMissing != "" {
		if harness.RequireReference() {
			t.Fatalf("%s=1 but %s", harness.EnvRequireReference, choice.RefMissing)
		}
		t.Skipf("skipping: %s", choice.RefMissing)
	}
	if choice.OursErr != nil {
		t.Fatalf("cannot build the daemon under test: %v", choice.OursErr)
	}
	t.Log(choice.OursNote)
	conf, err := os.ReadFile(exampleConf)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conf), examplePort) {
		t.Fatalf("%s no longer listens on %s; update this test", exampleConf, examplePort)
	}
	for _, side := range []struct{ name, bin string }{{"reference", choice.Ref}, {"ours", choice.Ours}} {
		t.Run(side.name, func(t *testing.T) { runExample(t, side.bin, string(conf)) })
	}
}

func runExample(t *testing.T, bin, conf string) {
	dir, err := harness.ShortTempDir("sdex")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Mkdir(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Another daemon (a demo someone is running, or the other side of this
	// test) may hold the example's port, so use a free one.
	addr := freePort(t)
	conf = strings.ReplaceAll(conf, examplePort, addr)
	p := harness.Paths{
		Dir:    dir,
		Config: filepath.Join(dir, "supervisord.conf"),
		Log:    filepath.Join(dir, "run", "supervisord.log"),
		Socket: filepath.Join(dir, "run", "supervisor.sock"),
		Pid:    filepath.Join(dir, "run", "supervisord.pid"),
		Output: filepath.Join(dir, "daemon.out"),
	}
	d, err := harness.Start(bin, p, conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if ok, _ := d.Exited(); !ok {
			d.Kill()
		}
		if t.Failed() {
			t.Logf("main log:\n%s\noutput:\n%s", d.Log(), d.Output())
		}
	})

	unix := harness.NewUnixClient(p.Socket, timeout)
	defer unix.Close()
	want := []string{"demo:ticker", "demo:worker", "flaky:flaky", "sleeper:sleeper_0", "sleeper:sleeper_1"}
	waitAllRunning(t, d, unix, want)

	tcp := &harness.Client{HTTP: &http.Client{Timeout: timeout}, URL: "http://" + addr + "/RPC2"}
	defer tcp.HTTP.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	id, err := tcp.Call(ctx, "supervisor.getIdentification")
	if err != nil || id != "demo" {
		t.Errorf("getIdentification over TCP = %v, %v; want demo", id, err)
	}

	if ctl, err := exec.LookPath("/usr/bin/supervisorctl"); err == nil {
		out, err := exec.Command(ctl, "-c", p.Config, "status").CombinedOutput()
		if err != nil {
			t.Errorf("supervisorctl status: %v\n%s", err, out)
		}
		for _, name := range want {
			name = strings.TrimPrefix(name, "flaky:") // shown bare: group and process share the name
			if !strings.Contains(string(out), name) {
				t.Errorf("supervisorctl status does not list %s:\n%s", name, out)
			}
		}
	}

	waitFileContains(t, filepath.Join(dir, "run", "ticker.log"), "tick 1\n")

	if err := d.Stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.Log); err != nil {
		t.Errorf("main log not under run/: %v", err)
	}
}

func waitAllRunning(t *testing.T, d *harness.Daemon, c *harness.Client, want []string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last any
	for time.Now().Before(deadline) {
		if ok, err := d.Exited(); ok {
			t.Fatalf("daemon exited: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		v, err := c.Call(ctx, "supervisor.getAllProcessInfo")
		cancel()
		if err == nil {
			last = v
			if running(v, want) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond) // polling the daemon's state
	}
	t.Fatalf("not all of %v RUNNING within %v; last getAllProcessInfo: %v", want, timeout, last)
}

func running(v any, want []string) bool {
	list, _ := v.([]any)
	state := map[string]string{}
	for _, e := range list {
		m, _ := e.(map[string]any)
		g, _ := m["group"].(string)
		n, _ := m["name"].(string)
		s, _ := m["statename"].(string)
		state[g+":"+n] = s
	}
	if len(state) != len(want) {
		return false
	}
	for _, w := range want {
		if state[w] != "RUNNING" {
			return false
		}
	}
	return true
}

func waitFileContains(t *testing.T, path, s string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), s) {
			return
		}
		time.Sleep(50 * time.Millisecond) // polling the child's log
	}
	b, _ := os.ReadFile(path)
	t.Fatalf("%s does not contain %q within %v:\n%s", path, s, timeout, b)
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
