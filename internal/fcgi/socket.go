// Package fcgi manages the listening socket of an [fcgi-program:x] group.
// Supervisor creates the socket in the daemon, before the first process of
// the group is spawned, and hands it to every process as its stdin (fd 0);
// the processes accept connections on it. The socket is reference counted
// by the running processes: it is created when the first one is spawned
// and closed (a unix socket file is also removed) when the last one exits.
//
// A Socket is owned by the supervisor loop and is not safe for concurrent
// use.
package fcgi

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"

	"supervisord/internal/config"
)

// Socket is the shared listening socket of one fcgi-program group.
type Socket struct {
	cfg  config.FcgiSocket
	log  *slog.Logger // nil: no logging
	file *os.File     // the listening socket while refs > 0
	refs int
}

// New returns the socket manager for cfg. Nothing is created until the
// first Acquire. log receives "Creating socket ..." and "Closing socket
// ..." lines at info level, as Supervisor logs them; it may be nil.
func New(cfg config.FcgiSocket, log *slog.Logger) *Socket {
	return &Socket{cfg: cfg, log: log}
}

// URL returns the socket URL as Supervisor prints it ("tcp://host:port" or
// "unix:///path").
func (s *Socket) URL() string { return socketURL(s.cfg) }

func socketURL(cfg config.FcgiSocket) string {
	if cfg.URL != "" {
		return cfg.URL
	}
	if cfg.Network == "unix" {
		return "unix://" + cfg.Address
	}
	return "tcp://" + strings.ToLower(cfg.Address)
}

// Refs returns how many processes hold the socket.
func (s *Socket) Refs() int { return s.refs }

// Prepared reports whether the socket currently exists.
func (s *Socket) Prepared() bool { return s.file != nil }

// Acquire takes a reference for a process about to be spawned, creating the
// socket if this is the first. The returned file is the listening socket,
// in blocking mode, to be passed as the child's fd 0; it stays owned by the
// Socket and must not be closed by the caller. Call Release when the
// process has exited, or at once if the spawn failed.
func (s *Socket) Acquire() (*os.File, error) {
	if s.file == nil {
		if s.log != nil {
			s.log.Info("Creating socket " + s.URL())
		}
		f, err := listen(s.cfg)
		if err != nil {
			return nil, fmt.Errorf("fcgi socket %s: %w", s.URL(), err)
		}
		s.file = f
	}
	s.refs++
	return s.file, nil
}

// ErrNotHeld is returned by Release when no reference is held.
var ErrNotHeld = errors.New("fcgi socket released more often than acquired")

// Release drops a reference; the last one closes the socket and removes a
// unix socket's file.
func (s *Socket) Release() error {
	if s.refs <= 0 {
		return fmt.Errorf("fcgi socket %s: %w", s.URL(), ErrNotHeld)
	}
	s.refs--
	if s.refs > 0 {
		return nil
	}
	return s.close()
}

// Close closes the socket whatever the references, for daemon shutdown.
func (s *Socket) Close() error {
	s.refs = 0
	if s.file == nil {
		return nil
	}
	return s.close()
}

func (s *Socket) close() error {
	if s.log != nil {
		s.log.Info("Closing socket " + s.URL())
	}
	err := s.file.Close()
	s.file = nil
	if s.cfg.Network == "unix" {
		if rerr := os.Remove(s.cfg.Address); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("fcgi socket %s: close: %w", s.URL(), err)
	}
	return nil
}

// Addr returns the address the socket is bound to (useful with port 0), or
// an error if it does not exist.
func (s *Socket) Addr() (net.Addr, error) {
	if s.file == nil {
		return nil, fmt.Errorf("fcgi socket %s: not created", s.URL())
	}
	sa, err := syscall.Getsockname(int(s.file.Fd()))
	if err != nil {
		return nil, fmt.Errorf("fcgi socket %s: getsockname: %w", s.URL(), err)
	}
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}, nil
	case *syscall.SockaddrUnix:
		return &net.UnixAddr{Net: "unix", Name: a.Name}, nil
	}
	return nil, fmt.Errorf("fcgi socket %s: unexpected address %T", s.URL(), sa)
}

// Check creates and closes the socket, as Supervisor does when it loads an
// fcgi-program group, so that a bad address or permission shows at start.
func Check(cfg config.FcgiSocket) error {
	s := New(cfg, nil)
	if _, err := s.Acquire(); err != nil {
		return err
	}
	return s.Release()
}
