package supervisor

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"supervisord/internal/logfile"
	"supervisord/internal/metrics"
)

func TestDropsAreLoggedRateLimited(t *testing.T) {
	clock := newFakeClock()
	rec := newLogRecorder()
	d := newDropCounter("things", slog.New(rec), clock)
	d.add()
	d.add()
	d.add()
	clock.Advance(dropReportEvery - time.Millisecond)
	d.add()
	clock.Advance(time.Millisecond)
	d.add()
	want := []string{"dropped 1 things; 1 since start", "dropped 4 things; 5 since start"}
	if got := rec.snapshot(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEventDropsReachMetricsAndLog fills the queue of output events while
// the loop is held busy, until one is dropped, then reads /metrics through
// the daemon's real handler.
func TestEventDropsReachMetricsAndLog(t *testing.T) {
	h := start(t)
	s := h.sup
	err := s.do(context.Background(), func(*loop) {
		// The loop runs this, so nothing drains the queue meanwhile.
		for sent := 0; s.sink.Emit(logfile.Event{}); sent++ {
			if sent > 1<<20 {
				t.Error("the event queue never filled")
				return
			}
		}
		s.sink.Emit(logfile.Event{})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Drops()["events"]; got != 2 {
		t.Fatalf("Drops()[events] = %d, want 2", got)
	}
	h.log.waitFor(t, "dropped 1 output events (the loop is behind); 1 since start", 1, time.Second)

	srv := httptest.NewServer(metrics.Handler(s, metrics.Options{NoRuntimeMetrics: true}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`supervisord_dropped_total{what="events"} 2`,
		`supervisord_dropped_total{what="health"} 0`,
		`supervisord_dropped_total{what="output:/dev/stdout"} 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}
