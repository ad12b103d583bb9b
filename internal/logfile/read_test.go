package logfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/internal/faults"
)

func TestReadRangeErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	os.WriteFile(path, []byte("0123456789"), 0o644)
	cases := []struct {
		path         string
		off, length  int64
		code         faults.Code
		detail, data string
	}{
		{"", 0, 0, faults.NoFile, "None", ""},
		{filepath.Join(dir, "absent"), 0, 0, faults.NoFile, filepath.Join(dir, "absent"), ""},
		{path, -1, 1, faults.BadArguments, "", ""},
		{path, 0, -1, faults.BadArguments, "", ""},
		{dir, 0, 5, faults.Failed, "", ""},
		{path, -3, 0, 0, "", "789"},
		{path, 2, 3, 0, "", "234"},
		{path, 4, 0, 0, "", "456789"},
		{path, 20, 5, 0, "", ""},
	}
	for _, c := range cases {
		data, err := ReadRange(c.path, c.off, c.length)
		if c.code == 0 {
			if err != nil || string(data) != c.data {
				t.Errorf("ReadRange(%q,%d,%d) = %q, %v", c.path, c.off, c.length, data, err)
			}
			continue
		}
		var fe *faults.Error
		if !errors.As(err, &fe) || fe.Code != c.code || fe.Detail != c.detail {
			t.Errorf("ReadRange(%q,%d,%d) err = %v, want %s: %s", c.path, c.off, c.length, err, c.code.Name(), c.detail)
		}
	}
}

func TestTailMissingFile(t *testing.T) {
	data, off, ov, err := Tail(filepath.Join(t.TempDir(), "absent"), 100, 10)
	if len(data) != 0 || off != 0 || ov || err != nil {
		t.Errorf("Tail(absent) = %q %d %v %v", data, off, ov, err)
	}
}

// chanWriter passes each write to a channel.
type chanWriter chan string

func (c chanWriter) Write(p []byte) (int, error) { c <- string(p); return len(p), nil }

// expect reads from c until it has seen want, or fails after a deadline.
func expect(t *testing.T, c chanWriter, want string) {
	t.Helper()
	var got strings.Builder
	deadline := time.After(10 * time.Second)
	for got.String() != want {
		if !strings.HasPrefix(want, got.String()) {
			t.Fatalf("follower sent %q, want %q", got.String(), want)
		}
		select {
		case s := <-c:
			got.WriteString(s)
		case <-deadline:
			t.Fatalf("follower sent %q, want %q", got.String(), want)
		}
	}
}

func TestFollowAcrossRotationAndTruncation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "web.log")
	w, err := OpenRotating(path, 20, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("old-old-old\n"))
	out := make(chanWriter, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- Follow(ctx, path, 4, out) }()
	expect(t, out, "old\n")

	w.Write([]byte("second line!\n")) // reaches 20 bytes: rotates after
	expect(t, out, "second line!\n")
	w.Write([]byte("in new file\n"))
	expect(t, out, "in new file\n")

	// An external truncation.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	w.Reopen()
	w.Write([]byte("x\n"))
	expect(t, out, TruncatedNotice+"x\n")

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
