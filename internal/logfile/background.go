package logfile

import (
	"os"
	"time"
)

// Capturing is a capture running in the background (Stream.Start).
type Capturing struct {
	pc *pipeCapture // through the shared poller; nil on the fallback path
	f  *os.File     // the fallback path's file
}

// Start captures f in the background, as Capture does, until end of file,
// a read error or the deadline ExpireAt sets; then it finishes the
// capture, closes f and calls done (once, from some goroutine).
//
// A pipe waits through the daemon's one shared poller and costs no
// goroutine while its child is quiet; a goroutine reads it only while it
// has data. Anything else (a file the poller refuses, another platform)
// gets a goroutine of its own for its whole life, as Capture has.
func (s *Stream) Start(f *os.File, pid int, done func()) *Capturing {
	growPipe(f)
	if pc := s.startPolled(f, pid, done); pc != nil {
		return &Capturing{pc: pc}
	}
	go func() {
		s.Capture(f, pid)
		f.Close()
		done()
	}()
	return &Capturing{f: f}
}

// Expirable is a Capturing for a capture the caller runs itself on f (a
// Capture on its own goroutine): ExpireAt then ends it the same way.
func Expirable(f *os.File) *Capturing { return &Capturing{f: f} }

// ExpireAt ends the capture at t even if the pipe is still open (a
// grandchild may hold it): what was read by then is logged, the rest is
// left unread.
func (c *Capturing) ExpireAt(t time.Time) {
	if c.pc != nil {
		c.pc.expireAt(t)
		return
	}
	if err := c.f.SetReadDeadline(t); err != nil {
		f := c.f
		time.AfterFunc(time.Until(t), func() { f.Close() })
	}
}
