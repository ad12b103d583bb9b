//go:build linux

// Package example checks that the shipped example configuration works,
// under the reference daemon and under ours.
package example

import (
	"context"
	"fmt"
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

func TestMain(m *testing.M) { harness.Main(m, nil) }

func TestExampleConfig(t *testing.T) {
	choice := harness.Choose()
	choice.Need(t)
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
	p := harness.TempPaths(t)
	dir := p.Dir
	if err := os.Mkdir(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Another daemon (a demo someone is running, or the other side of this
	// test) may hold the example's port, so use a free one.
	addr := "127.0.0.1:" + strconv.Itoa(harness.FreePort(t))
	conf = strings.ReplaceAll(conf, examplePort, addr)
	p.Log = filepath.Join(dir, "run", "supervisord.log")
	p.Socket = filepath.Join(dir, "run", "supervisor.sock")
	p.Pid = filepath.Join(dir, "run", "supervisord.pid")
	d := harness.Launch(t, harness.Spec{Bin: bin, Paths: p, Config: conf})
	want := []string{"demo:ticker", "demo:worker", "flaky:flaky", "sleeper:sleeper_0", "sleeper:sleeper_1"}
	var last map[string]string
	d.WaitFor(t, fmt.Sprintf("all of %v RUNNING", want), func() bool {
		last = d.States(t)
		return running(last, want)
	}, func() string { return fmt.Sprintf("last states: %v", last) })

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

	ticker := filepath.Join(dir, "run", "ticker.log")
	harness.WaitFor(t, ticker+` to contain "tick 1"`, timeout, func() bool {
		b, err := os.ReadFile(ticker)
		return err == nil && strings.Contains(string(b), "tick 1\n")
	})

	if err := d.Stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.Log); err != nil {
		t.Errorf("main log not under run/: %v", err)
	}
}

func running(state map[string]string, want []string) bool {
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
