package logfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"sync"
)

// RotatingFile is an append-only log file with Supervisor's size-based
// rotation: when the file reaches maxBytes it is renamed to path.1 (older
// backups shift to path.2 ... path.N, the oldest is overwritten) and a new
// empty file takes its place. Rotation waits for the end of the line being
// written, so a line never straddles two files unless the line alone is
// longer than maxBytes.
//
// maxBytes <= 0 never rotates. backups == 0 with maxBytes > 0 truncates the
// file in place when it is full, as the reference does. Targets that are
// not regular files (character devices, FIFOs) are written to and never
// rotated, truncated or seeked.
//
// A RotatingFile is safe for concurrent use; each Write is applied
// atomically with respect to rotation, Reopen and Clear.
type RotatingFile struct {
	path     string
	maxBytes int64
	backups  int

	mu      sync.Mutex // guards f, size, regular, midLine, closed
	f       *os.File
	closed  bool
	size    int64 // bytes in the current file
	regular bool  // false for devices and pipes: no rotation, no size
	midLine bool  // the last byte written was not a newline
}

// OpenRotating opens (creating if needed) the log file at path for
// appending.
func OpenRotating(path string, maxBytes int64, backups int) (*RotatingFile, error) {
	if backups < 0 {
		backups = 0
	}
	w := &RotatingFile{path: path, maxBytes: maxBytes, backups: backups}
	if err := w.open(false); err != nil {
		return nil, err
	}
	return w, nil
}

// Path is the name of the current file.
func (w *RotatingFile) Path() string { return w.path }

// open opens the file at w.path; w.mu must be held (or w unshared).
func (w *RotatingFile) open(truncate bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if truncate {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(w.path, flags, 0o666)
	if err != nil {
		return fmt.Errorf("logfile: open: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("logfile: stat: %w", err)
	}
	w.f = f
	w.regular = st.Mode().IsRegular()
	w.size, w.midLine = 0, false
	if w.regular {
		w.size = st.Size()
		if w.size > 0 {
			var last [1]byte
			if _, err := f.ReadAt(last[:], w.size-1); err == nil {
				w.midLine = last[0] != '\n'
			}
		}
	}
	return nil
}

func (w *RotatingFile) rotates() bool { return w.regular && w.maxBytes > 0 }

// Write appends p, rotating at line boundaries as needed. It returns the
// number of bytes of p written.
func (w *RotatingFile) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, fmt.Errorf("logfile: write %s: %w", w.path, os.ErrClosed)
	}
	if w.f == nil {
		// A previous rotation or reopen failed; try again now.
		if err := w.open(false); err != nil {
			return 0, err
		}
	}
	if !w.rotates() {
		n, err := w.f.Write(p)
		w.size += int64(n)
		if err != nil {
			return n, fmt.Errorf("logfile: write %s: %w", w.path, err)
		}
		return n, nil
	}
	written := 0
	for len(p) > 0 {
		chunk, tear := w.nextChunk(p)
		n, err := w.f.Write(chunk)
		written += n
		w.size += int64(n)
		if n > 0 {
			w.midLine = chunk[n-1] != '\n'
		}
		if err != nil {
			return written, fmt.Errorf("logfile: write %s: %w", w.path, err)
		}
		p = p[n:]
		if w.size >= w.maxBytes && (!w.midLine || tear) {
			if err := w.rotate(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// nextChunk returns the prefix of p to write before the next rotation
// check: everything up to the first newline that takes the file to
// maxBytes or beyond. tear reports that no such newline exists and the
// line being written is already longer than maxBytes, so it must be split.
func (w *RotatingFile) nextChunk(p []byte) (chunk []byte, tear bool) {
	if w.size+int64(len(p)) < w.maxBytes {
		return p, false
	}
	from := w.maxBytes - w.size - 1
	if from < 0 {
		from = 0
	}
	if j := bytes.IndexByte(p[from:], '\n'); j >= 0 {
		return p[:from+int64(j)+1], false
	}
	// No line end in reach. A line that started below maxBytes and is no
	// longer than maxBytes ends before 2*maxBytes; past that the line is
	// overlong and is cut.
	limit := 2*w.maxBytes - w.size
	if limit <= 0 {
		return nil, true
	}
	if int64(len(p)) < limit {
		return p, false
	}
	return p[:limit], true
}

// rotate shifts the backups and starts a new empty file; w.mu must be held.
func (w *RotatingFile) rotate() error {
	w.f.Close()
	w.f = nil
	if w.backups > 0 {
		for i := w.backups - 1; i >= 1; i-- {
			src := w.backupName(i)
			if _, err := os.Lstat(src); err == nil {
				if err := renameIgnoringMissing(src, w.backupName(i+1)); err != nil {
					return err
				}
			}
		}
		if err := renameIgnoringMissing(w.path, w.backupName(1)); err != nil {
			return err
		}
	}
	return w.open(true)
}

func (w *RotatingFile) backupName(i int) string { return w.path + "." + strconv.Itoa(i) }

func renameIgnoringMissing(src, dst string) error {
	if err := os.Rename(src, dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("logfile: rotate: %w", err)
	}
	return nil
}

// Reopen closes the file and opens path again, picking up a file that an
// external tool has moved away (SIGUSR2). No write is lost: writes wait for
// the reopen to finish.
func (w *RotatingFile) Reopen() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	return w.open(false)
}

// Clear empties the log: the current file is removed and recreated empty
// and the backups path.1 ... path.N are removed. Devices and pipes are
// left alone.
func (w *RotatingFile) Clear() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	if w.f != nil && !w.regular {
		return nil
	}
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	var errs []error
	if err := os.Remove(w.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("logfile: clear: %w", err))
	}
	for i := 1; i <= w.backups; i++ {
		if err := os.Remove(w.backupName(i)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("logfile: clear: %w", err))
		}
	}
	if err := w.open(false); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Close closes the file for good; later writes fail.
func (w *RotatingFile) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
