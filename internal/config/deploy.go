package config

import (
	"fmt"
	"strings"
)

// Log formats of the daemon's own log ([supervisord] logformat).
const (
	LogFormatText = "text" // Supervisor's lines, the default
	LogFormatJSON = "json" // one JSON object per line
)

// knownDeploy are the [supervisord] keys for running under a service
// manager or an orchestrator; they are not Supervisor's.
var knownDeploy = keySet("logformat probes_auth")

// deployKeys reads the [supervisord] options that Supervisor does not
// have: logformat (text or json) and probes_auth (whether /healthz and
// /readyz ask for the servers' credentials). Both default to what the
// reference does: its log lines, and every route behind authentication.
func (l *loader) deployKeys(sc scope, n names, s *Supervisord) {
	s.LogFormat = typed(l, sc, "logformat", n, LogFormatText, parseLogFormat)
	s.ProbesNoAuth = !typed(l, sc, "probes_auth", n, true, parseBool)
}

func parseLogFormat(v string) (string, error) {
	switch f := strings.ToLower(pyStrip(v)); f {
	case LogFormatText, LogFormatJSON:
		return f, nil
	}
	return "", fmt.Errorf("invalid logformat %q (want text or json)", v)
}

// Check is Load for `supervisord check`: it also returns the warnings
// when the file has errors, so a report can show both at once.
func Check(path string, opts LoadOptions) (*Config, []string, error) {
	l := newLoader(opts)
	cfg := l.load(path)
	if len(l.errs) > 0 {
		return nil, l.warns, l.errs
	}
	return cfg, cfg.Warnings, nil
}
