package server

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"supervisord/internal/authz"
	"supervisord/internal/config"
)

// credentials are one account's username and password; the password is
// clear text or "{SHA}" followed by the hex SHA-1 of the password.
type credentials struct {
	user, pass string
}

// check reports whether a request's credentials match, in time that does
// not depend on where they differ.
func (c credentials) check(user, pass string) bool {
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(c.user)) == 1
	var passOK bool
	if hexSum, ok := strings.CutPrefix(c.pass, "{SHA}"); ok {
		sum := sha1.Sum([]byte(pass))
		passOK = subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(hexSum)) == 1
	} else {
		passOK = subtle.ConstantTimeCompare([]byte(pass), []byte(c.pass)) == 1
	}
	return userOK && passOK
}

// accounts are a server section's users: the administrator and,
// optionally, a read-only user.
type accounts struct {
	admin    credentials
	readOnly credentials // user "" when there is none
}

func accountsOf(user, pass string, ro config.ReadOnlyUser) accounts {
	return accounts{admin: credentials{user: user, pass: pass},
		readOnly: credentials{user: ro.Username, pass: ro.Password}}
}

// login returns the role of a request's credentials, or false.
func (a accounts) login(user, pass string) (authz.Role, bool) {
	// Both are checked, so the time taken does not tell which user exists.
	admin := a.admin.check(user, pass)
	ro := a.readOnly.user != "" && a.readOnly.check(user, pass)
	switch {
	case admin:
		return authz.Admin, true
	case ro:
		return authz.ReadOnly, true
	}
	return authz.Admin, false
}

// authenticate requires basic authentication on every route when the
// section sets a username, puts the caller's role and name in the
// request's context, and refuses to a read-only user every request that
// could change something other than an XML-RPC call (whose methods are
// checked one by one).
func (s *Server) authenticate(a accounts, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.admin.user == "" {
			s.auditRequest(r)
			next.ServeHTTP(w, r)
			return
		}
		user, pass, ok := r.BasicAuth()
		role, good := authz.Admin, false
		if ok {
			role, good = a.login(user, pass)
		}
		if !good {
			if ok {
				s.logLimited("login failed for user " + trim(user, 64) + " from " + peer(r))
			} else {
				s.badRequest(r, "unauthorized")
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="default"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		ctx := withUser(authz.WithRole(r.Context(), role), user)
		r = r.WithContext(ctx)
		if role == authz.ReadOnly && !readOnlyRequest(r, s.hasUI) {
			s.logger.Warn("refused " + r.Method + " " + trim(r.URL.Path, 100) + " to read-only user " + trim(user, 64) + " from " + peer(r))
			http.Error(w, "Forbidden: this user may only read", http.StatusForbidden)
			return
		}
		s.auditRequest(r)
		next.ServeHTTP(w, r)
	})
}

// auditRequest logs a page request that may change something; XML-RPC
// calls are logged once decoded.
func (s *Server) auditRequest(r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !isRPCRequest(r, s.hasUI) {
		s.auditPage(r)
	}
}

// isRPCRequest reports whether r is an XML-RPC call.
func isRPCRequest(r *http.Request, hasUI bool) bool {
	switch {
	case r.URL.Path == "/RPC2" || strings.HasPrefix(r.URL.Path, "/RPC2/"):
		return true
	case r.URL.Path == "/" && r.Method == http.MethodPost:
		return isRPCRoot(r, hasUI)
	}
	return false
}

// readOnlyRequest reports whether a read-only user may make r: any GET
// or HEAD (pages, log tails, metrics; a GET carrying a page action only
// asks for confirmation) and XML-RPC calls, whose methods the RPC layer
// checks.
func readOnlyRequest(r *http.Request, hasUI bool) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodHead || isRPCRequest(r, hasUI)
}
