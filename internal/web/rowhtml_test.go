package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"supervisord/internal/process"
	"supervisord/internal/rpc"
)

// The rows are written without html/template: every value a process
// brings must still come out as text.
func TestRowsHTMLEscapes(t *testing.T) {
	const evil = `"><img src=x onerror=alert(1)>&'`
	r := row{
		rowData: rowData{
			Spec: evil + ":" + evil, Group: evil, Name: evil, State: "RUNNING", Pid: 7,
			Health: evil, Measured: true, CPU: 1.5, Mem: 2048,
		},
		Class: "good", Description: evil, Spark: []float64{1, 2},
	}
	for _, readOnly := range []bool{false, true} {
		out := string(rowsHTML([]row{r}, readOnly, time.Unix(0, 0)))
		if strings.Contains(out, "<img") || strings.Contains(out, `"><`+"img") {
			t.Fatalf("markup came through:\n%s", out)
		}
		if !strings.Contains(out, "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;&#39;") {
			t.Errorf("escaped name missing:\n%s", out)
		}
		if !strings.Contains(out, `href="tail.html?processname=%22%3E%3Cimg+src%3Dx`) {
			t.Errorf("link's query not escaped:\n%s", out)
		}
		if got := strings.Contains(out, "<button") || strings.Contains(out, "checkbox"); got == readOnly {
			t.Errorf("read-only %v: actions shown %v", readOnly, got)
		}
	}
}

func TestRowsHTMLFields(t *testing.T) {
	now := time.Unix(1000, 0)
	r := row{
		rowData: rowData{Spec: "pool:a", Group: "pool", Name: "a", State: "EXITED", Since: 990_000, Exit: 3, HasExit: true, Restarts: 2, Health: "unhealthy", Measured: true, CPU: 12.34, Mem: 3 << 20},
		Class:   "idle", Description: "Mar 05 07:08 AM", Spark: []float64{0, 2}, Hidden: true,
	}
	out := string(rowsHTML([]row{r}, false, now))
	for _, want := range []string{
		`<tr class="proc" data-spec="pool:a" data-state="EXITED" hidden>`,
		`<span class="badge badge-idle">exited</span> <span class="since" data-since="990000">10s</span>`,
		`<td class="desc c-desc">Mar 05 07:08 AM</td><td class="num c-pid"></td><td class="num c-exit">3</td><td class="num c-restarts">2</td>`,
		`<span class="health health-unhealthy">unhealthy</span>`,
		`12.3% <svg class="spark" viewBox="0 0 60 16" aria-hidden="true"><polyline points="0.0,15.0 60.0,1.0"/></svg>`,
		`<td class="num c-mem">3.0 MiB</td>`,
		`<button name="act1" value="start:pool:a" class="a-start">Start</button>`,
		`<button name="act1" value="clearlog:pool:a" class="a-clear d">Clear log</button></td></tr>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("row lacks %s\n%s", want, out)
		}
	}
}

// BenchmarkStatusPage renders the status page of 1,000 programs.
func BenchmarkStatusPage(b *testing.B) {
	f := &fake{}
	for g := range 10 {
		gs := rpc.GroupSnapshot{Name: fmt.Sprintf("g%d", g)}
		for i := range 100 {
			gs.Processes = append(gs.Processes, process.Info{
				Group: gs.Name, Name: fmt.Sprintf("g%d_%03d", g, i), State: process.Running, Pid: 1000 + i,
				Start: 1700000000, Description: "pid 1000, uptime 0:00:08",
				Usage: process.Usage{Measured: true, MemoryBytes: 204 << 10},
			})
		}
		f.groups = append(f.groups, gs)
	}
	h := Handler(f, Options{})
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
