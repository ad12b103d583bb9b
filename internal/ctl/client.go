package ctl

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"

	"supervisord/internal/xmlrpc"
)

// client calls the daemon's XML-RPC interface at serverURL, which is
// "http://host[:port]..." or "unix:///path/to/socket".
type client struct {
	serverURL string
	username  *string
	password  *string
	hc        *http.Client
	endpoint  string
	setupErr  error
}

// protocolError is an HTTP status other than 200 from /RPC2.
type protocolError struct {
	Code   int
	Reason string
}

func (e *protocolError) Error() string {
	return fmt.Sprintf("<ProtocolError for 127.0.0.1/RPC2: %d %s>", e.Code, e.Reason)
}

// pyError is a failure the reference reports by its Python class name.
type pyError struct {
	Class string
	Msg   string
}

func (e *pyError) Error() string { return e.Msg }

func newClient(serverURL string, username, password *string, caFile string) *client {
	c := &client{serverURL: serverURL, username: username, password: password}
	var dial func(ctx context.Context) (net.Conn, error)
	var tlsConf *tls.Config
	switch {
	case strings.HasPrefix(serverURL, "http://"), strings.HasPrefix(serverURL, "https://"):
		u, err := url.Parse(serverURL)
		if err != nil {
			c.setupErr = &pyError{"ValueError", err.Error()}
			return c
		}
		host, port := u.Hostname(), u.Port()
		if u.Scheme == "https" {
			if tlsConf, err = clientTLS(caFile, host); err != nil {
				c.setupErr = err
				return c
			}
		}
		if port == "" {
			port = "80"
			if tlsConf != nil {
				port = "443"
			}
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			c.setupErr = &pyError{"ValueError", fmt.Sprintf("Port could not be cast to integer value as %s", pyRepr(port))}
			return c
		}
		addr := net.JoinHostPort(host, port)
		dial = func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		}
		c.endpoint = "http://" + addr + "/RPC2"
		if tlsConf != nil {
			c.endpoint = "https://" + addr + "/RPC2"
		}
	case strings.HasPrefix(serverURL, "unix://"):
		path := serverURL[len("unix://"):]
		dial = func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
		c.endpoint = "http://localhost/RPC2"
	default:
		c.setupErr = &pyError{"ValueError", "Unknown protocol for serverurl " + serverURL}
		return c
	}
	c.hc = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dial(ctx)
		},
		TLSClientConfig:    tlsConf,
		DisableCompression: true,
		MaxIdleConns:       2,
	}}
	return c
}

func (c *client) close() {
	if c.hc != nil {
		c.hc.CloseIdleConnections()
	}
}

// basicAuth returns the Authorization header value the reference's RPC
// transport sends: only when both a username and a password are set.
func (c *client) basicAuth() string {
	if c.username == nil || c.password == nil {
		return ""
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(*c.username+":"+*c.password))
}

// call makes one XML-RPC call. Errors are *xmlrpc.Fault, *protocolError,
// *pyError, network errors (test with errors.Is against syscall errnos), or
// the context's error.
func (c *client) call(ctx context.Context, method string, params ...any) (any, error) {
	if c.setupErr != nil {
		return nil, c.setupErr
	}
	var body bytes.Buffer
	if err := xmlrpc.EncodeCall(&body, method, params); err != nil {
		return nil, fmt.Errorf("encode %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("Accept", "text/xml")
	req.Header.Set("User-Agent", "supervisorctl")
	if a := c.basicAuth(); a != "" {
		req.Header.Set("Authorization", a)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.tlsFailure(unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		reason := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
		return nil, &protocolError{Code: resp.StatusCode, Reason: reason}
	}
	lim := xmlrpc.DefaultLimits()
	lim.MaxBytes = 1 << 30 // logs read back can be large; the server is trusted
	v, err := xmlrpc.DecodeResponse(resp.Body, lim)
	if err != nil {
		var f *xmlrpc.Fault
		if errors.As(err, &f) {
			return nil, f
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &pyError{"xml.parsers.expat.ExpatError", err.Error()}
	}
	return v, nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// describeError names err the way the reference's catch-all does:
// a Python class and message.
func describeError(err error) (class, msg string) {
	var f *xmlrpc.Fault
	var pe *protocolError
	var pye *pyError
	var errno syscall.Errno
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &f):
		return "xmlrpc.client.Fault", faultRepr(f)
	case errors.As(err, &pe):
		return "xmlrpc.client.ProtocolError", pe.Error()
	case errors.As(err, &pye):
		return pye.Class, pye.Msg
	case errors.As(err, &dnsErr):
		return "socket.gaierror", "[Errno -2] Name or service not known"
	case errors.As(err, &errno):
		return errnoClass(errno), fmt.Sprintf("[Errno %d] %s", int(errno), capitalise(errno.Error()))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "http.client.RemoteDisconnected", "Remote end closed connection without response"
	}
	return "Exception", err.Error()
}

func faultRepr(f *xmlrpc.Fault) string {
	return fmt.Sprintf("<Fault %d: %s>", f.Code, pyRepr(f.String))
}

func errnoClass(e syscall.Errno) string {
	switch e {
	case syscall.ENOENT:
		return "FileNotFoundError"
	case syscall.ECONNREFUSED:
		return "ConnectionRefusedError"
	case syscall.ECONNRESET:
		return "ConnectionResetError"
	case syscall.ECONNABORTED:
		return "ConnectionAbortedError"
	case syscall.EPIPE:
		return "BrokenPipeError"
	case syscall.EACCES, syscall.EPERM:
		return "PermissionError"
	case syscall.ETIMEDOUT:
		return "TimeoutError"
	}
	return "OSError"
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// streamURL is the HTTP URL and dialer target for a GET of path, used by
// tail -f and fg.
func (c *client) get(ctx context.Context, path string) (*http.Response, error) {
	if c.setupErr != nil {
		return nil, c.setupErr
	}
	target := "http://localhost" + path
	if strings.HasPrefix(c.serverURL, "http://") || strings.HasPrefix(c.serverURL, "https://") {
		target = strings.TrimSuffix(c.endpoint, "/RPC2") + path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "*/*")
	req.Header.Set("User-Agent", "supervisorctl")
	// The streaming client sends credentials whenever a password is set.
	if c.password != nil && *c.password != "" {
		user := "None"
		if c.username != nil {
			user = *c.username
		}
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+*c.password)))
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.tlsFailure(unwrapURLError(err))
	}
	return resp, nil
}

// tlsError is an https:// server that could not be trusted or spoken to
// over TLS. The client never falls back to plain HTTP or to an unchecked
// certificate.
type tlsError struct {
	url string
	err error
}

func (e *tlsError) Error() string {
	msg := fmt.Sprintf("cannot talk securely to %s: %v", e.url, e.err)
	var unknown x509.UnknownAuthorityError
	if errors.As(e.err, &unknown) {
		msg += " (name the CA that signed it with --cafile or cafile= in [supervisorctl])"
	}
	return msg
}

func (e *tlsError) Unwrap() error { return e.err }

// clientTLS is the configuration for an https:// server: TLS 1.2 or
// later, the server's certificate checked against caFile's CAs, or the
// system's when caFile is "".
func clientTLS(caFile, host string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if caFile != "" {
		data, err := os.ReadFile(caFile)
		if err != nil {
			return nil, &tlsError{url: caFile, err: fmt.Errorf("cannot read the CA file: %w", err)}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(data) {
			return nil, &tlsError{url: caFile, err: errors.New("the CA file holds no PEM certificate")}
		}
		c.RootCAs = pool
	}
	return c, nil
}

// tlsFailure marks an error of the TLS handshake as a tlsError.
func (c *client) tlsFailure(err error) error {
	if !strings.HasPrefix(c.serverURL, "https://") {
		return err
	}
	var (
		verify   *tls.CertificateVerificationError
		hostname x509.HostnameError
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		alert    tls.AlertError
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &hostname), errors.As(err, &unknown),
		errors.As(err, &invalid), errors.As(err, &record), errors.As(err, &alert):
		return &tlsError{url: c.serverURL, err: err}
	}
	if strings.Contains(err.Error(), "tls:") {
		return &tlsError{url: c.serverURL, err: err}
	}
	return err
}
