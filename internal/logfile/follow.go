package logfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// TruncatedNotice is written to a follower's output when the file shrinks
// under it, as the reference's /logtail does.
const TruncatedNotice = "==> File truncated <==\n"

// Follow writes the last back bytes of the file at path to w, then every
// byte appended to it, until ctx is done (it then returns nil) or a write
// to w fails. It follows the name, not the open file: when the file is
// rotated or recreated, the rest of the old file is sent and the new one
// is followed from its start; when it is truncated, TruncatedNotice is
// sent and reading restarts at 0. If w has a Flush method it is called
// after each batch. Changes are noticed with inotify (fsnotify); where
// that is unavailable the file is checked every second.
func Follow(ctx context.Context, path string, back int64, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("logfile: follow: %w", err)
	}
	fl := &follower{path: path, w: w, f: f}
	defer func() { fl.f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("logfile: follow: %w", err)
	}
	fl.pos = max(st.Size()-back, 0)
	fl.ino = inode(st)

	var events <-chan fsnotify.Event
	var watchErrs <-chan error
	var poll <-chan time.Time
	if wt, err := fsnotify.NewWatcher(); err == nil {
		defer wt.Close()
		if err := wt.Add(filepath.Dir(path)); err == nil {
			events, watchErrs = wt.Events, wt.Errors
		}
	}
	if events == nil {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		poll = t.C
	}
	name := filepath.Clean(path)
	for {
		if err := fl.catchUp(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case ev := <-events:
			if filepath.Clean(ev.Name) != name {
				continue
			}
		case <-watchErrs:
			// Overflow or similar: catching up covers any missed change.
		case <-poll:
		}
	}
}

type follower struct {
	path string
	w    io.Writer
	f    *os.File
	ino  uint64
	pos  int64
	buf  []byte
}

// catchUp sends what is new, switching files after a rotation.
func (fl *follower) catchUp() error {
	for {
		if err := fl.copyNew(); err != nil {
			return err
		}
		st, err := os.Stat(fl.path)
		if err != nil {
			// Gone for now (removed before being recreated): keep waiting.
			return nil
		}
		if inode(st) == fl.ino {
			return nil
		}
		// Replaced: finish the old file first. What was written to it
		// between copyNew's end and the rotation (the rotating write
		// itself, often) is there and nowhere else.
		if err := fl.copyNew(); err != nil {
			return err
		}
		// Then go on with the new one from its start.
		nf, err := os.Open(fl.path)
		if err != nil {
			return nil
		}
		fl.f.Close()
		fl.f, fl.pos = nf, 0
		nst, err := nf.Stat()
		if err != nil {
			return nil
		}
		fl.ino = inode(nst)
	}
}

// copyNew sends the bytes from pos to the end of the open file.
func (fl *follower) copyNew() error {
	st, err := fl.f.Stat()
	if err != nil {
		return nil
	}
	if st.Size() < fl.pos {
		fl.pos = 0
		if err := fl.send([]byte(TruncatedNotice)); err != nil {
			return err
		}
	}
	if fl.buf == nil {
		fl.buf = make([]byte, 64<<10)
	}
	for {
		n, err := fl.f.ReadAt(fl.buf, fl.pos)
		if n > 0 {
			fl.pos += int64(n)
			if werr := fl.send(fl.buf[:n]); werr != nil {
				return werr
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("logfile: follow: %w", err)
		}
	}
}

func (fl *follower) send(p []byte) error {
	if _, err := fl.w.Write(p); err != nil {
		return err
	}
	switch fw := fl.w.(type) {
	case interface{ Flush() error }:
		return fw.Flush()
	case interface{ Flush() }:
		fw.Flush()
	}
	return nil
}

func inode(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Ino)
	}
	return 0
}
