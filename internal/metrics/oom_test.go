package metrics

import (
	"testing"

	"supervisord/internal/process"
)

func TestOOMKills(t *testing.T) {
	src := fakeSource{infos: []process.Info{
		{Name: "web", Group: "web", State: process.Running, Usage: process.Usage{Measured: true, OOMKills: 3}},
		{Name: "db", Group: "g", State: process.Stopped},
	}}
	fams := scrape(t, Handler(src, Options{NoRuntimeMetrics: true, Usage: func(int) (Usage, error) { return Usage{}, nil }}))
	if v, ok := value(fams, "supervisord_process_oom_kills_total", "name", "web", "group", "web"); !ok || v != 3 {
		t.Errorf("web: %v %v", v, ok)
	}
	if v, ok := value(fams, "supervisord_process_oom_kills_total", "name", "db", "group", "g"); !ok || v != 0 {
		t.Errorf("db: %v %v", v, ok)
	}
	if fams["supervisord_process_oom_kills_total"].GetType().String() != "COUNTER" {
		t.Error("not a counter")
	}
}
