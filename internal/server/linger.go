package server

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Lingering close, as nginx does it: when the server closes a connection
// that may still carry unread request bytes (a body over the cap, a flood
// of blank lines), closing at once makes the kernel answer the client's
// next bytes with a reset, and a client still writing never reads the
// 413 or 400 it was sent. So the write side is shut first, and what the
// client still sends is read and thrown away, up to a bound in bytes and
// time, before the socket is closed. Like nginx's lingering_timeout and
// lingering_time, the wait ends when the client has sent nothing for
// lingerIdle, and in any case after lingerTime.
const (
	lingerBytes = 64 << 20
	lingerIdle  = 5 * time.Second
	lingerTime  = 30 * time.Second
	// lingerMax bounds the connections lingering at once; beyond it a
	// connection is closed at once.
	lingerMax = 64
)

// lingerListener wraps the accepted connections of a listener.
type lingerListener struct {
	net.Listener
	slots chan struct{}

	// For a handoff (see KeepListeners): keep set, pause stops Accept
	// with a deadline in the past and parks it until Close releases it,
	// leaving the socket open.
	keep     *atomic.Bool
	parked   atomic.Bool
	released chan struct{}
	release  sync.Once
}

func newLingerListener(ln net.Listener, keep *atomic.Bool) *lingerListener {
	return &lingerListener{Listener: ln, slots: make(chan struct{}, lingerMax), keep: keep,
		released: make(chan struct{})}
}

func (l *lingerListener) pause() {
	if d, ok := l.Listener.(interface{ SetDeadline(time.Time) error }); ok {
		d.SetDeadline(time.Unix(1, 0))
	}
}

// Close closes the socket, or, when it is to be handed to the next
// server, releases a parked Accept and leaves the socket open.
func (l *lingerListener) Close() error {
	if l.keep != nil && l.keep.Load() {
		l.pause()
		l.release.Do(func() { close(l.released) })
		return nil
	}
	return l.Listener.Close()
}

func (l *lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		if l.keep != nil && l.keep.Load() {
			// The server calls Accept again only once the connection
			// accepted before is tracked, so a parked listener means
			// every accepted connection is known.
			l.parked.Store(true)
			<-l.released
			return nil, net.ErrClosed
		}
		return nil, err
	}
	return &lingerConn{Conn: quiet(c), slots: l.slots}, nil
}

// lingerConn closes with a lingering close.
type lingerConn struct {
	net.Conn
	slots chan struct{}
	once  sync.Once
}

type closeWriter interface{ CloseWrite() error }

// CloseWrite lets net/http shut the write side itself (it does so
// before closing after an unread body).
func (c *lingerConn) CloseWrite() error {
	if cw, ok := c.Conn.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *lingerConn) Close() error {
	c.once.Do(func() {
		cw, ok := c.Conn.(closeWriter)
		if !ok {
			c.Conn.Close()
			return
		}
		select {
		case c.slots <- struct{}{}:
		default:
			c.Conn.Close()
			return
		}
		cw.CloseWrite() // net/http may have shut it already
		go func() {
			defer func() { <-c.slots }()
			drain(c.Conn)
			c.Conn.Close()
		}()
	})
	return nil
}

// drain reads and discards what conn still sends, within the bounds above.
func drain(conn net.Conn) {
	end := time.Now().Add(lingerTime)
	buf := make([]byte, 32<<10)
	for total := 0; total < lingerBytes; {
		deadline := time.Now().Add(lingerIdle)
		if deadline.After(end) {
			deadline = end
		}
		conn.SetReadDeadline(deadline)
		n, err := conn.Read(buf)
		total += n
		if err != nil {
			return
		}
	}
}
