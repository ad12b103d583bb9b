//go:build linux

package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	yaml "go.yaml.in/yaml/v2"

	"supervisord/internal/config"
	"supervisord/internal/service"
)

// promQLMetricNames returns the metric names an expression selects: the
// identifiers that are not functions, aggregations, keywords, label names
// (in {...}, by (...), on (...) and the like) or Grafana variables.
func promQLMetricNames(expr string) []string {
	s := expr
	s = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`+"`[^`]*`").ReplaceAllString(s, `""`)
	s = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(s, " ")
	s = regexp.MustCompile(`\[[^\]]*\]`).ReplaceAllString(s, " ")
	s = regexp.MustCompile(`(?i)\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`).ReplaceAllString(s, " ")
	s = regexp.MustCompile(`\$\{?\w+\}?`).ReplaceAllString(s, " ")
	keywords := map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "by": true,
		"without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true}
	var out []string
	for _, m := range regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?`).FindAllStringSubmatchIndex(s, -1) {
		name := s[m[0]:m[1]]
		if m[2] >= 0 {
			continue // a function or an aggregation
		}
		if m[0] > 0 && (s[m[0]-1] >= '0' && s[m[0]-1] <= '9' || s[m[0]-1] == '.') {
			continue // a unit of a number (1e3) or a duration
		}
		if keywords[strings.ToLower(name)] {
			continue
		}
		out = append(out, name)
	}
	return out
}

func TestPromQLMetricNames(t *testing.T) {
	for expr, want := range map[string]string{
		`sum by (instance, group) (increase(a_total{job="x", y=~"$v"}[$__rate_interval])) > 0`: "a_total",
		`b == 0 unless on(name) c{s="a b"} == 0`:                                               "b c",
		`absent(d{job="supervisord"})`:                                                         "d",
		`topk(10, rate(e[5m])) or vector(0)`:                                                   "e",
		`label_values(f{job="s"}, instance)`:                                                   "f instance",
	} {
		if got := strings.Join(promQLMetricNames(expr), " "); got != want {
			t.Errorf("%s: %q, want %q", expr, got, want)
		}
	}
}

// prometheusSynthetic are series Prometheus makes itself for every scrape
// target, not exported by the daemon.
var prometheusSynthetic = map[string]bool{"up": true}

// TestAlertsAndDashboardUseExportedMetrics scrapes a live daemon and
// checks that every metric the alert rules and the dashboard name is one
// it exports.
func TestAlertsAndDashboardUseExportedMetrics(t *testing.T) {
	d := startDaemon(t, "", `
[inet_http_server]
port=127.0.0.1:%(port)s

[program:web]
command=sleep 1000
startsecs=0
liveness_check_script=true
liveness_check_period=1s

[program:once]
command=sh -c 'exit 3'
startsecs=0
autorestart=false
`)
	d.waitFor("a liveness verdict", 20*time.Second, func() bool {
		_, body := d.get("GET", "/metrics")
		return strings.Contains(body, "supervisord_process_healthy{")
	})
	resp, err := http.Get(d.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for name := range fams {
		exported[name] = true
	}

	root := moduleRoot(t)
	exprs := map[string]string{} // expression -> where
	var alerts struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	data, err := os.ReadFile(filepath.Join(root, "docs/deploy/prometheus-alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &alerts); err != nil {
		t.Fatalf("alert rules: %v", err)
	}
	for _, g := range alerts.Groups {
		for _, r := range g.Rules {
			if r.Expr == "" {
				t.Errorf("alert %s has no expr", r.Alert)
			}
			exprs[r.Expr] = "alert " + r.Alert
		}
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	data, err = os.ReadFile(filepath.Join(root, "docs/deploy/grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs[tg.Expr] = "panel " + p.Title
		}
	}
	for _, v := range dash.Templating.List {
		if q, ok := v.Query.(map[string]any); ok {
			if s, ok := q["query"].(string); ok {
				exprs[regexp.MustCompile(`^label_values\((.*),\s*\w+\)$`).ReplaceAllString(s, "$1")] = "variable " + v.Name
			}
		}
	}

	used := map[string]bool{}
	for expr, where := range exprs {
		names := promQLMetricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: no metric in %q", where, expr)
		}
		for _, n := range names {
			used[n] = true
			if !exported[n] && !prometheusSynthetic[n] {
				t.Errorf("%s: %q names %s, which /metrics does not export", where, expr, n)
			}
		}
	}
	// The rules must cover what the deployment guide promises.
	for _, n := range []string{"up", "supervisord_processes", "supervisord_up", "supervisord_state",
		"supervisord_process_restarts_total", "supervisord_process_oom_kills_total", "supervisord_process_healthy"} {
		if !used[n] {
			t.Errorf("no alert or panel uses %s", n)
		}
	}
	var names []string
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("%d expressions name %d metrics: %s", len(exprs), len(names), strings.Join(names, " "))
}

// TestSystemdUnitVerifies has systemd check the documented unit (with the
// binary and configuration of this test in place of the installed ones).
func TestSystemdUnitVerifies(t *testing.T) {
	root := moduleRoot(t)
	text, err := os.ReadFile(filepath.Join(root, "docs/deploy/supervisord.service"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(conf, []byte("[supervisord]\nlogfile="+dir+"/log\npidfile="+dir+"/pid\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unit := strings.ReplaceAll(string(text), "/usr/local/bin/supervisord", bin)
	unit = strings.ReplaceAll(unit, "/etc/supervisord.conf", conf)
	path := filepath.Join(dir, "supervisord.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}

	// Parse it ourselves: sections, the notify protocol, the commands.
	keys := map[string][]string{}
	section := ""
	for _, line := range strings.Split(unit, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("not a unit line: %q", line)
			}
			keys[section+k] = append(keys[section+k], v)
		}
	}
	for k, want := range map[string]string{"[Service]Type": "notify", "[Service]NotifyAccess": "main",
		"[Service]KillMode": "mixed", "[Service]WatchdogSec": "30s", "[Install]WantedBy": "multi-user.target"} {
		if got := keys[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
	checks := 0
	for _, k := range []string{"[Service]ExecStart", "[Service]ExecReload"} {
		for _, line := range keys[k] {
			if !strings.HasPrefix(line, bin+" ") {
				continue // /bin/kill -HUP $MAINPID
			}
			argv, err := service.SplitExec(line)
			if err != nil {
				t.Fatalf("%s=%s: %v", k, line, err)
			}
			if argv[1] == "check" {
				checks++
				// The reload's check passes on a valid file.
				if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
					t.Errorf("%s: %v\n%s", line, err, out)
				}
			}
		}
	}
	if checks != 1 {
		t.Errorf("%d check commands in the unit, want one before the reload", checks)
	}
	if analyze, err := exec.LookPath("systemd-analyze"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, analyze, "verify", path).CombinedOutput()
		if err != nil {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
		t.Logf("systemd-analyze verify: ok %s", bytes.TrimSpace(out))
	} else {
		t.Log("systemd-analyze not found: the unit was parsed, not verified by systemd")
	}
}

// checkJSON runs `supervisord check --json` on text.
func checkJSON(t *testing.T, text string, env ...string) (errs, warns []map[string]any) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "check", "--json", "-c", path)
	cmd.Env = append(os.Environ(), env...)
	out, _ := cmd.Output()
	var rep struct {
		Errors   []map[string]any `json:"errors"`
		Warnings []map[string]any `json:"warnings"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("check --json: %v\n%s", err, out)
	}
	return rep.Errors, rep.Warnings
}

// onlyImageFindings fails on any finding but the ones expected outside the
// image: its binaries are missing here, and shutdown_when is unknown to a
// daemon built without it.
func onlyImageFindings(t *testing.T, what string, errs, warns []map[string]any) {
	t.Helper()
	for _, e := range errs {
		if e["key"] != "command" || !strings.HasPrefix(e["message"].(string), "can't find command '/") {
			t.Errorf("%s: error %v", what, e["text"])
		}
	}
	for _, w := range warns {
		if !strings.Contains(w["message"].(string), "shutdown_when: unknown option") {
			t.Errorf("%s: warning %v", what, w["text"])
		}
	}
}

// TestKubernetesManifest checks the Pod against its configuration: the
// probes use the daemon's paths on its port, the grace period outlasts
// the programs' stopwaitsecs, and the ConfigMap's file passes check.
func TestKubernetesManifest(t *testing.T) {
	root := moduleRoot(t)
	f, err := os.Open(filepath.Join(root, "docs/deploy/kubernetes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type probe struct {
		HTTPGet struct {
			Path string `yaml:"path"`
			Port string `yaml:"port"`
		} `yaml:"httpGet"`
	}
	var conf string
	var grace int
	var probes = map[string]probe{}
	ports := map[string]int{}
	dec := yaml.NewDecoder(f)
	for {
		var doc struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
			Spec struct {
				Grace      int `yaml:"terminationGracePeriodSeconds"`
				Containers []struct {
					Ports []struct {
						Name string `yaml:"name"`
						Port int    `yaml:"containerPort"`
					} `yaml:"ports"`
					Startup   probe `yaml:"startupProbe"`
					Readiness probe `yaml:"readinessProbe"`
					Liveness  probe `yaml:"livenessProbe"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		switch doc.Kind {
		case "ConfigMap":
			conf = doc.Data["supervisord.conf"]
		case "Pod":
			grace = doc.Spec.Grace
			c := doc.Spec.Containers[0]
			probes["startup"], probes["readiness"], probes["liveness"] = c.Startup, c.Readiness, c.Liveness
			for _, p := range c.Ports {
				ports[p.Name] = p.Port
			}
		}
	}
	if conf == "" || grace == 0 {
		t.Fatalf("manifest lacks the ConfigMap's supervisord.conf or the Pod's grace period")
	}
	for kind, want := range map[string]string{"startup": "/readyz", "readiness": "/readyz", "liveness": "/healthz"} {
		if got := probes[kind].HTTPGet.Path; got != want {
			t.Errorf("%s probe path %q, want %q", kind, got, want)
		}
		if ports[probes[kind].HTTPGet.Port] != 9001 {
			t.Errorf("%s probe port %q is not the inet_http_server port", kind, probes[kind].HTTPGet.Port)
		}
	}
	errs, warns := checkJSON(t, conf, "SUPERVISOR_PASSWORD=x")
	onlyImageFindings(t, "kubernetes.yaml", errs, warns)

	dir := t.TempDir()
	path := filepath.Join(dir, "supervisord.conf")
	os.WriteFile(path, []byte(conf), 0o644)
	cfg, err := config.Load(path, config.LoadOptions{Env: map[string]string{"SUPERVISOR_PASSWORD": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Supervisord.ProbesNoAuth || cfg.InetServers[0].Port != 9001 || cfg.Supervisord.LogFormat != "json" {
		t.Errorf("the ConfigMap's file does not open the probes on port 9001 with JSON logs")
	}
	var total time.Duration
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			total += p.StopWaitSecs
		}
	}
	if margin := time.Duration(grace)*time.Second - total; margin < 5*time.Second {
		t.Errorf("terminationGracePeriodSeconds %d leaves %v after the programs' stopwaitsecs (%v)", grace, margin, total)
	}
}

// TestContainerConfig: the PID 1 example passes check but for what only
// its image has.
func TestContainerConfig(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(moduleRoot(t), "docs/deploy/container/supervisord.conf"))
	if err != nil {
		t.Fatal(err)
	}
	errs, warns := checkJSON(t, string(text), "SUPERVISOR_PASSWORD=x")
	onlyImageFindings(t, "container/supervisord.conf", errs, warns)
	if len(errs) != 2 {
		t.Errorf("want the two image binaries reported missing, got %v", errs)
	}
}
