package config

import (
	"strings"
	"testing"
	"time"
)

func TestLifecycleDefaultsAreTheReference(t *testing.T) {
	cfg, _ := mustLoad(t, "[supervisord]\n[program:x]\ncommand=/bin/true\n")
	p := proc(t, cfg, "x", "x")
	if p.ShutdownWhen != ShutdownNever || p.Backoff != BackoffLinear || p.ShowRetry ||
		p.BackoffMax != 0 || p.ReadyWhen.Kind != ReadyStartsecs || p.ReadyWhen.Check != nil || p.Startretries != 3 {
		t.Fatalf("defaults: %+v", p)
	}
}

func TestLifecycleKeys(t *testing.T) {
	cfg, _ := mustLoad(t, `[supervisord]
[program:a]
command=/bin/true
shutdown_when = FATAL
backoff = exponential
backoff_max = 4
startretries = infinite
ready_when = notify
[program:b]
command=/bin/true
shutdown_when = exited
backoff = linear
backoff_max = 2m
startretries = -1
ready_when = tcp://127.0.0.1:8080
[program:c]
command=/bin/true
ready_when = script:/bin/test -e /tmp/ready
[program:d]
command=/bin/true
ready_when = https://localhost:8443/healthz
[program:e]
command=/bin/true
ready_when = /usr/bin/check --quick
`)
	a := proc(t, cfg, "a", "a")
	if a.ShutdownWhen != ShutdownFatal || a.Backoff != BackoffExponential || !a.ShowRetry || a.BackoffMax != 4*time.Second ||
		a.Startretries != InfiniteRetries || a.ReadyWhen.Kind != ReadyNotify {
		t.Fatalf("a: %+v", a)
	}
	b := proc(t, cfg, "b", "b")
	if b.ShutdownWhen != ShutdownExited || b.Backoff != BackoffLinear || !b.ShowRetry || b.BackoffMax != 2*time.Minute ||
		b.Startretries != InfiniteRetries || b.ReadyWhen.Kind != ReadyCheck || b.ReadyWhen.Check.Kind != "tcp" || b.ReadyWhen.Check.Target != "127.0.0.1:8080" {
		t.Fatalf("b: %+v %+v", b, b.ReadyWhen.Check)
	}
	c := proc(t, cfg, "c", "c").ReadyWhen.Check
	if c.Kind != "script" || c.Target != "/bin/test" || strings.Join(c.Args, " ") != "-e /tmp/ready" {
		t.Fatalf("c: %+v", c)
	}
	if d := proc(t, cfg, "d", "d").ReadyWhen.Check; d.Kind != "http" || d.Target != "https://localhost:8443/healthz" {
		t.Fatalf("d: %+v", d)
	}
	if e := proc(t, cfg, "e", "e").ReadyWhen.Check; e.Kind != "script" || e.Target != "/usr/bin/check" {
		t.Fatalf("e: %+v", e)
	}
}

func TestLifecycleBadValuesNameFileAndLine(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"shutdown_when=sometimes", `supervisord.conf:3: [program:x] shutdown_when: invalid shutdown_when "sometimes" (want never, fatal or exited)`},
		{"backoff=cubic", `supervisord.conf:3: [program:x] backoff: invalid backoff "cubic" (want linear or exponential)`},
		{"backoff_max=-3", `supervisord.conf:3: [program:x] backoff_max: invalid backoff_max "-3" (want at least 1 second)`},
		{"backoff_max=soon", `supervisord.conf:3: [program:x] backoff_max: invalid duration "soon"`},
		{"ready_when=telepathy", `supervisord.conf:3: [program:x] ready_when: invalid ready_when "telepathy" (want startsecs, notify, tcp://host:port, http(s)://url or script:<command>)`},
		{"ready_when=tcp://localhost", `supervisord.conf:3: [program:x] ready_when: invalid ready_when "tcp://localhost" (a tcp check needs host:port)`},
		{"ready_when=http://", `supervisord.conf:3: [program:x] ready_when: invalid ready_when "http://"`},
		{"ready_when=script:'unclosed", `supervisord.conf:3: [program:x] ready_when: invalid ready_when "script:'unclosed" (cannot parse the command)`},
		{"startretries=lots", `supervisord.conf:3: [program:x] startretries: invalid startretries "lots" (want an integer or infinite)`},
	} {
		errs := loadErrors(t, "[supervisord]\n[program:x]\n"+tc.line+"\ncommand=/bin/true\n")
		if len(errs) != 1 || !strings.HasPrefix(errs[0], tc.want) {
			t.Errorf("%s: got %q\nwant prefix %q", tc.line, errs, tc.want)
		}
	}
}

func FuzzParseReadyWhen(f *testing.F) {
	for _, s := range []string{"startsecs", "notify", "tcp://a:1", "http://x/", "https://", "script:/bin/x 'a b'", "/bin/true", "telepathy", "tcp://:", "script:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseReadyWhen(s)
		if err != nil {
			return
		}
		if (r.Kind == ReadyCheck) != (r.Check != nil) {
			t.Fatalf("%q: kind %v with check %+v", s, r.Kind, r.Check)
		}
		if r.Check != nil && r.Check.Target == "" {
			t.Fatalf("%q: empty target", s)
		}
	})
}
