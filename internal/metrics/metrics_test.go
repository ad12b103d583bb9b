package metrics

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"

	"supervisord/internal/process"
)

type fakeSource struct {
	infos    []process.Info
	restarts map[string]uint64
}

func (f fakeSource) Processes() []process.Info { return f.infos }

type restartingSource struct{ fakeSource }

func (r restartingSource) Restarts() map[string]uint64 { return r.restarts }

// scrape serves h and parses its answer with the Prometheus text parser.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %s: %s", resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value finds the sample of family name with the given labels. ok is
// false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

func TestValuesMatchProcessInfos(t *testing.T) {
	now := time.Unix(1_700_000_100, 0)
	src := restartingSource{fakeSource{
		infos: []process.Info{
			{Name: "web_00", Group: "web", State: process.Running, Start: 1_700_000_000, Pid: 101, Health: "healthy"},
			{Name: "web_01", Group: "web", State: process.Stopping, Start: 1_700_000_050, Pid: 102, Health: "unhealthy"},
			{Name: "cron", Group: "cron", State: process.Exited, Start: 1_699_999_000, Stop: 1_699_999_500, ExitStatus: 3},
			{Name: "bad", Group: "bad", State: process.Fatal, SpawnErr: "no such file"},
			{Name: "gone", Group: "gone", State: process.Running, Start: 1_700_000_000, Pid: 999, Health: "unknown"},
		},
		restarts: map[string]uint64{"web:web_00": 4, "cron:cron": 1},
	}}
	usage := func(pid int) (Usage, error) {
		switch pid {
		case 101:
			return Usage{CPUSeconds: 1.5, RSSBytes: 4096}, nil
		case 102:
			return Usage{CPUSeconds: 0.25, RSSBytes: 8192}, nil
		}
		return Usage{}, errors.New("no such process")
	}
	fams := scrape(t, Handler(src, Options{Usage: usage, Now: func() time.Time { return now }}))

	type want struct {
		metric      string
		name, group string
		value       float64
		present     bool
	}
	tests := []want{
		{"supervisord_up", "web_00", "web", 1, true},
		{"supervisord_up", "web_01", "web", 1, true},
		{"supervisord_up", "cron", "cron", 0, true},
		{"supervisord_up", "bad", "bad", 0, true},
		{"supervisord_state", "web_00", "web", 20, true},
		{"supervisord_state", "web_01", "web", 40, true},
		{"supervisord_state", "cron", "cron", 100, true},
		{"supervisord_state", "bad", "bad", 200, true},
		{"supervisord_exit_status", "cron", "cron", 3, true},
		{"supervisord_exit_status", "web_00", "web", 0, true},
		{"supervisord_start_time_seconds", "web_00", "web", 1_700_000_000, true},
		{"supervisord_start_time_seconds", "cron", "cron", 0, false},
		{"supervisord_uptime_seconds", "web_00", "web", 100, true},
		{"supervisord_uptime_seconds", "web_01", "web", 50, true},
		{"supervisord_uptime_seconds", "bad", "bad", 0, false},
		{"supervisord_process_restarts_total", "web_00", "web", 4, true},
		{"supervisord_process_restarts_total", "cron", "cron", 1, true},
		{"supervisord_process_restarts_total", "bad", "bad", 0, true},
		{"supervisord_process_cpu_seconds_total", "web_00", "web", 1.5, true},
		{"supervisord_process_cpu_seconds_total", "web_01", "web", 0.25, true},
		{"supervisord_process_cpu_seconds_total", "gone", "gone", 0, false},
		{"supervisord_process_cpu_seconds_total", "cron", "cron", 0, false},
		{"supervisord_process_resident_memory_bytes", "web_00", "web", 4096, true},
		{"supervisord_process_resident_memory_bytes", "web_01", "web", 8192, true},
		{"supervisord_process_healthy", "web_00", "web", 1, true},
		{"supervisord_process_healthy", "web_01", "web", 0, true},
		{"supervisord_process_healthy", "gone", "gone", 0, false},
		{"supervisord_process_healthy", "cron", "cron", 0, false},
	}
	for _, tt := range tests {
		got, ok := value(fams, tt.metric, "name", tt.name, "group", tt.group)
		if ok != tt.present || (ok && got != tt.value) {
			t.Errorf("%s{name=%q,group=%q} = %v (present %v), want %v (present %v)",
				tt.metric, tt.name, tt.group, got, ok, tt.value, tt.present)
		}
	}
	for state, n := range map[string]float64{"RUNNING": 2, "STOPPING": 1, "EXITED": 1, "FATAL": 1, "STOPPED": 0, "BACKOFF": 0} {
		if got, ok := value(fams, "supervisord_processes", "state", state); !ok || got != n {
			t.Errorf("supervisord_processes{state=%q} = %v (present %v), want %v", state, got, ok, n)
		}
	}
	if f := fams["supervisord_process_cpu_seconds_total"]; f.GetType() != dto.MetricType_COUNTER {
		t.Errorf("cpu seconds is a %v, want a counter", f.GetType())
	}
	for _, daemon := range []string{"go_goroutines", "process_resident_memory_bytes", "process_cpu_seconds_total"} {
		if fams[daemon] == nil {
			t.Errorf("daemon metric %s missing", daemon)
		}
	}
}

func TestWithoutRestartsOrRuntime(t *testing.T) {
	src := fakeSource{infos: []process.Info{{Name: "a", Group: "a", State: process.Stopped}}}
	fams := scrape(t, Handler(src, Options{NoRuntimeMetrics: true}))
	if fams["supervisord_process_restarts_total"] != nil {
		t.Error("restarts reported by a source that does not count them")
	}
	if fams["go_goroutines"] != nil {
		t.Error("runtime metrics present with NoRuntimeMetrics")
	}
	if _, ok := value(fams, "supervisord_state", "name", "a"); !ok {
		t.Error("state missing")
	}
}

type sweepingSource struct{ fakeSource }

func (sweepingSource) UsageSweeps() (uint64, time.Duration) { return 7, 1500 * time.Millisecond }

func TestUsageSweeps(t *testing.T) {
	fams := scrape(t, Handler(fakeSource{}, Options{NoRuntimeMetrics: true}))
	if fams["supervisord_usage_sweeps_total"] != nil {
		t.Error("usage sweeps reported by a source that does not sweep")
	}
	fams = scrape(t, Handler(sweepingSource{}, Options{NoRuntimeMetrics: true}))
	n, d := fams["supervisord_usage_sweeps_total"], fams["supervisord_usage_sweep_seconds"]
	if n == nil || d == nil {
		t.Fatalf("usage sweep metrics missing: %v", fams)
	}
	if got := n.Metric[0].GetCounter().GetValue(); got != 7 {
		t.Errorf("supervisord_usage_sweeps_total = %v, want 7", got)
	}
	if got := d.Metric[0].GetGauge().GetValue(); got != 1.5 {
		t.Errorf("supervisord_usage_sweep_seconds = %v, want 1.5", got)
	}
}

// TestHelperProcess is not a test: it is the child of TestRealProcess. It
// burns some CPU, touches some memory, says so, and waits for stdin to
// close.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("METRICS_HELPER") != "1" {
		return
	}
	buf := make([]byte, 16<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	deadline := time.Now().Add(100 * time.Millisecond)
	n := 0
	for time.Now().Before(deadline) {
		n++
	}
	fmt.Println("ready", n, buf[len(buf)-1])
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

func TestRealProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "METRICS_HELPER=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	line := make([]byte, 64)
	if n, err := stdout.Read(line); err != nil || !strings.HasPrefix(string(line[:n]), "ready") {
		t.Fatalf("helper said %q, %v", line[:n], err)
	}
	pid := cmd.Process.Pid

	src := fakeSource{infos: []process.Info{{Name: "child", Group: "g", State: process.Running, Pid: pid, Start: time.Now().Unix()}}}
	fams := scrape(t, Handler(src, Options{NoRuntimeMetrics: true}))
	cpu, ok := value(fams, "supervisord_process_cpu_seconds_total", "name", "child")
	if !ok {
		t.Fatal("no cpu seconds for a live child")
	}
	rss, ok := value(fams, "supervisord_process_resident_memory_bytes", "name", "child")
	if !ok {
		t.Fatal("no resident memory for a live child")
	}

	// Read /proc ourselves: the child is idle, so the numbers are stable.
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	const userHZ = 100
	if want := (utime + stime) / userHZ; cpu != want {
		t.Errorf("cpu seconds %v, /proc says %v", cpu, want)
	}
	if cpu < 0.05 {
		t.Errorf("cpu seconds %v, the child burned about 0.1s", cpu)
	}
	statm, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		t.Fatal(err)
	}
	resident, _ := strconv.ParseFloat(strings.Fields(string(statm))[1], 64)
	want := resident * float64(os.Getpagesize())
	if rss < 16<<20 || rss > want*1.1 || rss < want*0.9 {
		t.Errorf("rss %v bytes, /proc/%d/statm says %v", rss, pid, want)
	}
}

// BenchmarkScrape1000 measures one scrape of 1,000 running processes with
// /proc reads replaced by a constant.
func BenchmarkScrape1000(b *testing.B) {
	infos := make([]process.Info, 1000)
	for i := range infos {
		infos[i] = process.Info{Name: fmt.Sprintf("p%04d", i), Group: "g", State: process.Running, Pid: 1000 + i, Start: 1_700_000_000}
	}
	h := Handler(fakeSource{infos: infos}, Options{NoRuntimeMetrics: true, Usage: func(int) (Usage, error) {
		return Usage{CPUSeconds: 1, RSSBytes: 1 << 20}, nil
	}})
	req := httptest.NewRequest("GET", "/metrics", nil)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
}

// discardWriter is a ResponseWriter that keeps nothing of the body, so
// that a benchmark counts the handler's allocations, not a recorder's.
type discardWriter struct {
	header http.Header
	code   int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *discardWriter) Write(b []byte) (int, error) {
	w.WriteHeader(200)
	return len(b), nil
}

// memSource adds the optional sources to fakeSource.
type memSource struct {
	restartingSource
	mem   map[string]uint64
	drops map[string]uint64
}

func (m memSource) MemoryRestarts() map[string]uint64 { return m.mem }
func (m memSource) Drops() map[string]uint64          { return m.drops }

// TestFamiliesAreWhatTheRegistryServes hands the per-process families to
// the client library's own gathering, which checks every sample's
// labels for consistency and duplicates and puts families and samples in
// their canonical order: what it serves must be what ours already was.
// randomRows is a source of 300 processes in every state, with usage,
// restarts, memory restarts and drops, in no particular order, and
// options that make some pids unreadable.
func randomRows() (memSource, Options) {
	rng := rand.New(rand.NewPCG(1, 2))
	states := []process.State{process.Stopped, process.Starting, process.Running, process.Backoff,
		process.Stopping, process.Exited, process.Fatal, process.Unknown}
	src := memSource{restartingSource: restartingSource{fakeSource{restarts: map[string]uint64{}}},
		mem: map[string]uint64{}, drops: map[string]uint64{"events": 3, "output:/dev/stdout": 1, "health": 0}}
	for i := range 300 {
		// Groups and names out of order, some names shared across groups.
		in := process.Info{
			Group: fmt.Sprintf("g%d", rng.IntN(7)), Name: fmt.Sprintf("p%d", rng.IntN(1000)*1000+i),
			State: states[rng.IntN(len(states))], Pid: 1000 + i, Start: 1_700_000_000 + int64(rng.IntN(100)),
			ExitStatus: rng.IntN(3), Health: []string{"", "healthy", "unhealthy", "unknown"}[rng.IntN(4)],
		}
		if i%5 == 0 {
			in.Name = "same"
			in.Group = fmt.Sprintf("h%d", i)
		}
		if rng.IntN(2) == 0 {
			in.Usage = process.Usage{Measured: true, CPUSeconds: rng.Float64(), MemoryBytes: rng.Uint64N(1 << 30),
				MemoryPeakBytes: rng.Uint64N(2) << 30, Tasks: rng.IntN(9), OOMKills: rng.Uint64N(2)}
		}
		if rng.IntN(4) == 0 {
			src.restarts[in.FullName()] = rng.Uint64N(5)
		}
		if rng.IntN(8) == 0 {
			src.mem[in.FullName()] = rng.Uint64N(3)
		}
		src.infos = append(src.infos, in)
	}
	opts := Options{Now: func() time.Time { return time.Unix(1_700_000_050, 0) }, Usage: func(pid int) (Usage, error) {
		if pid%3 == 0 {
			return Usage{}, errors.New("gone")
		}
		return Usage{CPUSeconds: float64(pid) / 3, RSSBytes: uint64(pid) << 12}, nil
	}}
	return src, opts
}

func TestFamiliesAreWhatTheRegistryServes(t *testing.T) {
	src, opts := randomRows()
	ours := processFamilies(src, opts)
	checked, err := prometheus.Gatherers{prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		return processFamilies(src, opts), nil
	})}.Gather()
	if err != nil {
		t.Fatalf("the registry refuses the families: %v", err)
	}
	slices.SortFunc(ours, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	text := func(fams []*dto.MetricFamily) string {
		var b strings.Builder
		for _, f := range fams {
			if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
				t.Fatal(err)
			}
		}
		return b.String()
	}
	if got, want := text(ours), text(checked); got != want {
		t.Errorf("ours differ from the registry's order or content; first difference at byte %d", firstDiff(got, want))
	}
	if len(ours) < 15 {
		t.Errorf("only %d families: the source was meant to fill every one", len(ours))
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestHandlerAnswersAsPromhttp serves the same rows through the client
// library's promhttp handler and through ours, for the Accept and
// Accept-Encoding headers scrapers send: same status, headers and metrics.
func TestHandlerAnswersAsPromhttp(t *testing.T) {
	src, opts := randomRows()
	opts.NoRuntimeMetrics = true
	ours := Handler(src, opts)
	reg := prometheus.NewRegistry()
	ref := promhttp.HandlerFor(prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		fams, err := reg.Gather()
		fams = append(fams, processFamilies(src, opts)...)
		slices.SortFunc(fams, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
		return fams, err
	}), promhttp.HandlerOpts{Registry: reg})
	const protoAccept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
	for _, tc := range []struct{ accept, encoding string }{
		{"", ""},
		{"text/plain;version=0.0.4;q=0.3,*/*;q=0.2", "gzip"},
		{protoAccept, ""},
		{protoAccept, "gzip"},
		{"", "gzip;q=0"},
		{"", "identity, gzip"},
		{"", "gzip;q=0.5, identity;q=0.4"},
		{"", "*"},
		{"", "br, zstd"},
		{"", "deflate, gzip, br, zstd"},
	} {
		get := func(h http.Handler) *httptest.ResponseRecorder {
			req := httptest.NewRequest("GET", "/metrics", nil)
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			if tc.encoding != "" {
				req.Header.Set("Accept-Encoding", tc.encoding)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		a, b := get(ours), get(ref)
		name := fmt.Sprintf("Accept %q, Accept-Encoding %q", tc.accept, tc.encoding)
		for _, k := range []string{"Content-Type", "Content-Encoding"} {
			if a.Header().Get(k) != b.Header().Get(k) {
				t.Errorf("%s: %s %q, promhttp %q", name, k, a.Header().Get(k), b.Header().Get(k))
			}
		}
		if a.Code != b.Code {
			t.Errorf("%s: status %d, promhttp %d", name, a.Code, b.Code)
		}
		ba, bb := plainBody(t, a), plainBody(t, b)
		if !strings.Contains(a.Header().Get("Content-Type"), "protobuf") {
			// Text: the same bytes.
			if !bytes.Equal(ba, bb) || len(ba) == 0 {
				t.Errorf("%s: text differs from promhttp's at byte %d", name, firstDiff(string(ba), string(bb)))
			}
			continue
		}
		// Protobuf: the same families in the same order, but for the
		// creation time of the handler's own counter.
		fa, fb := decodeFamilies(t, ba), decodeFamilies(t, bb)
		if len(fa) != len(fb) || len(fa) < 15 {
			t.Fatalf("%s: %d families, promhttp %d", name, len(fa), len(fb))
		}
		for i := range fa {
			if !proto.Equal(fa[i], fb[i]) {
				t.Errorf("%s: family %s differs from promhttp's %s", name, fa[i].GetName(), fb[i].GetName())
			}
		}
	}
}

// plainBody is an answer's body, gunzipped when its header says so.
func plainBody(t *testing.T, rec *httptest.ResponseRecorder) []byte {
	t.Helper()
	if rec.Header().Get("Content-Encoding") != "gzip" {
		return rec.Body.Bytes()
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeFamilies reads delimited protobuf families, with the creation
// times of counters cleared.
func decodeFamilies(t *testing.T, b []byte) []*dto.MetricFamily {
	t.Helper()
	dec := expfmt.NewDecoder(bytes.NewReader(b), expfmt.NewFormat(expfmt.TypeProtoDelim))
	var fams []*dto.MetricFamily
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err == io.EOF {
			return fams
		} else if err != nil {
			t.Fatal(err)
		}
		for _, m := range mf.Metric {
			if m.Counter != nil {
				m.Counter.CreatedTimestamp = nil
			}
		}
		fams = append(fams, mf)
	}
}
