package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadConfig checks that no file content makes Load panic. Includes
// and env files are confined to the fuzz case's own directory.
func FuzzLoadConfig(f *testing.F) {
	root := filepath.Join("..", "..", "testdata", "config")
	for _, c := range []string{"debian/supervisord.conf", "sample/supervisord.conf", "goera/supervisord.conf", "debian/conf.d/web.conf"} {
		if b, err := os.ReadFile(filepath.Join(root, c)); err == nil {
			f.Add(string(b))
		}
	}
	for _, s := range differentialConfigs {
		f.Add(s)
	}
	f.Add("[supervisord]\n[program:x]\ncommand=%(here\nnumprocs=3\nprocess_name=%(process_num)*d\n[include]\nfiles=*.conf\n")
	f.Add("[supervisord]\nenvironment=A='x,B=\"y\n  z\n[fcgi-program:f]\nsocket=unix:///tmp/%(program_name)s\ncommand=f\n")
	f.Add("[supervisord]\n[program:a]\ncommand=a\n[program:b\n[program:c]]\nprogram:d]\n[program:e] x\n[inet_http_server]\nport=1\ncertfile=c.pem\nreadonly_username=v\n")
	f.Add("[supervisord]\n[program:x]\ncommand=x\nshutdown_when=fatal\nbackoff=exponential\nbackoff_max=1m\nstartretries=infinite\nready_when=tcp://127.0.0.1:80\n")
	dir := f.TempDir() // fuzz calls run one at a time within a process
	f.Fuzz(func(t *testing.T, text string) {
		path := filepath.Join(dir, "supervisord.conf")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		l := newLoader(LoadOptions{Env: testEnv, Hostname: "fuzz", includeRoot: dir, maxNumprocs: 50})
		cfg := l.load(path)
		if len(l.errs) == 0 && cfg == nil {
			t.Fatal("no config and no errors")
		}
		for _, e := range l.errs {
			_ = e.Error()
		}
		if cfg != nil && len(l.errs) == 0 {
			Diff(cfg, cfg)
		}
	})
}
