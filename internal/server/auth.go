package server

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

// credentials are one section's username and password; the password is
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

// authenticate requires basic authentication on every route when the
// section sets a username.
func (s *Server) authenticate(c credentials, next http.Handler) http.Handler {
	if c.user == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || !c.check(user, pass) {
			s.badRequest(r, "unauthorized")
			w.Header().Set("WWW-Authenticate", `Basic realm="default"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
