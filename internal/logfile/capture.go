package logfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"supervisord/internal/pycompat"
)

// The capture-mode tokens. Output between them is collected (up to
// *_capture_maxbytes) and sent as one PROCESS_COMMUNICATION event instead
// of being logged.
var (
	captureBegin = []byte("<!--XSUPERVISOR:BEGIN-->")
	captureEnd   = []byte("<!--XSUPERVISOR:END-->")
)

// readSize is how much Capture asks for per read. Larger than a default
// pipe so that a busy child fills whole reads.
const readSize = 256 << 10

// firstReadSize is the buffer a capture starts with.
const firstReadSize = 4 << 10

// Capture reads a child's output from r until EOF and sends it to the
// stream's targets. pid is the child's pid, for events and syslog. It
// returns nil at EOF and the read error otherwise; write errors on targets
// are counted (Stats) and the first is reported to the main log, but never
// stop the capture: the child must not block on a full disk.
//
// Memory use is bounded whatever the child writes: reads go through one
// fixed buffer and nothing waits for a line end in it.
func (s *Stream) Capture(r io.Reader, pid int) error {
	if f, ok := r.(*os.File); ok {
		growPipe(f)
		if done, err := s.capturePipe(f, pid); done {
			return err
		}
	}
	c := s.newCapture(pid)
	// The buffer grows with need: most children write little, and a
	// reader per stream of a thousand children must not hold a quarter
	// of a MiB each; a busy child fills whole reads and gets the full size
	// after a few of them.
	buf := make([]byte, firstReadSize)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			s.bytesIn.Add(int64(n))
			c.feed(buf[:n])
			if n == len(buf) && len(buf) < readSize {
				buf = make([]byte, min(4*len(buf), readSize))
			}
		}
		if err != nil {
			c.finish()
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return fmt.Errorf("logfile: capture %s %s: %w", s.cfg.Process, s.cfg.Channel, err)
		}
	}
}

// capture is the state of one Capture call.
type capture struct {
	s   *Stream
	pid int

	mainlog bool // echo output into the main log at debug level

	strip    ansiStripper
	stripped []byte // scratch for stripped data

	// Capture mode, enabled when maxbytes > 0.
	maxbytes  int64
	capturing bool
	pending   []byte // bytes not yet examined for a token
	bound     []byte // data collected while capturing
}

func (s *Stream) newCapture(pid int) *capture {
	c := &capture{s: s, pid: pid, maxbytes: s.cfg.Log.CaptureMaxBytes}
	if l := s.opts.MainLog; l != nil {
		c.mainlog = l.Enabled(context.Background(), LevelDebug)
	}
	return c
}

// feed handles one read's worth of data; data is only valid during the call.
func (c *capture) feed(data []byte) {
	if c.maxbytes <= 0 {
		c.log(data)
		return
	}
	// Mirror the reference: accumulate, look for the token of the current
	// mode, log what precedes it and keep a possible partial token.
	c.pending = append(c.pending, data...)
	c.scan(false)
}

// scan looks for tokens in the pending data. Like the reference it waits
// for more data than a token's length before looking, except at the end
// (final), when there will be no more.
func (c *capture) scan(final bool) {
	for {
		token := captureBegin
		if c.capturing {
			token = captureEnd
		}
		if len(c.pending) <= len(token) && !final || len(c.pending) == 0 {
			return
		}
		i := bytes.Index(c.pending, token)
		if i < 0 {
			keep := prefixAtEnd(c.pending, token)
			if final {
				keep = 0
			}
			c.log(c.pending[:len(c.pending)-keep])
			c.pending = append(c.pending[:0], c.pending[len(c.pending)-keep:]...)
			return
		}
		c.log(c.pending[:i])
		c.toggle()
		rest := c.pending[i+len(token):]
		c.pending = append(c.pending[:0], rest...)
		if len(c.pending) == 0 {
			return
		}
	}
}

// finish is called at EOF: unlike the reference, data still held back
// while looking for a token is logged rather than lost.
func (c *capture) finish() {
	if c.maxbytes > 0 {
		c.scan(true)
	}
	if c.s.cfg.StripANSI {
		if rest := c.strip.flush(nil); len(rest) > 0 {
			c.write(rest)
		}
	}
	for _, t := range c.s.targets {
		t.flush(c.pid)
	}
}

// prefixAtEnd returns the length of the longest proper prefix of token
// that data ends with.
func prefixAtEnd(data, token []byte) int {
	for l := len(token) - 1; l > 0; l-- {
		if bytes.HasSuffix(data, token[:l]) {
			return l
		}
	}
	return 0
}

// log is the reference's _log: strip, write to the current log, echo into
// the main log, emit a PROCESS_LOG event.
func (c *capture) log(data []byte) {
	if len(data) == 0 {
		return
	}
	if c.s.cfg.StripANSI {
		c.stripped = c.strip.strip(c.stripped[:0], data)
		data = c.stripped
		if len(data) == 0 {
			return
		}
	}
	if c.capturing {
		c.boundWrite(data)
	} else {
		c.write(data)
	}
	if c.mainlog {
		c.s.opts.MainLog.Log(context.Background(), LevelDebug,
			pycompat.Repr(c.s.cfg.Process)+" "+string(c.s.cfg.Channel)+" output:\n"+pycompat.DecodeOutput(data))
	}
	if c.s.cfg.Log.EventsEnabled {
		c.emit(EventLog, bytes.Clone(data))
	}
}

// write sends data to every target.
func (c *capture) write(data []byte) {
	for _, t := range c.s.targets {
		if err := t.write(data, c.pid); err != nil {
			c.s.writeErrors.Add(1)
			c.s.errOnce.Do(func() {
				if l := c.s.opts.MainLog; l != nil {
					l.Error("cannot write " + c.s.cfg.Process + " " + string(c.s.cfg.Channel) + " log: " + err.Error())
				}
			})
		}
	}
}

// boundWrite keeps the capture buffer the way the reference's BoundIO
// does: when data would overflow it, as many bytes as data holds are cut
// from the front first.
func (c *capture) boundWrite(data []byte) {
	if int64(len(c.bound)+len(data)) > c.maxbytes {
		if len(data) >= len(c.bound) {
			c.bound = c.bound[:0]
		} else {
			c.bound = append(c.bound[:0], c.bound[len(data):]...)
		}
	}
	c.bound = append(c.bound, data...)
}

func (c *capture) toggle() {
	c.capturing = !c.capturing
	if c.capturing {
		return
	}
	c.emit(EventCommunication, bytes.Clone(c.bound))
	if l := c.s.opts.MainLog; l != nil {
		l.Log(context.Background(), LevelDebug,
			pycompat.Repr(c.s.cfg.Process)+" "+string(c.s.cfg.Channel)+" emitted a comm event")
	}
	c.bound = c.bound[:0]
}

func (c *capture) emit(kind EventKind, data []byte) {
	ev := Event{Kind: kind, Channel: c.s.cfg.Channel, Process: c.s.cfg.Process,
		Group: c.s.cfg.Group, Pid: c.pid, Data: data}
	if c.s.opts.Events == nil || !c.s.opts.Events.Emit(ev) {
		c.s.eventDrops.Add(1)
	}
}
