package logfile

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestJSONRecords checks that every line is one JSON object with time,
// level and message, and program and pid when the record names them.
func TestJSONRecords(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewJSONHandler(LevelBlather, &buf))
	log.LogAttrs(context.Background(), LevelInfo, "spawned: 'web' with pid 42", ProcessAttr("web", 42))
	log.LogAttrs(context.Background(), LevelWarn, "gave up: \"db\" <entered> FATAL\nstate", ProcessAttr("g:db", 0))
	log.With("k", 1).WithGroup("g").Log(context.Background(), LevelCritical, "plain", "x", "two words", "message", "dup")
	log.Log(context.Background(), LevelBlather, "bad utf8 \xff")
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 lines, got %q", buf.String())
	}
	want := []map[string]any{
		{"level": "info", "message": "spawned: 'web' with pid 42", "program": "web", "pid": float64(42)},
		{"level": "warn", "message": "gave up: \"db\" <entered> FATAL\nstate", "program": "g:db"},
		{"level": "critical", "message": "plain", "k": float64(1), "g.x": "two words", "g.message": "dup"},
		{"level": "blather", "message": "bad utf8 \ufffd"},
	}
	for i, line := range lines {
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d %q: %v", i, line, err)
		}
		ts, _ := got["time"].(string)
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			t.Errorf("line %d: time %q: %v", i, ts, err)
		}
		delete(got, "time")
		if len(got) != len(want[i]) {
			t.Errorf("line %d: fields %v, want %v", i, got, want[i])
		}
		for k, v := range want[i] {
			if got[k] != v {
				t.Errorf("line %d: %s = %#v, want %#v", i, k, got[k], v)
			}
		}
	}
	if strings.Contains(lines[1], `\u003c`) {
		t.Errorf("HTML escaping in %q", lines[1])
	}
}

// TestTextLeavesProcessOut keeps the text format byte for byte
// Supervisor's when a record names its program.
func TestTextLeavesProcessOut(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(LevelInfo, &buf))
	at := time.Date(2024, 5, 6, 7, 8, 9, 42e6, time.Local)
	r := slog.NewRecord(at, LevelInfo, "spawned: 'web' with pid 42", 0)
	r.AddAttrs(ProcessAttr("web", 42))
	log.Handler().Handle(context.Background(), r)
	if got, want := buf.String(), "2024-05-06 07:08:09,042 INFO spawned: 'web' with pid 42\n"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}
