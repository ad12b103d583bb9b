package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"supervisord/internal/authz"
	"supervisord/internal/rpc"
)

// The audit trail: every request that changes something is logged at
// INFO with what it asked for, who asked (the user, with their role) and
// from where (the TCP peer, or for the unix socket the peer's uid and pid
// from SO_PEERCRED).

type userKey struct{}
type peerKey struct{}

func withUser(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, userKey{}, user)
}

// who names the caller of r: "user 'alice' (admin)", or "no user" when
// the server has no authentication.
func who(r *http.Request) string {
	u, _ := r.Context().Value(userKey{}).(string)
	if u == "" {
		return "no user"
	}
	return "user " + strconv.Quote(u) + " (" + authz.FromContext(r.Context()).String() + ")"
}

// peer describes where r came from.
func peer(r *http.Request) string {
	if p, ok := r.Context().Value(peerKey{}).(string); ok && p != "" {
		return p
	}
	return remote(r)
}

// connContext records the unix socket peer's credentials once per
// connection, for the audit lines.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*lingerConn); ok {
		c = lc.Conn
	}
	if qc, ok := c.(*quietConn); ok {
		c = qc.Conn
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return ctx
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return ctx
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return context.WithValue(ctx, peerKey{}, "unix socket (peer unknown)")
	}
	return context.WithValue(ctx, peerKey{}, fmt.Sprintf("unix socket (uid %d, pid %d)", cred.Uid, cred.Pid))
}

// tlsPeer adds the client certificate's subject to a TCP peer, when the
// client showed one.
func tlsPeer(r *http.Request) string {
	p := peer(r)
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		p += " (certificate " + strconv.Quote(r.TLS.PeerCertificates[0].Subject.String()) + ")"
	}
	return p
}

// auditCall logs an XML-RPC call that changes something, and each
// changing call inside a system.multicall.
func (s *Server) auditCall(r *http.Request, method string, params []any) {
	if method == "system.multicall" {
		if len(params) == 1 {
			if calls, ok := params[0].([]any); ok {
				for _, c := range calls {
					m, _ := c.(map[string]any)
					name, _ := m["methodName"].(string)
					inner, _ := m["params"].([]any)
					if name != "" && !rpc.IsReadOnly(name) {
						s.auditLine(r, "system.multicall: "+name, inner)
					}
				}
			}
		}
		return
	}
	if !rpc.IsReadOnly(method) {
		s.auditLine(r, method, params)
	}
}

func (s *Server) auditLine(r *http.Request, method string, params []any) {
	s.logger.Info(fmt.Sprintf("audit: %s from %s calls %s(%s)", who(r), tlsPeer(r), trimCall(method, 100), formatArgs(params, 200)))
}

// auditPage logs a page request that may change something (anything but
// GET and HEAD). Its form, read here up to a bound, is put back for the
// page's handler.
func (s *Server) auditPage(r *http.Request) {
	var fields url.Values
	if r.Body != nil && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		head, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
		fields, _ = url.ParseQuery(string(head))
	}
	q := r.URL.Query()
	for k, v := range fields {
		q[k] = append(q[k], v...)
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteString(" ")
			}
			b.WriteString(k + "=" + strconv.Quote(v))
		}
	}
	args := b.String()
	if len(args) > 200 {
		args = args[:200] + "..."
	}
	s.logger.Info(fmt.Sprintf("audit: %s from %s: %s %s %s", who(r), tlsPeer(r), r.Method, trim(r.URL.Path, 100), args))
}

// trimCall bounds a name that came from the client.
func trimCall(s string, n int) string {
	if len(s) > n {
		s = s[:n] + "..."
	}
	q := strconv.QuoteToASCII(s)
	return q[1 : len(q)-1]
}

// formatArgs renders call arguments on one line, each string cut short,
// the whole bounded to n bytes.
func formatArgs(params []any, n int) string {
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteString(", ")
		}
		switch v := p.(type) {
		case string:
			if len(v) > 64 {
				b.WriteString(strconv.QuoteToASCII(v[:64]) + fmt.Sprintf("...(%d bytes)", len(v)))
			} else {
				b.WriteString(strconv.QuoteToASCII(v))
			}
		case []byte:
			fmt.Fprintf(&b, "<%d bytes>", len(v))
		case []any:
			fmt.Fprintf(&b, "[%d items]", len(v))
		case map[string]any:
			fmt.Fprintf(&b, "{%d fields}", len(v))
		default:
			fmt.Fprint(&b, v)
		}
		if b.Len() > n {
			break
		}
	}
	out := b.String()
	if len(out) > n {
		out = out[:n] + "..."
	}
	return out
}
