package server

import (
	"io"
	"net"
	"sync"
	"time"
)

// Lingering close, as nginx does it: when the server closes a connection
// that may still carry unread request bytes (a body over the cap, a flood
// of blank lines), closing at once makes the kernel answer the client's
// next bytes with a reset, and a client still writing never reads the
// 413 or 400 it was sent. So the write side is shut first, and what the
// client still sends is read and thrown away, up to a bound in bytes and
// time, before the socket is closed.
const (
	lingerBytes = 64 << 20
	lingerTime  = 5 * time.Second
	// lingerMax bounds the connections lingering at once; beyond it a
	// connection is closed at once.
	lingerMax = 64
)

// lingerListener wraps the accepted connections of a listener.
type lingerListener struct {
	net.Listener
	slots chan struct{}
}

func newLingerListener(ln net.Listener) *lingerListener {
	return &lingerListener{Listener: ln, slots: make(chan struct{}, lingerMax)}
}

func (l *lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &lingerConn{Conn: c, slots: l.slots}, nil
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
			c.Conn.SetReadDeadline(time.Now().Add(lingerTime))
			io.CopyN(io.Discard, c.Conn, lingerBytes)
			c.Conn.Close()
		}()
	})
	return nil
}
