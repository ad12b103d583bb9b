package logfile

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"supervisord/internal/config"
)

func TestParseLevel(t *testing.T) {
	cases := []struct {
		in   string
		want slog.Level
		err  bool
	}{
		{"critical", LevelCritical, false}, {"ERROR", LevelError, false}, {"warn", LevelWarn, false},
		{"Info", LevelInfo, false}, {"debug", LevelDebug, false}, {"trace", LevelTrace, false},
		{"blather", LevelBlather, false}, {"warning", 0, true}, {"", 0, true},
	}
	for _, c := range cases {
		got, err := ParseLevel(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("ParseLevel(%q) = %v, %v", c.in, got, err)
		}
	}
	if FromConfig(config.LevelTrace) != LevelTrace || FromConfig(0) != LevelInfo || FromConfig(config.LevelCritical) != LevelCritical {
		t.Error("FromConfig mapping")
	}
}

func TestHandlerFormat(t *testing.T) {
	var buf syncBuffer
	log := slog.New(NewHandler(LevelTrace, &buf))
	at := time.Date(2024, 5, 6, 7, 8, 9, 42e6, time.Local)
	for _, c := range []struct {
		level slog.Level
		tag   string
	}{{LevelCritical, "CRIT"}, {LevelError, "ERRO"}, {LevelWarn, "WARN"}, {LevelInfo, "INFO"},
		{LevelDebug, "DEBG"}, {LevelTrace, "TRAC"}, {LevelBlather, "BLAT"}} {
		buf.Reset()
		r := slog.NewRecord(at, c.level, "spawned: 'web' with pid 42", 0)
		log.Handler().Handle(context.Background(), r)
		want := "2024-05-06 07:08:09,042 " + c.tag + " spawned: 'web' with pid 42\n"
		if c.level < LevelTrace {
			want = "" // below the handler's level: Handle is only called when Enabled
			if log.Enabled(context.Background(), c.level) {
				t.Errorf("%s enabled below level", c.tag)
			}
			continue
		}
		if buf.String() != want {
			t.Errorf("got %q want %q", buf.String(), want)
		}
	}
	buf.Reset()
	log.With("pid", 42).WithGroup("g").Info("msg", "k", "two words")
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO msg pid=42 g.k="two words"\n$`).MatchString(buf.String()) {
		t.Errorf("attrs: %q", buf.String())
	}
}

func TestDaemonLogFileAndStuckEcho(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "supervisord.log")
	stuck := blockedPipe(t)
	cfg := config.Supervisord{Logfile: path, LogfileMaxBytes: 1 << 20, LogfileBackups: 2,
		Loglevel: config.LevelInfo, Nodaemon: true}
	d, err := NewDaemonLog(cfg, stuck, DaemonLogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// The echo's pipe is full and never read: logging must not wait.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20000 {
			d.Logger().Info("line", "i", i)
		}
		d.Logger().Debug("not shown")
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("logging blocked on a stuck console")
	}
	b, _ := os.ReadFile(path)
	if n := strings.Count(string(b), " INFO line i="); n != 20000 {
		t.Errorf("file has %d lines, want 20000", n)
	}
	if strings.Contains(string(b), "not shown") {
		t.Error("debug line written at info level")
	}
	if d.EchoStats().DroppedWrites == 0 {
		t.Error("stuck echo dropped nothing")
	}
	if d.Path() != path {
		t.Errorf("Path = %q", d.Path())
	}
	if err := d.Clear(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("after Clear: %d bytes", len(b))
	}
}

func TestDaemonLogNoEchoWhenDaemonOrSilent(t *testing.T) {
	for _, cfg := range []config.Supervisord{{Nodaemon: false}, {Nodaemon: true, Silent: true}} {
		var buf syncBuffer
		d, err := NewDaemonLog(cfg, &buf, DaemonLogOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d.Logger().Info("hello")
		d.Close()
		if buf.String() != "" {
			t.Errorf("%+v: echoed %q", cfg, buf.String())
		}
	}
	var buf syncBuffer
	d, _ := NewDaemonLog(config.Supervisord{Nodaemon: true}, &buf, DaemonLogOptions{})
	d.Logger().Info("hello")
	d.Close()
	if !strings.HasSuffix(buf.String(), " INFO hello\n") {
		t.Errorf("foreground echo: %q", buf.String())
	}
	_ = io.Discard
}
