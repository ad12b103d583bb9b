package config

import (
	"strings"
	"testing"
)

func TestDeployKeys(t *testing.T) {
	cfg, _ := mustLoad(t, "[supervisord]\n")
	if cfg.Supervisord.LogFormat != LogFormatText || cfg.Supervisord.ProbesNoAuth {
		t.Fatalf("defaults: logformat %q, probes without auth %v", cfg.Supervisord.LogFormat, cfg.Supervisord.ProbesNoAuth)
	}
	cfg, _ = mustLoad(t, "[supervisord]\nlogformat = JSON\nprobes_auth = false\n")
	if cfg.Supervisord.LogFormat != LogFormatJSON || !cfg.Supervisord.ProbesNoAuth {
		t.Fatalf("set: logformat %q, probes without auth %v", cfg.Supervisord.LogFormat, cfg.Supervisord.ProbesNoAuth)
	}
	if len(cfg.Warnings) != 0 {
		t.Fatalf("the new keys are warned about: %v", cfg.Warnings)
	}
	got := loadErrors(t, "[supervisord]\n\nlogformat=xml\nprobes_auth=maybe\n")
	want := []string{
		`supervisord.conf:3: [supervisord] logformat: invalid logformat "xml" (want text or json)`,
		`supervisord.conf:4: [supervisord] probes_auth: `,
	}
	if len(got) != 2 || got[0] != want[0] || !strings.HasPrefix(got[1], want[1]) {
		t.Fatalf("errors:\n%s", strings.Join(got, "\n"))
	}
}

func TestCheckKeepsWarningsWithErrors(t *testing.T) {
	path, _ := writeConf(t, map[string]string{"supervisord.conf": "[supervisord]\nbogus=1\nlogformat=xml\n"})
	_, warns, err := Check(path, LoadOptions{Env: testEnv})
	if err == nil || len(warns) != 1 || !strings.Contains(warns[0], ":2: [supervisord] bogus: unknown option") {
		t.Fatalf("err %v, warnings %q", err, warns)
	}
}

func FuzzParseLogFormat(f *testing.F) {
	for _, s := range []string{"text", "json", "JSON", " text ", "xml", "", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseLogFormat(s)
		if err == nil && got != LogFormatText && got != LogFormatJSON {
			t.Fatalf("parseLogFormat(%q) = %q", s, got)
		}
		if err != nil && !strings.Contains(err.Error(), "logformat") {
			t.Fatalf("error does not name the option: %v", err)
		}
	})
}
