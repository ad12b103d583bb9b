package logfile

import (
	"bytes"
	"testing"
)

// Stripping must not depend on where reads split the data.
func FuzzStripANSI(f *testing.F) {
	for _, s := range stripCases() {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		var whole ansiStripper
		want := whole.flush(whole.strip(nil, data))
		var parts ansiStripper
		var got []byte
		step := int(cut%16) + 1
		for i := 0; i < len(data); i += step {
			got = parts.strip(got, data[i:min(i+step, len(data))])
		}
		got = parts.flush(got)
		if !bytes.Equal(got, want) {
			t.Fatalf("chunked %q != whole %q", got, want)
		}
		if len(got) > len(data) {
			t.Fatal("output longer than input")
		}
	})
}

type recordSink struct{ events []Event }

func (r *recordSink) Emit(e Event) bool { r.events = append(r.events, e); return true }

// The capture-token scanner: logged bytes and communication events do not
// depend on how the output was split into reads.
func FuzzCaptureTokens(f *testing.F) {
	f.Add([]byte("a<!--XSUPERVISOR:BEGIN-->b<!--XSUPERVISOR:END-->c"), uint8(5))
	f.Add([]byte("<!--XSUPERVISOR:BEGIN<!--XSUPERVISOR:BEGIN-->x"), uint8(1))
	f.Add([]byte("<!--XSUPERVISOR:END-->"), uint8(7))
	f.Add([]byte("0000000<!--XSUPERVISOR:BEGIN-->"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		run := func(step int) ([]byte, [][]byte) {
			cfg := StreamConfig{Process: "p", Channel: Stdout}
			cfg.Log.CaptureMaxBytes = 1 << 20
			sink := &recordSink{}
			s, err := OpenStream(cfg, StreamOptions{Events: sink})
			if err != nil {
				t.Fatal(err)
			}
			var logged bufTarget
			s.targets = append(s.targets, &logged)
			c := s.newCapture(1)
			for i := 0; i < len(data); i += step {
				c.feed(data[i:min(i+step, len(data))])
			}
			c.finish()
			var comm [][]byte
			for _, e := range sink.events {
				if e.Kind == EventCommunication {
					comm = append(comm, e.Data)
				}
			}
			return logged.Bytes(), comm
		}
		l1, c1 := run(len(data) + 1)
		l2, c2 := run(int(cut%32) + 1)
		if !bytes.Equal(l1, l2) || len(c1) != len(c2) {
			t.Fatalf("split changes result: %q %q vs %q %q", l1, c1, l2, c2)
		}
		for i := range c1 {
			if !bytes.Equal(c1[i], c2[i]) {
				t.Fatalf("comm event %d: %q vs %q", i, c1[i], c2[i])
			}
		}
	})
}

func FuzzParseLevel(f *testing.F) {
	for _, s := range []string{"info", "BLATHER", "warning", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLevel(s)
		if err == nil && (l < LevelBlather || l > LevelCritical) {
			t.Fatalf("ParseLevel(%q) = %v", s, l)
		}
	})
}

// bufTarget collects what a stream writes.
type bufTarget struct{ bytes.Buffer }

func (b *bufTarget) write(p []byte, _ int) error { b.Write(p); return nil }
func (b *bufTarget) flush(int) error             { return nil }
func (b *bufTarget) reopen() error               { return nil }
func (b *bufTarget) clear() error                { return nil }
func (b *bufTarget) close() error                { return nil }
