// Package server exposes the control API over HTTP on the unix sockets
// and TCP ports the configuration names: XML-RPC on /RPC2, log following
// on /logtail and /mainlogtail, and /ok.html, all behind the section's
// basic authentication, with the limits and timeouts a daemon facing
// untrusted local clients needs.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/logfile"
	"supervisord/internal/rpc"
)

// Options tune a Server. Zero values give the defaults.
type Options struct {
	// Extra handlers are mounted on the same routes table, behind the
	// same authentication (e.g. the web UI on "/", "/metrics"). Patterns
	// follow net/http.ServeMux.
	Extra map[string]http.Handler
	// API serves the XML-RPC methods; default rpc.New(backend, {}).
	API *rpc.API
	// MaxBodyBytes bounds an XML-RPC request body; default 4 MiB.
	MaxBodyBytes int64
	// MaxDepth bounds XML nesting in a request; default 64.
	MaxDepth int
	// StreamAbove is the size (as the reply estimates it) above which a
	// large reply is sent as it is encoded, without a Content-Length;
	// default 256 KiB, about 200 processes in a getAllProcessInfo. Smaller
	// replies carry a Content-Length, as the reference's do.
	StreamAbove int
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are
	// the HTTP server timeouts; defaults 10s, 60s, 60s and 120s. Log
	// following and waiting XML-RPC calls are exempt from the write
	// timeout.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes bounds request headers; default 64 KiB.
	MaxHeaderBytes int
	// Inherit are the sockets of the server this one replaces (see
	// Handoff): those on the same paths and addresses are used again.
	Inherit *Handoff
	// CallSeen, if set, is called at the start of every request (the
	// daemon hands memory back once requests stop).
	CallSeen func()
}

// Server is a set of HTTP listeners serving the control API.
type Server struct {
	api    *rpc.API
	logger *slog.Logger
	opts   Options
	mux    *http.ServeMux
	hasUI  bool
	ui     http.Handler // the handler mounted on "/", if any
	bad    *rateLimiter
	probes *probes // nil when the backend cannot answer probes

	replies replyBufs // reply buffers for reuse
	encodes encodeGate

	base   context.Context // cancelled on shutdown to end streams
	cancel context.CancelFunc
	// streams ends log following at shutdown, before the requests in
	// progress are waited for.
	streams    context.Context
	endStreams context.CancelFunc

	keep  atomic.Bool // leave the sockets open at close, for Handoff
	conns connTracker

	mu        sync.Mutex // guards listeners, servers, sockets, closed
	listeners []*listener
	servers   []*http.Server
	lingering []*lingerListener
	closed    bool
}

type listener struct {
	ln      net.Listener
	section string
	addr    string // host:port as configured, for TCP
	auth    accounts
	tls     *tlsState // nil for plain HTTP
	socket  string    // unix socket path to remove at close, "" for TCP
	path    string    // unix socket path, for Addrs
}

// New binds every [unix_http_server] and [inet_http_server] of cfg. It
// fails, having bound nothing, when a socket is in use by a live server
// or cannot be created.
func New(cfg *config.Config, backend rpc.Backend, logger *slog.Logger, opts Options) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.API == nil {
		opts.API = rpc.New(backend, rpc.Options{})
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 4 << 20
	}
	if opts.StreamAbove <= 0 {
		opts.StreamAbove = 256 << 10
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 64
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.ReadHeaderTimeout, 10*time.Second)
	def(&opts.ReadTimeout, 60*time.Second)
	def(&opts.WriteTimeout, 60*time.Second)
	def(&opts.IdleTimeout, 120*time.Second)
	if opts.MaxHeaderBytes <= 0 {
		opts.MaxHeaderBytes = 64 << 10
	}
	s := &Server{api: opts.API, logger: logger, opts: opts, mux: http.NewServeMux(), encodes: newEncodeGate(),
		bad: newRateLimiter(10, time.Minute)}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.probes = newProbes(cfg, backend)
	s.streams, s.endStreams = context.WithCancel(s.base)
	s.routes()

	for _, u := range cfg.UnixServers {
		if l := inheritUnix(opts.Inherit, u); l != nil {
			s.listeners = append(s.listeners, l)
			continue
		}
		l, err := listenUnix(u)
		if err != nil {
			s.closeListeners()
			return nil, err
		}
		s.listeners = append(s.listeners, l)
	}
	for _, in := range cfg.InetServers {
		addr := net.JoinHostPort(in.Host, strconv.Itoa(in.Port))
		var ln net.Listener
		var err error
		if old := opts.Inherit.take("", addr); old != nil {
			ln = old.ln
		} else {
			ln, err = net.Listen("tcp", addr)
		}
		if err != nil {
			s.closeListeners()
			if errors.Is(err, syscall_EADDRINUSE) {
				return nil, fmt.Errorf("[%s]: another program is already listening on %s", in.Section, addr)
			}
			return nil, fmt.Errorf("[%s]: cannot listen on %s: %w", in.Section, addr, err)
		}
		l := &listener{ln: ln, section: in.Section, addr: addr, auth: accountsOf(in.Username, in.Password, in.ReadOnly)}
		if in.TLS != nil {
			if l.tls, err = newTLSState(in.Section, *in.TLS); err != nil {
				ln.Close()
				s.closeListeners()
				return nil, err
			}
		}
		s.listeners = append(s.listeners, l)
	}
	opts.Inherit.closeRest()
	// The reference's start-up lines, one pair per server.
	for _, l := range s.listeners {
		logger.Info("RPC interface 'supervisor' initialized")
		if l.auth.admin.user == "" {
			logger.Log(context.Background(), logfile.LevelCritical,
				fmt.Sprintf("Server '%s' running without any HTTP authentication checking", l.section))
		}
	}
	return s, nil
}

// Addrs returns the bound addresses, unix sockets first, in the order of
// the configuration.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]net.Addr, len(s.listeners))
	for i, l := range s.listeners {
		if l.path != "" {
			out[i] = &net.UnixAddr{Name: l.path, Net: "unix"}
		} else {
			out[i] = l.ln.Addr()
		}
	}
	return out
}

// Handle mounts h on pattern behind authentication. Call it before Serve.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
	if pattern == "/" {
		s.hasUI, s.ui = true, h
	}
}

// noteCalls calls Options.CallSeen before h. Probes are not calls: a
// service manager's health checks every few seconds must not have the
// daemon collect and hand memory back after each.
func (s *Server) noteCalls(h http.Handler) http.Handler {
	seen := s.opts.CallSeen
	if seen == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen()
		h.ServeHTTP(w, r)
	})
}

// Serve serves every listener until ctx is done, then shuts down
// gracefully (waiting up to five seconds for requests in progress), or
// until Shutdown or Close is called. It returns the first listener
// failure, or nil.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	errs := make(chan error, len(s.listeners))
	for _, l := range s.listeners {
		hs := &http.Server{
			Handler:           s.probes.bypassAuth(s.noteCalls(s.authenticate(l.auth, s.mux))),
			ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
			ReadTimeout:       s.opts.ReadTimeout,
			WriteTimeout:      s.opts.WriteTimeout,
			IdleTimeout:       s.opts.IdleTimeout,
			MaxHeaderBytes:    s.opts.MaxHeaderBytes,
			ErrorLog:          log.New(&limitedLog{s: s}, "", 0),
			BaseContext:       func(net.Listener) context.Context { return s.base },
			ConnContext:       connContext,
			ConnState:         s.conns.hook,
		}
		s.servers = append(s.servers, hs)
		ll := newLingerListener(l.ln, &s.keep)
		s.lingering = append(s.lingering, ll)
		var ln net.Listener = ll
		if l.tls != nil {
			ln = tls.NewListener(ln, l.tls.listenerConfig())
		}
		go func() { errs <- hs.Serve(ln) }()
	}
	n := len(s.listeners)
	s.mu.Unlock()

	var first error
	for done := 0; done < n; {
		select {
		case err := <-errs:
			done++
			if err != nil && !errors.Is(err, http.ErrServerClosed) && first == nil {
				first = err
				go s.Close()
			}
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := s.Shutdown(sctx); err != nil {
				s.Close()
			}
			cancel()
			ctx = context.Background() // wait for the Serve goroutines
		}
	}
	return first
}

// Shutdown stops accepting connections, ends log streams, and waits for
// requests in progress until ctx is done. Unix sockets are removed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.endStreams()
	if !s.keep.Load() {
		s.cancel()
	} else {
		s.drain(ctx)
	}
	// Handing over for a restart, connections being set up (a TLS
	// handshake) finish first.
	defer s.cancel()
	s.mu.Lock()
	s.closed = true
	servers := append([]*http.Server(nil), s.servers...)
	s.mu.Unlock()
	var first error
	for _, hs := range servers {
		if err := hs.Shutdown(ctx); err != nil && first == nil {
			first = err
		}
	}
	s.closeListeners()
	return first
}

// Close stops everything at once, dropping requests in progress.
func (s *Server) Close() error {
	s.cancel()
	s.mu.Lock()
	s.closed = true
	servers := append([]*http.Server(nil), s.servers...)
	s.mu.Unlock()
	for _, hs := range servers {
		hs.Close()
	}
	s.closeListeners()
	return nil
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keep.Load() {
		return
	}
	for _, l := range s.listeners {
		l.ln.Close()
		if l.socket != "" {
			os.Remove(l.socket)
			l.socket = ""
		}
	}
}
