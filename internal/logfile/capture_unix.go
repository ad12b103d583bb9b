//go:build unix

package logfile

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// readBufs holds read buffers between reads. It is a cache, not state: a
// capture of a pipe borrows a buffer only for a read that finds data, so
// an idle child (most of them) holds none, and a thousand of them cost no
// memory for buffers.
var readBufs = sync.Pool{New: func() any { b := make([]byte, readSize); return &b }}

// capturePipe is Capture for a pipe: it waits for data through the
// runtime's poller without a buffer, and borrows one only to read. done is
// false when f cannot be read that way (then nothing was read).
func (s *Stream) capturePipe(f *os.File, pid int) (done bool, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, nil
	}
	return true, s.captureRaw(f, rc, s.newCapture(pid))
}

func (s *Stream) captureRaw(f *os.File, rc syscall.RawConn, c *capture) error {
	for {
		var buf *[]byte
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			if buf == nil {
				buf = readBufs.Get().(*[]byte)
			}
			n, rerr = syscall.Read(int(fd), *buf)
			if rerr == syscall.EAGAIN {
				readBufs.Put(buf)
				buf = nil
				return false // wait until readable
			}
			return true
		})
		if buf != nil && n > 0 {
			s.bytesIn.Add(int64(n))
			c.feed((*buf)[:n])
		}
		if buf != nil {
			readBufs.Put(buf)
		}
		switch {
		case err != nil:
			c.finish()
			if _, serr := f.Stat(); errors.Is(err, os.ErrClosed) || errors.Is(serr, os.ErrClosed) {
				return nil
			}
			return fmt.Errorf("logfile: capture %s %s: %w", s.cfg.Process, s.cfg.Channel, err)
		case rerr == syscall.EINTR:
		case rerr != nil:
			c.finish()
			return fmt.Errorf("logfile: capture %s %s: %w", s.cfg.Process, s.cfg.Channel, rerr)
		case n == 0:
			c.finish() // end of file
			return nil
		}
	}
}
