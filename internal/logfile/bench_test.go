package logfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// benchCapture pushes b.N chunks of 100-byte lines through a pipe into a
// stream made by mk.
func benchCapture(b *testing.B, cfg StreamConfig, opts StreamOptions) {
	s, err := OpenStream(cfg, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	chunk := bytes.Repeat([]byte(string(bytes.Repeat([]byte("x"), 99))+"\n"), 1<<10) // 100 KiB
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(chunk)))
	b.ResetTimer()
	go func() {
		for range b.N {
			w.Write(chunk)
		}
		w.Close()
	}()
	if err := s.Capture(r, 1); err != nil {
		b.Fatal(err)
	}
	r.Close()
}

func BenchmarkCaptureRotatingFile(b *testing.B) {
	cfg := fileStream(b, filepath.Join(b.TempDir(), "log"), 50<<20, 2)
	benchCapture(b, cfg, StreamOptions{})
}

func BenchmarkCaptureWithEventsAndStrip(b *testing.B) {
	cfg := fileStream(b, filepath.Join(b.TempDir(), "log"), 50<<20, 2)
	cfg.StripANSI = true
	cfg.Log.EventsEnabled = true
	cfg.Log.CaptureMaxBytes = 1 << 20
	benchCapture(b, cfg, StreamOptions{Events: make(chanSink, 1024)})
}
