package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
)

// ReadOnlyUser is the second account of an HTTP server section
// (readonly_username=, readonly_password=): it may look but not change
// anything. Empty when not configured.
type ReadOnlyUser struct {
	Username string
	Password string // clear text or "{SHA}hexdigest", like password=
}

// TLSFiles are the PEM files of an [inet_http_server] serving HTTPS
// (certfile=, keyfile=, clientcafile=). The server reads them again on a
// reload; Load has checked that they can be read and that the key matches
// the certificate.
type TLSFiles struct {
	CertFile     string
	KeyFile      string
	ClientCAFile string // "" unless clients must show a certificate
}

var knownTLSKeys = []string{"certfile", "keyfile", "clientcafile"}

// readOnlyUser reads readonly_username= and readonly_password= of an HTTP
// server section whose admin account is user.
func (l *loader) readOnlyUser(sc scope, user string) ReadOnlyUser {
	name := sc.sec.name
	u, uok := l.opt(sc, "readonly_username", l.env)
	p, pok := l.opt(sc, "readonly_password", l.env)
	if !uok || !pok || (!u.set && !p.set) {
		return ReadOnlyUser{}
	}
	switch {
	case u.set != p.set:
		pos := u.pos
		if !u.set {
			pos = p.pos
		}
		l.errorf(pos, name, "", "incomplete read-only authentication: readonly_username and readonly_password must be given together")
		return ReadOnlyUser{}
	case u.s == "":
		l.errorf(u.pos, name, "readonly_username", "must not be empty")
		return ReadOnlyUser{}
	case user == "":
		l.errorf(u.pos, name, "readonly_username", "a read-only user needs username= and password= too: without them every client is an administrator")
		return ReadOnlyUser{}
	case u.s == user:
		l.errorf(u.pos, name, "readonly_username", "%s is also the username of the administrator; the two users need different names", pyRepr(u.s))
		return ReadOnlyUser{}
	}
	return ReadOnlyUser{Username: u.s, Password: p.s}
}

// tlsFiles reads certfile=, keyfile= and clientcafile= of an
// [inet_http_server] and checks them the way the server will use them.
func (l *loader) tlsFiles(sc scope) *TLSFiles {
	name := sc.sec.name
	n := l.env.clone()
	n["here"] = l.mainDir
	paths := map[string]string{}
	vals := map[string]optVal{}
	for _, k := range knownTLSKeys {
		v, ok := l.opt(sc, k, n)
		if !ok {
			return nil
		}
		if v.set && pyStrip(v.s) != "" {
			p := expandUser(pyStrip(v.s))
			if !filepath.IsAbs(p) {
				p = filepath.Join(l.doc.lookup(sc.sec, k).dir, p)
			}
			paths[k] = filepath.Clean(p)
			vals[k] = v
		}
	}
	if len(paths) == 0 {
		return nil
	}
	cert, key := paths["certfile"], paths["keyfile"]
	if cert == "" || key == "" {
		missing, given := "keyfile", vals["certfile"]
		if cert == "" {
			missing, given = "certfile", vals["keyfile"]
			if key == "" {
				given = vals["clientcafile"]
			}
		}
		l.errorf(given.pos, name, "", "HTTPS needs both certfile and keyfile; %s is missing", missing)
		return nil
	}
	bad := false
	for _, k := range knownTLSKeys {
		p := paths[k]
		if p == "" {
			continue
		}
		if !l.readable(p) {
			return nil
		}
		if err := checkPEMFile(p); err != nil {
			l.errorf(vals[k].pos, name, k, "%v", err)
			bad = true
		}
	}
	if bad {
		return nil
	}
	if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
		l.errorf(vals["keyfile"].pos, name, "keyfile", "cannot use %s with certificate %s: %v", key, cert, err)
		return nil
	}
	if ca := paths["clientcafile"]; ca != "" {
		if _, err := LoadCertPool(ca); err != nil {
			l.errorf(vals["clientcafile"].pos, name, "clientcafile", "%v", err)
			return nil
		}
	}
	return &TLSFiles{CertFile: cert, KeyFile: key, ClientCAFile: paths["clientcafile"]}
}

// checkPEMFile checks that path is a readable regular file of a sane
// size, so that a wrong path (a directory, /dev/zero) is a clear error.
func checkPEMFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %v", path, unwrapPathError(err))
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if st.Size() > 1<<20 {
		return fmt.Errorf("%s is too large (%d bytes) to be a PEM file", path, st.Size())
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %v", path, unwrapPathError(err))
	}
	return f.Close()
}

// LoadCertPool reads a PEM file of one or more CA certificates.
func LoadCertPool(path string) (*x509.CertPool, error) {
	if err := checkPEMFile(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, unwrapPathError(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
