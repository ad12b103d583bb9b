package server

import (
	"context"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"supervisord/internal/config"
)

// Handoff carries the listening sockets of a server that stopped for a
// restart (HUP) to the next one, so that the ports and unix sockets stay
// open across it: connections made in between wait in the kernel's
// backlog and are served by the next server instead of being refused.
type Handoff struct {
	listeners []*listener
}

// KeepListeners makes the next Shutdown or Close leave the listening
// sockets open, for Handoff. Call it before the server is stopped.
func (s *Server) KeepListeners() {
	s.keep.Store(true)
}

// drain stops accepting (the sockets stay open) and waits until no
// connection has a request being read or served, or ctx is done. Only
// then may net/http's Shutdown run: it drops a request that it reads
// after shutdown began, which a client that just connected would see as
// a closed connection; left in the backlog, it is served by the next
// server instead.
func (s *Server) drain(ctx context.Context) {
	s.mu.Lock()
	lls := append([]*lingerListener(nil), s.lingering...)
	s.mu.Unlock()
	for _, l := range lls {
		l.pause()
	}
	for {
		parked := true
		for _, l := range lls {
			parked = parked && l.parked.Load()
		}
		if parked && s.conns.busy() == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// connTracker knows which connections have a request in progress.
type connTracker struct {
	mu    sync.Mutex // guards state
	state map[net.Conn]http.ConnState
}

func (t *connTracker) hook(c net.Conn, st http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == nil {
		t.state = map[net.Conn]http.ConnState{}
	}
	if st == http.StateClosed || st == http.StateHijacked {
		delete(t.state, c)
		return
	}
	t.state[c] = st
}

func (t *connTracker) busy() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, st := range t.state {
		if st == http.StateNew || st == http.StateActive {
			n++
		}
	}
	return n
}

// Handoff returns the sockets of a server stopped after KeepListeners,
// for Options.Inherit of the next one.
func (s *Server) Handoff() *Handoff {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.keep.Load() {
		return nil
	}
	h := &Handoff{listeners: s.listeners}
	s.listeners = nil
	return h
}

// take returns the inherited listener on the same unix socket path or
// TCP address, or nil.
func (h *Handoff) take(unixPath, tcpAddr string) *listener {
	if h == nil {
		return nil
	}
	for i, l := range h.listeners {
		if l == nil {
			continue
		}
		if (unixPath != "" && l.path == unixPath) || (tcpAddr != "" && l.path == "" && l.addr == tcpAddr) {
			h.listeners[i] = nil
			// Accept was stopped with a deadline in the past.
			if d, ok := l.ln.(interface{ SetDeadline(time.Time) error }); ok {
				d.SetDeadline(time.Time{})
			}
			return l
		}
	}
	return nil
}

// closeRest closes the inherited sockets the new configuration no
// longer names.
func (h *Handoff) closeRest() {
	if h == nil {
		return
	}
	for i, l := range h.listeners {
		if l != nil {
			l.ln.Close()
			if l.socket != "" {
				os.Remove(l.socket)
			}
			h.listeners[i] = nil
		}
	}
}

// inheritUnix reuses an inherited unix socket for u, with u's mode and
// owner applied again.
func inheritUnix(h *Handoff, u config.UnixHTTPServer) *listener {
	l := h.take(u.File, "")
	if l == nil {
		return nil
	}
	mode := u.Chmod
	if mode == 0 {
		mode = 0o700
	}
	os.Chmod(u.File, mode)
	if u.Chown != nil {
		os.Chown(u.File, int(u.Chown.Uid), int(u.Chown.Gid))
	}
	l.section, l.auth, l.tls = u.Section, accountsOf(u.Username, u.Password, u.ReadOnly), nil
	return l
}
