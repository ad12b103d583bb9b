//go:build linux

// Package deploy_test runs the built daemon the way service managers and
// orchestrators do: under a notify socket (systemd's Type=notify),
// probed over HTTP (Kubernetes), logging JSON, checked before a reload,
// built by the Dockerfile's steps, and watched by the dashboards and
// alerts shipped in docs/deploy.
package deploy_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"supervisord/test/harness"
	"syscall"
	"testing"
	"time"
)

var bin string

func TestMain(m *testing.M) {
	if url := os.Getenv(loadEnv); url != "" {
		os.Exit(runLoad(url))
	}
	harness.Main(m, &bin)
}

// moduleRoot is the repository root (two levels up from this package).
func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(wd))
}

// daemon is one supervisord started by a test.
type daemon struct {
	*harness.Daemon
	t    *testing.T
	dir  string
	conf string
	port int // the inet_http_server port, 0 when none
}

// startDaemon writes a configuration ([supervisord] lines in sup, the rest
// in rest; %(port)s is an inet port on loopback) and runs the daemon in
// the foreground with extra environment.
func startDaemon(t *testing.T, sup, rest string, env ...string) *daemon {
	t.Helper()
	p := harness.TempPaths(t)
	d := &daemon{t: t, dir: p.Dir, conf: p.Config}
	if strings.Contains(rest, "%(port)s") {
		d.port = harness.FreePort(t)
		rest = strings.ReplaceAll(rest, "%(port)s", strconv.Itoa(d.port))
	}
	var extra []string
	if sup != "" {
		extra = append(extra, sup)
	}
	d.Daemon = harness.Launch(t, harness.Spec{Bin: bin, Paths: p, Config: p.Header(extra...) + rest,
		Args: []string{"-c", p.Config}, Env: env})
	return d
}

// stop ends the daemon with SIGTERM (it stops its programs first), and
// kills it by pid if it does not end in time.
func (d *daemon) stop() {
	if err := d.Stop(harness.Timeout); err != nil {
		d.t.Errorf("%v; output:\n%s", err, d.Output())
	}
}

func (d *daemon) signal(sig syscall.Signal) {
	d.t.Helper()
	d.Signal(d.t, sig)
}

func (d *daemon) log() string { return d.Log() }

// waitFor polls cond until it holds, failing after timeout or when the
// daemon exits.
func (d *daemon) waitFor(what string, timeout time.Duration, cond func() bool) {
	d.t.Helper()
	d.WaitUntil(d.t, what, timeout, cond)
}

func (d *daemon) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", d.port, path)
}

// get fetches path and returns the status and body.
func (d *daemon) get(method, path string, auth ...string) (int, string) {
	d.t.Helper()
	req, err := http.NewRequest(method, d.url(path), nil)
	if err != nil {
		d.t.Fatal(err)
	}
	if len(auth) == 2 {
		req.SetBasicAuth(auth[0], auth[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
