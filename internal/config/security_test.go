package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"supervisord/internal/tlstest"
)

func TestTLSAndReadOnlyKeys(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "ca")
	leaf := ca.Server(t, "server")
	other := ca.Server(t, "other")
	cert := tlstest.Write(t, dir, "server.pem", leaf.CertPEM)
	tlstest.Write(t, dir, "server.key", leaf.KeyPEM)
	tlstest.Write(t, dir, "other.key", other.KeyPEM)
	tlstest.Write(t, dir, "ca.pem", ca.CertPEM)
	tlstest.Write(t, dir, "garbage.pem", []byte("not a certificate\n"))

	cfg, _ := mustLoad(t, `[supervisord]
[inet_http_server]
port=127.0.0.1:9001
username=admin
password=secret
readonly_username=viewer
readonly_password={SHA}5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8
certfile=`+cert+`
keyfile=`+dir+`/server.key
clientcafile=`+dir+`/ca.pem
[unix_http_server]
file=/tmp/x.sock
username=admin
password=secret
readonly_username=viewer
readonly_password=look
`)
	in := cfg.InetServers[0]
	if in.ReadOnly != (ReadOnlyUser{"viewer", "{SHA}5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8"}) || in.TLS == nil ||
		*in.TLS != (TLSFiles{CertFile: cert, KeyFile: dir + "/server.key", ClientCAFile: dir + "/ca.pem"}) {
		t.Errorf("inet: %+v %+v", in, in.TLS)
	}
	if cfg.UnixServers[0].ReadOnly != (ReadOnlyUser{"viewer", "look"}) {
		t.Errorf("unix: %+v", cfg.UnixServers[0])
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %v", cfg.Warnings)
	}
	// Relative paths are relative to the file that names them.
	cfg, _ = mustLoadIn(t, dir, "[supervisord]\n[inet_http_server]\nport=9001\ncertfile=server.pem\nkeyfile=%(here)s/server.key\n")
	if tf := cfg.InetServers[0].TLS; tf == nil || tf.CertFile != cert {
		t.Errorf("relative: %+v", tf)
	}
	// Without the new keys, nothing changes.
	cfg, _ = mustLoad(t, "[supervisord]\n[inet_http_server]\nport=9001\n")
	if cfg.InetServers[0].TLS != nil || cfg.InetServers[0].ReadOnly != (ReadOnlyUser{}) {
		t.Errorf("defaults: %+v", cfg.InetServers[0])
	}

	head := "[supervisord]\n[inet_http_server]\nport=9001\n"
	for _, c := range []struct{ text, want string }{
		{head + "certfile=" + cert + "\n", "supervisord.conf:4: [inet_http_server] HTTPS needs both certfile and keyfile; keyfile is missing"},
		{head + "keyfile=" + dir + "/server.key\n", "supervisord.conf:4: [inet_http_server] HTTPS needs both certfile and keyfile; certfile is missing"},
		{head + "clientcafile=" + dir + "/ca.pem\n", "supervisord.conf:4: [inet_http_server] HTTPS needs both certfile and keyfile; certfile is missing"},
		{head + "certfile=" + dir + "/missing.pem\nkeyfile=" + dir + "/server.key\n", "supervisord.conf:4: [inet_http_server] certfile: cannot read " + dir + "/missing.pem: no such file or directory"},
		{head + "certfile=" + dir + "\nkeyfile=" + dir + "/server.key\n", "supervisord.conf:4: [inet_http_server] certfile: " + dir + " is not a regular file"},
		{head + "certfile=" + cert + "\nkeyfile=" + dir + "/other.key\n", "supervisord.conf:5: [inet_http_server] keyfile: cannot use " + dir + "/other.key with certificate " + cert + ": tls: private key does not match public key"},
		{head + "certfile=" + dir + "/garbage.pem\nkeyfile=" + dir + "/server.key\n", "supervisord.conf:5: [inet_http_server] keyfile: cannot use"},
		{head + "certfile=" + cert + "\nkeyfile=" + dir + "/server.key\nclientcafile=" + dir + "/garbage.pem\n", "supervisord.conf:6: [inet_http_server] clientcafile: " + dir + "/garbage.pem holds no PEM certificate"},
		{head + "username=a\npassword=b\nreadonly_username=a\nreadonly_password=c\n", "supervisord.conf:6: [inet_http_server] readonly_username: 'a' is also the username of the administrator; the two users need different names"},
		{head + "readonly_username=v\nreadonly_password=c\n", "supervisord.conf:4: [inet_http_server] readonly_username: a read-only user needs username= and password= too"},
		{head + "username=a\npassword=b\nreadonly_username=v\n", "supervisord.conf:6: [inet_http_server] incomplete read-only authentication"},
		{"[supervisord]\n[unix_http_server]\nfile=/tmp/s\nusername=a\npassword=b\nreadonly_username=a\nreadonly_password=c\n", "supervisord.conf:6: [unix_http_server] readonly_username: 'a' is also the username"},
	} {
		errs := loadErrors(t, c.text)
		if !slices.ContainsFunc(errs, func(e string) bool { return strings.HasPrefix(e, c.want) || strings.Contains(e, c.want) }) {
			t.Errorf("%q:\ngot  %q\nwant %q", c.text, errs, c.want)
		}
	}
}

func mustLoadIn(t *testing.T, dir, text string) (*Config, string) {
	t.Helper()
	path := tlstest.Write(t, dir, "supervisord.conf", []byte(text))
	cfg, err := Load(path, LoadOptions{Env: testEnv, Hostname: "box"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg, filepath.Dir(path)
}

func TestBrokenSectionHeaders(t *testing.T) {
	cfg, dir := mustLoad(t, `[supervisord]
[program:a]
command=a
[program:b
command=b
[program:c]]
command=c
program:d]
[program:e] extra
command=e
[program:f]
command=f [x]
`)
	var warns []string
	for _, w := range cfg.Warnings {
		warns = append(warns, strings.ReplaceAll(w, dir+"/", ""))
	}
	want := []string{
		`supervisord.conf:4: line '[program:b' looks like a section header without its closing bracket: read as option '[program' = 'b' in [program:a]`,
		`supervisord.conf:6: section header '[program:c]]' has a bracket inside its name: read as section [program:c]]`,
		`supervisord.conf:8: line 'program:d]' looks like a section header without its opening bracket: read as option 'program' = 'd]' in [program:c]]`,
		`supervisord.conf:9: section header '[program:e] extra' has text after its closing bracket: read as section [program:e], the text ignored`,
	}
	for _, w := range want {
		if !slices.Contains(warns, w) {
			t.Errorf("missing warning %q in:\n%s", w, strings.Join(warns, "\n"))
		}
	}
	// Read exactly as the reference reads them: b swallowed into a (the
	// later command= wins), c is the program "c]", e is e.
	var names []string
	for _, g := range cfg.Groups {
		names = append(names, g.Name)
	}
	if !slices.Equal(names, []string{"a", "c]", "e", "f"}) {
		t.Errorf("groups %v", names)
	}
	if a := proc(t, cfg, "a", "a"); a.CommandLine != "b" {
		t.Errorf("a's command %q", a.CommandLine)
	}
}
