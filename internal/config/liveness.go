package config

import (
	"fmt"
	"strings"
	"time"
)

func (l *loader) liveness(sc scope, n names) *Liveness {
	v, ok := l.opt(sc, "liveness_check_script", n)
	if !ok || !v.set || pyStrip(v.s) == "" {
		return nil
	}
	name := sc.sec.name
	lv := &Liveness{Method: "GET"}
	target := pyStrip(v.s)
	low := strings.ToLower(target)
	switch {
	case strings.HasPrefix(low, "http://"), strings.HasPrefix(low, "https://"):
		lv.Kind, lv.Target = "http", target
	case strings.HasPrefix(low, "tcp://"):
		lv.Kind, lv.Target = "tcp", target[len("tcp://"):]
		if _, _, found := strings.Cut(lv.Target, ":"); !found {
			l.errorf(v.pos, name, "liveness_check_script", "tcp check %q needs host:port", target)
		}
	default:
		args, err := commandParser(target)
		if err != nil || len(args) == 0 {
			l.errorf(v.pos, name, "liveness_check_script", "invalid command %q", target)
			return nil
		}
		lv.Kind, lv.Target, lv.Args = "script", args[0], args[1:]
	}
	lv.Method = strings.ToUpper(l.str(sc, "liveness_check_http_method", n, "GET"))
	lv.Headers = typed(l, sc, "liveness_check_http_headers", n, nil, parseHeaders)
	lv.Data = l.str(sc, "liveness_check_http_data", n, "")
	lv.KeyFile = l.str(sc, "liveness_check_key_file", n, "")
	lv.CertFile = l.str(sc, "liveness_check_cert_file", n, "")
	lv.CAFile = l.str(sc, "liveness_check_ca_file", n, "")
	lv.InitialDelay = typed(l, sc, "liveness_check_initial_delay", n, 0, durationParser)
	lv.Period = typed(l, sc, "liveness_check_period", n, 10*time.Second, durationParser)
	lv.Timeout = typed(l, sc, "liveness_check_timeout", n, time.Second, durationParser)
	lv.SuccessThreshold = typed(l, sc, "liveness_check_success_threshold", n, 1, parseInt)
	lv.FailureThreshold = typed(l, sc, "liveness_check_failure_threshold", n, 3, parseInt)
	lv.SuccessAction = typed(l, sc, "liveness_check_success_action", n, "", parseAction)
	lv.FailureAction = typed(l, sc, "liveness_check_failure_action", n, "restart", parseAction)
	if lv.Period <= 0 {
		l.errorf(sc.sec.pos, name, "liveness_check_period", "must be positive")
	}
	if lv.SuccessThreshold < 1 || lv.FailureThreshold < 1 {
		l.errorf(sc.sec.pos, name, "liveness_check_failure_threshold", "thresholds must be at least 1")
	}
	return lv
}

func parseAction(s string) (string, error) {
	t := pyStrip(s)
	switch strings.ToLower(t) {
	case "", "none":
		return "", nil
	case "restart", "stop":
		return strings.ToLower(t), nil
	}
	if strings.HasPrefix(strings.ToLower(t), "script:") && len(t) > len("script:") {
		return t, nil
	}
	return "", fmt.Errorf("invalid action %q (want restart, stop, none or script:<command>)", s)
}

// parseHeaders reads "Name: value, Name2: value2" (or Name=value).
func parseHeaders(s string) ([]EnvVar, error) {
	var out []EnvVar
	for _, part := range listOfStrings(s) {
		if part == "" {
			continue
		}
		i := strings.IndexAny(part, ":=")
		if i <= 0 {
			return nil, fmt.Errorf("invalid header %q (want Name: value)", part)
		}
		out = append(out, EnvVar{Key: pyStrip(part[:i]), Value: pyStrip(part[i+1:])})
	}
	return out, nil
}
