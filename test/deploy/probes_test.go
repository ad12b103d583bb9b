//go:build linux

package deploy_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReadyzFollowsStartsecs: 503 naming the program while it is
// STARTING, 200 once RUNNING; /healthz 200 throughout; 405 for POST.
func TestReadyzFollowsStartsecs(t *testing.T) {
	d := startDaemon(t, "", `
[inet_http_server]
port=127.0.0.1:%(port)s

[program:web]
command=sleep 1000
startsecs=2

[program:manual]
command=sleep 1000
autostart=false
`)
	d.waitFor("spawned", 10*time.Second, func() bool { return strings.Contains(d.log(), "spawned: 'web'") })
	code, body := d.get("GET", "/readyz")
	if code != http.StatusServiceUnavailable || body != "not ready:\nweb: STARTING\n" {
		t.Fatalf("readyz during startsecs: %d %q", code, body)
	}
	if code, body := d.get("GET", "/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	d.waitFor("RUNNING", 10*time.Second, func() bool { return strings.Contains(d.log(), "success: web entered RUNNING") })
	if code, body := d.get("GET", "/readyz"); code != 200 || body != "ok\n" {
		t.Fatalf("readyz when RUNNING: %d %q (manual has autostart=false and must not count)", code, body)
	}
	if code, _ := d.get("HEAD", "/readyz"); code != 200 {
		t.Fatalf("HEAD readyz: %d", code)
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		for _, p := range []string{"/healthz", "/readyz"} {
			if code, _ := d.get(m, p); code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d, want 405", m, p, code)
			}
		}
	}
}

// TestProbesAndAuth: behind the server's credentials by default; with
// probes_auth=false the two probe paths (and only they) answer without.
func TestProbesAndAuth(t *testing.T) {
	const srv = `
[inet_http_server]
port=127.0.0.1:%(port)s
username=user
password=secret
`
	d := startDaemon(t, "", srv)
	d.waitFor("serving", 10*time.Second, func() bool { code, _ := d.get("GET", "/healthz", "user", "secret"); return code == 200 })
	if code, _ := d.get("GET", "/healthz"); code != http.StatusUnauthorized {
		t.Fatalf("healthz without credentials: %d, want 401", code)
	}
	d.stop()

	d = startDaemon(t, "probes_auth=false", srv)
	d.waitFor("serving", 10*time.Second, func() bool { code, _ := d.get("GET", "/healthz"); return code == 200 })
	if code, _ := d.get("GET", "/readyz"); code != 200 {
		t.Fatalf("readyz without credentials: %d", code)
	}
	if code, _ := d.get("POST", "/readyz"); code != http.StatusMethodNotAllowed {
		t.Fatalf("POST readyz without credentials: %d", code)
	}
	for _, p := range []string{"/", "/metrics", "/healthz/x", "/readyzz"} {
		if code, _ := d.get("GET", p); code != http.StatusUnauthorized {
			t.Errorf("GET %s without credentials: %d, want 401", p, code)
		}
	}
}

const getAllProcessInfo = `<?xml version="1.0"?><methodCall><methodName>supervisor.getAllProcessInfo</methodName><params></params></methodCall>`

// TestProbesUnderLoad: with 1,000 programs and 8 clients calling
// getAllProcessInfo back to back, the probes answer as fast as a plain
// page, and within 100 ms unless a plain page was slower too.
func TestProbesUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 1,000 programs")
	}
	const programs = 1000
	d := startDaemon(t, "minfds=4096", fmt.Sprintf(`
[inet_http_server]
port=127.0.0.1:%%(port)s

[program:p]
command=sleep 100000
process_name=%%(program_name)s_%%(process_num)04d
numprocs=%d
startsecs=0
`, programs))
	d.waitFor("every program RUNNING", 120*time.Second, func() bool {
		code, _ := d.get("GET", "/readyz")
		return code == 200
	})

	// The load comes from another process (this test binary, run as
	// the load generator), so that its clients' work does not delay the
	// probes' client in this one: what is measured is the daemon.
	calls, loadDone := startLoad(t, d.url("/RPC2"), programs)
	// Let the load build up: wait for the first calls to complete.
	// (Generous: with the whole suite running the machine can be
	// loaded far beyond its CPUs.)
	d.waitFor("load", 120*time.Second, func() bool { return calls.Load() >= 16 })

	probe := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	// Probes are measured side by side with /ok.html, which answers
	// without the loop: the machine's own HTTP round trip under the same
	// load, the baseline a probe is compared with.
	paths := []string{"/healthz", "/readyz", "/ok.html"}
	q := func(l []time.Duration, f float64) time.Duration {
		l = append([]time.Duration(nil), l...)
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		return l[min(len(l)-1, int(f*float64(len(l))))]
	}
	// window measures 30 requests to each path and returns what missed
	// the goals.
	window := func() (misses []string) {
		lat := map[string][]time.Duration{}
		start, before := time.Now(), calls.Load()
		for i := 0; i < 30*len(paths); i++ {
			path := paths[i%len(paths)]
			t0 := time.Now()
			resp, err := probe.Get(d.url(path))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			lat[path] = append(lat[path], time.Since(t0))
			if resp.StatusCode != 200 {
				t.Fatalf("%s under load: %d", path, resp.StatusCode)
			}
			time.Sleep(10 * time.Millisecond)
		}
		elapsed := time.Since(start)
		load, cpus := loadAverage(t), runtime.NumCPU()
		t.Logf("%d getAllProcessInfo calls (%.0f/s) by 8 clients at %d programs; load average %.1f on %d CPUs",
			calls.Load()-before, float64(calls.Load()-before)/elapsed.Seconds(), programs, load, cpus)
		for _, p := range paths {
			t.Logf("%-8s median %v, p90 %v, max %v", p, q(lat[p], 0.5), q(lat[p], 0.9), q(lat[p], 1))
		}
		base, baseMax := q(lat["/ok.html"], 0.9), q(lat["/ok.html"], 1)
		for _, p := range paths[:2] {
			// A probe costs the loop a no-op or one pass over the
			// programs: next to the HTTP round trip itself, nothing.
			if got := q(lat[p], 0.9); got > 2*base+20*time.Millisecond {
				misses = append(misses, fmt.Sprintf("%s p90 %v against /ok.html p90 %v: the probe waits on something", p, got, base))
			}
			// The goal: every probe within 100 ms. A machine loaded
			// beyond its CPUs by others can delay any HTTP answer past
			// that, so a probe may be slower only as far as a plain page
			// was.
			if got := q(lat[p], 1); got > 100*time.Millisecond && got > baseMax+20*time.Millisecond {
				misses = append(misses, fmt.Sprintf("%s slowest %v, want under 100ms (slowest /ok.html %v; load %.1f on %d CPUs)", p, got, baseMax, load, cpus))
			}
		}
		return misses
	}
	// A miss must repeat in a second window to count: a probe that waits
	// on the load misses in both, a moment when the machine's other work
	// held the loop's thread (seen once in CI, at load 5 on 2 CPUs) does
	// not come back.
	misses := window()
	if len(misses) > 0 {
		t.Logf("missed in the first window, measuring again: %v", misses)
		misses = window()
	}
	if err := loadDone(); err != nil {
		t.Fatal(err)
	}
	for _, m := range misses {
		t.Error(m)
	}
}

// loadEnv, when set to a URL, makes this test binary the load generator
// of TestProbesUnderLoad: 8 clients calling getAllProcessInfo there back
// to back, each call a line "ok" on stdout (or "error: …" and the end),
// until stdin closes or two minutes pass.
const loadEnv = "DEPLOY_TEST_LOAD_URL"

// loadRows is how many rows each reply must hold (DEPLOY_TEST_LOAD_ROWS).
const loadRowsEnv = "DEPLOY_TEST_LOAD_ROWS"

func runLoad(url string) int {
	rows, _ := strconv.Atoi(os.Getenv(loadRowsEnv))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 30 * time.Second}
	stop := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(stop) }()
	deadline := time.After(2 * time.Minute)
	var mu sync.Mutex // one line at a time on stdout
	say := func(s string) { mu.Lock(); fmt.Println(s); mu.Unlock() }
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-deadline:
					return
				default:
				}
				resp, err := client.Post(url, "text/xml", strings.NewReader(getAllProcessInfo))
				if err != nil {
					say("error: " + err.Error())
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || bytes.Count(b, []byte("<name>name</name>")) != rows {
					say(fmt.Sprintf("error: getAllProcessInfo: %d, %d bytes", resp.StatusCode, len(b)))
					return
				}
				say("ok")
			}
		}()
	}
	wg.Wait()
	return 0
}

// startLoad runs the load generator against url and counts its calls;
// done stops it and returns the first error it reported.
func startLoad(t *testing.T, url string, rows int) (calls *atomic.Int64, done func() error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), loadEnv+"="+url, loadRowsEnv+"="+strconv.Itoa(rows))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	calls = new(atomic.Int64)
	var failed atomic.Value
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); line == "ok" {
				calls.Add(1)
			} else if failed.Load() == nil {
				failed.Store(line)
			}
		}
	}()
	var once sync.Once
	var result error
	done = func() error {
		once.Do(func() {
			stdin.Close()
			<-read
			if err := cmd.Wait(); err != nil {
				result = fmt.Errorf("load generator: %v", err)
			}
			if v := failed.Load(); v != nil {
				result = fmt.Errorf("load generator: %v", v)
			}
		})
		return result
	}
	t.Cleanup(func() { done() })
	return calls, done
}

// loadAverage is the one-minute load average.
func loadAverage(t *testing.T) float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		t.Fatal(err)
	}
	f, err := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
