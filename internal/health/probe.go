// Package health runs liveness checks for supervised processes.
//
// A Probe answers one question once: is the process alive right now? There
// are three kinds: an HTTP(S) request that must answer 2xx or 3xx, a TCP
// connect, and a script that must exit 0 (run through a ScriptRunner the
// daemon provides, because only the supervisor loop may spawn and reap
// children). A Checker runs a probe on a schedule for one process and
// reports when the process becomes healthy or unhealthy.
package health

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"supervisord/internal/config"
)

// Probe performs one liveness check. It returns nil when the check passed.
// It must give up when ctx is done.
type Probe interface {
	Probe(ctx context.Context) error
}

// ScriptRunner runs a check script to completion and returns its exit
// code. The daemon implements it with its own spawner and reaper; err is
// for failures to run at all (not found, killed by a signal, ctx done).
type ScriptRunner interface {
	Run(ctx context.Context, argv []string) (exitCode int, err error)
}

// NewProbe builds the probe that l describes. runner is needed only for
// script checks.
func NewProbe(l *config.Liveness, runner ScriptRunner) (Probe, error) {
	switch l.Kind {
	case "http", "https":
		return NewHTTPProbe(l)
	case "tcp":
		if _, _, err := net.SplitHostPort(l.Target); err != nil {
			return nil, fmt.Errorf("liveness tcp check: %w", err)
		}
		return &TCPProbe{Address: l.Target}, nil
	case "script":
		if runner == nil {
			return nil, errors.New("liveness script check: no script runner")
		}
		if l.Target == "" {
			return nil, errors.New("liveness script check: no command")
		}
		argv := append([]string{l.Target}, l.Args...)
		return &ScriptProbe{Argv: argv, Runner: runner}, nil
	}
	return nil, fmt.Errorf("liveness check: unknown kind %q", l.Kind)
}

// HTTPProbe sends one request and passes on a 2xx or 3xx answer.
// Redirects are not followed: a 3xx is itself a pass.
type HTTPProbe struct {
	URL     string
	Method  string
	Headers []config.EnvVar
	Body    string
	client  *http.Client
}

// NewHTTPProbe builds an HTTP(S) probe from l: method (GET by default),
// headers, body, and for HTTPS the CA file to trust and the client key
// and certificate to present.
func NewHTTPProbe(l *config.Liveness) (*HTTPProbe, error) {
	req, err := http.NewRequest(methodOf(l), l.Target, nil)
	if err != nil {
		return nil, fmt.Errorf("liveness http check: %w", err)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("liveness http check: %q is not an http or https URL", l.Target)
	}
	tlsConf, err := tlsConfig(l)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:             nil, // a local check must not go through a proxy
		TLSClientConfig:   tlsConf,
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{}).DialContext,
	}
	return &HTTPProbe{
		URL:     l.Target,
		Method:  methodOf(l),
		Headers: l.Headers,
		Body:    l.Data,
		client: &http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

func methodOf(l *config.Liveness) string {
	if l.Method == "" {
		return http.MethodGet
	}
	return strings.ToUpper(l.Method)
}

func tlsConfig(l *config.Liveness) (*tls.Config, error) {
	if l.CAFile == "" && l.CertFile == "" && l.KeyFile == "" {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if l.CAFile != "" {
		pem, err := os.ReadFile(l.CAFile)
		if err != nil {
			return nil, fmt.Errorf("liveness http check: ca file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("liveness http check: ca file %s: no PEM certificates", l.CAFile)
		}
		conf.RootCAs = pool
	}
	if (l.CertFile == "") != (l.KeyFile == "") {
		return nil, errors.New("liveness http check: cert file and key file go together")
	}
	if l.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(l.CertFile, l.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("liveness http check: client certificate: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}

// Probe implements Probe.
func (p *HTTPProbe) Probe(ctx context.Context) error {
	var body io.Reader
	if p.Body != "" {
		body = strings.NewReader(p.Body)
	}
	req, err := http.NewRequestWithContext(ctx, p.Method, p.URL, body)
	if err != nil {
		return err
	}
	for _, h := range p.Headers {
		if strings.EqualFold(h.Key, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Add(h.Key, h.Value)
	}
	req.Header.Set("User-Agent", "supervisord-liveness")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return fmt.Errorf("%s %s: status %s", p.Method, p.URL, resp.Status)
	}
	return nil
}

// Close releases idle connections.
func (p *HTTPProbe) Close() { p.client.CloseIdleConnections() }

// TCPProbe passes when a TCP connection to Address can be opened.
type TCPProbe struct {
	Address string
}

// Probe implements Probe.
func (p *TCPProbe) Probe(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", p.Address)
	if err != nil {
		return err
	}
	return c.Close()
}

// ScriptProbe passes when its script exits 0.
type ScriptProbe struct {
	Argv   []string
	Runner ScriptRunner
}

// Probe implements Probe.
func (p *ScriptProbe) Probe(ctx context.Context) error {
	code, err := p.Runner.Run(ctx, p.Argv)
	if err != nil {
		return fmt.Errorf("%s: %w", p.Argv[0], err)
	}
	if code != 0 {
		return fmt.Errorf("%s: exit status %d", p.Argv[0], code)
	}
	return nil
}

// ErrTimeout is wrapped by the error of a probe that overran its timeout.
var ErrTimeout = errors.New("timed out")

// runProbe runs p with a deadline and reports a timeout in words.
func runProbe(ctx context.Context, p Probe, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := p.Probe(ctx)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w after %v: %v", ErrTimeout, timeout, err)
	}
	return err
}
