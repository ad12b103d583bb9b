package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sync/atomic"

	"supervisord/internal/config"
)

// tlsState holds the TLS configuration of one [inet_http_server]. The
// listener's configuration asks it for the current one at every
// handshake, so that a reload swaps certificates without closing the
// listener; connections already open keep theirs.
type tlsState struct {
	section string
	files   config.TLSFiles
	cur     atomic.Pointer[tls.Config]
}

// newTLSState reads the files; it fails when they cannot be used.
func newTLSState(section string, files config.TLSFiles) (*tlsState, error) {
	t := &tlsState{section: section}
	c, err := loadTLS(files)
	if err != nil {
		return nil, fmt.Errorf("[%s]: %w", section, err)
	}
	t.files = files
	t.cur.Store(c)
	return t, nil
}

// listenerConfig is what tls.NewListener gets: it defers to the current
// configuration at each handshake.
func (t *tlsState) listenerConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return t.cur.Load(), nil
		},
	}
}

// reload reads the files again; on failure the current configuration
// stays.
func (t *tlsState) reload(files config.TLSFiles) error {
	c, err := loadTLS(files)
	if err != nil {
		return err
	}
	t.files = files
	t.cur.Store(c)
	return nil
}

// loadTLS builds a server configuration: TLS 1.2 or later, Go's
// default ciphers and curves, HTTP/1.1, and with clientcafile= a client
// certificate signed by one of its CAs required.
func loadTLS(files config.TLSFiles) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(files.CertFile, files.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot use certificate %s with key %s: %w", files.CertFile, files.KeyFile, err)
	}
	c := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"http/1.1"},
	}
	if files.ClientCAFile != "" {
		pool, err := config.LoadCertPool(files.ClientCAFile)
		if err != nil {
			return nil, err
		}
		c.ClientCAs = pool
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c, nil
}

// ReloadTLS reads the certificate, key and client CA files of every HTTPS
// server again, as cfg names them, without closing any listener: new
// connections get the new certificate. A server whose files cannot be
// used keeps its current ones; the error says which and why. Turning TLS
// on or off, or moving a server, takes a restart.
func (s *Server) ReloadTLS(cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, l := range s.listeners {
		var next *config.TLSFiles
		found := false
		for _, in := range cfg.InetServers {
			if in.Section == l.section {
				next, found = in.TLS, true
			}
		}
		switch {
		case !found || l.path != "":
			continue
		case (next == nil) != (l.tls == nil):
			s.logger.Warn(fmt.Sprintf("[%s]: turning HTTPS on or off takes effect at the next restart", l.section))
		case next != nil:
			if err := l.tls.reload(*next); err != nil {
				err = fmt.Errorf("[%s]: keeping the current certificate: %w", l.section, err)
				s.logger.Error(err.Error())
				errs = append(errs, err)
				continue
			}
			s.logger.Info(fmt.Sprintf("[%s]: loaded certificate %s", l.section, next.CertFile))
		}
	}
	return errors.Join(errs...)
}
