package logfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"supervisord/internal/config"
)

func fileStream(t testing.TB, path string, maxBytes int64, backups int) StreamConfig {
	t.Helper()
	return StreamConfig{
		Process: "web", Group: "web", Channel: Stdout,
		Log: config.StreamLog{
			Targets:  []config.LogTarget{{Kind: config.LogFile, Path: path}},
			MaxBytes: maxBytes, Backups: backups,
		},
	}
}

// readRotated returns the content of path's backups, oldest first, then
// path itself.
func readRotated(t *testing.T, path string) (all []byte, files int) {
	t.Helper()
	matches, _ := filepath.Glob(path + ".*")
	var nums []int
	for _, m := range matches {
		n, err := strconv.Atoi(strings.TrimPrefix(m, path+"."))
		if err == nil {
			nums = append(nums, n)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(nums)))
	for _, n := range nums {
		b, err := os.ReadFile(fmt.Sprintf("%s.%d", path, n))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return append(all, b...), len(nums) + 1
}

func TestCaptureChildThroughRotations(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "web.log")
	s, err := OpenStream(fileStream(t, path, 1<<20, 100), StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 60000 // about 7 MB
	cmd, r := startChild(t, "lines:"+strconv.Itoa(n))
	if err := s.Capture(r, cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	all, files := readRotated(t, path)
	if files < 6 {
		t.Fatalf("expected several rotations, got %d files", files)
	}
	// Every file ends at a line boundary.
	matches, _ := filepath.Glob(path + "*")
	for _, m := range matches {
		b, _ := os.ReadFile(m)
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Errorf("%s ends mid-line", m)
		}
	}
	lines := strings.Split(strings.TrimSuffix(string(all), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("got %d lines, want %d", len(lines), n)
	}
	for i, l := range lines {
		want := fmt.Sprintf("line %09d %s", i, strings.Repeat("x", i%197))
		if l != want {
			t.Fatalf("line %d = %.40q, want %.40q", i, l, want)
		}
	}
}

// blockedPipe returns the write end of a pipe that nobody reads, already
// full.
func blockedPipe(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return w
}

func TestCaptureHugeLineAndStuckConsole(t *testing.T) {
	dir := t.TempDir()
	stuck := blockedPipe(t)
	outs := NewOutputs(stuck, io.Discard, OutputsOptions{BufferSize: 256 << 10, Stall: 20 * time.Millisecond})
	defer outs.Close(0)

	big := fileStream(t, filepath.Join(dir, "big.log"), 1<<20, 20)
	big.Log.Targets = append(big.Log.Targets, config.LogTarget{Kind: config.LogStdout})
	big.PrefixName = true
	bs, err := OpenStream(big, StreamOptions{Outputs: outs})
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	other, err := OpenStream(fileStream(t, filepath.Join(dir, "other.log"), 1<<20, 3), StreamOptions{Outputs: outs})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	const size = 10 << 20
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	var wg sync.WaitGroup
	var otherErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		cmd, r := startChild(t, "lines:20000")
		otherErr = other.Capture(r, cmd.Process.Pid)
		cmd.Wait()
	}()
	cmd, r := startChild(t, "bigline:"+strconv.Itoa(size))
	if err := bs.Capture(r, cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if otherErr != nil {
		t.Fatal(otherErr)
	}

	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 4<<20 {
		t.Errorf("heap grew by %d bytes for a %d-byte line", grew, size)
	}
	all, _ := readRotated(t, filepath.Join(dir, "big.log"))
	if len(all) != size {
		t.Errorf("file targets got %d bytes, want %d", len(all), size)
	}
	got, _ := readRotated(t, filepath.Join(dir, "other.log"))
	if n := bytes.Count(got, []byte{'\n'}); n != 20000 {
		t.Errorf("other stream got %d lines, want 20000", n)
	}
	st := outs.Stdout.Stats()
	if st.DroppedBytes == 0 {
		t.Errorf("stuck console dropped nothing: %+v", st)
	}
}

func TestCaptureToStdoutLargeVolume(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	drained := make(chan int64)
	go func() {
		n, _ := io.Copy(io.Discard, pr)
		drained <- n
	}()
	outs := NewOutputs(pw, io.Discard, OutputsOptions{})
	cfg := StreamConfig{Process: "web", Channel: Stdout, Log: config.StreamLog{
		Targets:  []config.LogTarget{{Kind: config.LogStdout}},
		MaxBytes: 50 << 20, Backups: 10, // defaults: must not matter for a console
	}}
	s, err := OpenStream(cfg, StreamOptions{Outputs: outs})
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20
	cmd, r := startChild(t, "bytes:"+strconv.Itoa(size))
	if err := s.Capture(r, cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if !outs.Stdout.Flush(10 * time.Second) {
		t.Fatal("stdout did not drain")
	}
	outs.Close(time.Second)
	pw.Close()
	if n := <-drained; n != size {
		t.Errorf("reader got %d bytes, want %d", n, size)
	}
	if st := outs.Stdout.Stats(); st.DroppedBytes != 0 || st.WriteErrors != 0 {
		t.Errorf("stats %+v", st)
	}
	if st := s.Stats(); st.WriteErrors != 0 || st.Bytes != size {
		t.Errorf("stream stats %+v", st)
	}
}

func TestDevStdoutAsFileTargetNeverRotates(t *testing.T) {
	// A character device given as a file path: written, never rotated.
	w, err := OpenRotating(os.DevNull, 10, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for range 100 {
		if _, err := w.Write([]byte("0123456789abcdef\n")); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	if err := w.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(os.DevNull + ".1"); err == nil {
		t.Fatal("rotated a device")
	}
	// A FIFO too.
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skip("mkfifo:", err)
	}
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscallNonblock, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fw, err := OpenRotating(fifo, 10, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer fw.Close()
	for range 10 {
		if _, err := fw.Write([]byte("0123456789abcdef\n")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(fifo + ".1"); err == nil {
		t.Fatal("rotated a fifo")
	}
}

type chanSink chan Event

func (c chanSink) Emit(e Event) bool {
	select {
	case c <- e:
		return true
	default:
		return false
	}
}

func TestCaptureModeAndEvents(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	cfg := fileStream(t, path, 0, 0)
	cfg.Log.CaptureMaxBytes = 1 << 20
	cfg.Log.EventsEnabled = true
	sink := make(chanSink, 100)
	s, err := OpenStream(cfg, StreamOptions{Events: sink})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	input := "before\n<!--XSUPERVISOR:BEGIN-->secret\n<!--XSUPERVISOR:END-->after\n"
	// Feed in awkward pieces, splitting the tokens.
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < len(input); i += 7 {
			pw.Write([]byte(input[i:min(i+7, len(input))]))
		}
		pw.Close()
	}()
	if err := s.Capture(pr, 42); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "before\nafter\n" {
		t.Errorf("log = %q", got)
	}
	close(sink)
	var comm []string
	var logged strings.Builder
	for e := range sink {
		if e.Pid != 42 || e.Process != "web" || e.Channel != Stdout {
			t.Errorf("event %+v", e)
		}
		switch e.Kind {
		case EventCommunication:
			comm = append(comm, string(e.Data))
		case EventLog:
			logged.Write(e.Data)
		}
	}
	if len(comm) != 1 || comm[0] != "secret\n" {
		t.Errorf("comm events %q", comm)
	}
	// As in the reference, data in capture mode is also sent as log events.
	if logged.String() != "before\nsecret\nafter\n" {
		t.Errorf("log events %q", logged.String())
	}
}

func TestEventDropsCounted(t *testing.T) {
	cfg := fileStream(t, filepath.Join(t.TempDir(), "log"), 0, 0)
	cfg.Log.EventsEnabled = true
	s, err := OpenStream(cfg, StreamOptions{Events: make(chanSink)}) // never has room
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Capture(strings.NewReader("a\nb\n"), 1); err != nil {
		t.Fatal(err)
	}
	if s.Stats().EventDrops == 0 {
		t.Error("dropped events not counted")
	}
}

func TestLinePrefix(t *testing.T) {
	var buf syncBuffer
	outs := NewOutputs(&buf, io.Discard, OutputsOptions{})
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	cases := []struct {
		name, time bool
		want       string
	}{
		{false, false, "one\ntwo\npartial"},
		{true, false, "web | one\nweb | two\nweb | partial\n"},
		{false, true, "2024-05-06T07:08:09.000Z one\n2024-05-06T07:08:09.000Z two\n2024-05-06T07:08:09.000Z partial\n"},
		{true, true, "2024-05-06T07:08:09.000Z web | one\n2024-05-06T07:08:09.000Z web | two\n2024-05-06T07:08:09.000Z web | partial\n"},
	}
	for _, c := range cases {
		buf.Reset()
		cfg := StreamConfig{Process: "web", Channel: Stdout, PrefixName: c.name, PrefixTime: c.time,
			Log: config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogStdout}}}}
		s, err := OpenStream(cfg, StreamOptions{Outputs: outs, Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		pr, pw := io.Pipe()
		go func() {
			for _, p := range []string{"o", "ne\ntw", "o\npart", "ial"} {
				pw.Write([]byte(p))
			}
			pw.Close()
		}()
		s.Capture(pr, 1)
		outs.Stdout.Flush(5 * time.Second)
		if got := buf.String(); got != c.want {
			t.Errorf("name=%v time=%v: got %q want %q", c.name, c.time, got, c.want)
		}
	}
	outs.Close(time.Second)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
func (s *syncBuffer) Reset()         { s.mu.Lock(); defer s.mu.Unlock(); s.b.Reset() }

func TestMainLogEcho(t *testing.T) {
	var buf syncBuffer
	log := NewHandler(LevelDebug, &buf)
	cfg := fileStream(t, filepath.Join(t.TempDir(), "log"), 0, 0)
	s, err := OpenStream(cfg, StreamOptions{MainLog: slogNew(log)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Capture(strings.NewReader("hello\n"), 1)
	if !strings.Contains(buf.String(), " DEBG 'web' stdout output:\nhello\n") {
		t.Errorf("main log: %q", buf.String())
	}
}

func TestStripANSIInCapture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	cfg := fileStream(t, path, 0, 0)
	cfg.StripANSI = true
	s, err := OpenStream(cfg, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Capture(strings.NewReader("\x1b[31mred\x1b[0m plain\n"), 1)
	got, _ := os.ReadFile(path)
	if string(got) != "red plain\n" {
		t.Errorf("got %q", got)
	}
}
