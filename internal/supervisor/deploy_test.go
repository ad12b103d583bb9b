package supervisor

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/internal/config"
)

// TestLoopNotifiesAndProbes drives the loop side of sd_notify and the
// probes with a real child: READY after the launch, STATUS as the program
// comes up, /readyz false during startsecs and true after, RELOADING on
// restart, and the watchdog ticking from the loop.
func TestLoopNotifiesAndProbes(t *testing.T) {
	dir := t.TempDir()
	g := prog("web", "exec sleep 30", func(p *config.Process) { p.Startsecs = 300 * time.Millisecond })
	g2 := prog("manual", "exec sleep 30", func(p *config.Process) { p.Autostart = false })
	for _, gr := range []*config.Group{g, g2} {
		p := gr.Processes[0]
		p.Stdout = config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogFile, Path: filepath.Join(dir, p.Name+".out")}}}
	}
	cfg := &config.Config{File: filepath.Join(dir, "supervisord.conf"), Groups: []*config.Group{g, g2}}
	cfg.Supervisord.Identifier = "supervisor"
	r := newRecorder()
	n := NewSdNotifier(r.send, 20*time.Millisecond)
	defer n.Close(time.Second)
	rec := newLogRecorder()
	sup := New(cfg, Options{Logger: slog.New(rec), Reload: func() (*config.Config, error) { return cfg, nil }, SdNotify: n})
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan Result, 1)
	go func() { res <- sup.Run(ctx) }()
	defer func() {
		cancel()
		<-res
	}()

	rec.waitFor(t, "spawned: 'web'", 1, 5*time.Second)
	ready, notReady, err := sup.Readyz(context.Background())
	if err != nil || ready || strings.Join(notReady, ";") != "web: STARTING" {
		t.Fatalf("readyz during startsecs: %v %q %v", ready, notReady, err)
	}
	if err := sup.Healthz(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "success: web", 1, 5*time.Second)
	if ready, notReady, err := sup.Readyz(context.Background()); err != nil || !ready {
		t.Fatalf("readyz when RUNNING: %v %q %v", ready, notReady, err)
	}

	deadline := time.Now().Add(5 * time.Second)
	for {
		got := strings.Join(r.wait(t, 1), "|")
		if strings.Contains(got, "STATUS=1/2 running, 0 starting, 0 failed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no running status in %q", got)
		}
		select {
		case <-r.got:
		case <-time.After(time.Second):
		}
	}
	if err := sup.Restart(); err != nil {
		t.Fatal(err)
	}
	if r := <-res; !r.Restart {
		t.Fatalf("result %+v, want a restart", r)
	}
	res <- Result{} // for the deferred wait
	n.Close(time.Second)
	var order []string
	pings := 0
	for _, m := range r.wait(t, 1) {
		switch {
		case m == "WATCHDOG=1":
			pings++
		case strings.HasPrefix(m, "STATUS="):
		default:
			order = append(order, strings.SplitN(m, "\n", 2)[0])
		}
	}
	if strings.Join(order, " ") != "READY=1 RELOADING=1" {
		t.Fatalf("messages %q", order)
	}
	if pings < 3 {
		t.Errorf("%d watchdog pings over more than 300ms at 20ms", pings)
	}
	if _, _, err := sup.Readyz(context.Background()); err == nil {
		t.Error("readyz answered after the loop ended")
	}
}
