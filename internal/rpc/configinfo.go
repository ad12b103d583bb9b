package rpc

import (
	"sort"

	"supervisord/internal/config"
	"supervisord/internal/xmlrpc"
)

// allConfigInfo describes every configured process, in use or not,
// sorted by process name, with the fields and spellings Supervisor uses.
func (a *API) allConfigInfo() (any, error) {
	cfg := a.b.Config()
	inUse := map[string]bool{}
	for _, g := range a.rows() {
		inUse[g.Name] = true
	}
	var rows []xmlrpc.Struct
	var names []string
	if cfg != nil {
		for _, g := range cfg.Groups {
			for _, p := range g.Processes {
				rows = append(rows, configRow(g, p, inUse[g.Name]))
				names = append(names, p.Name)
			}
		}
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(x, y int) bool { return names[idx[x]] < names[idx[y]] })
	out := make([]any, len(rows))
	for i, j := range idx {
		out[i] = rows[j]
	}
	return out, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// streamLogfile is the log file option as Supervisor reports it: the
// path of a file target, "syslog", or "none".
func streamLogfile(s config.StreamLog) string {
	for _, t := range s.Targets {
		switch t.Kind {
		case config.LogFile, config.LogStdout, config.LogStderr, config.LogNull:
			if t.Path != "" {
				return t.Path
			}
			switch t.Kind {
			case config.LogStdout:
				return "/dev/stdout"
			case config.LogStderr:
				return "/dev/stderr"
			case config.LogNull:
				return "/dev/null"
			}
		case config.LogSyslog:
			return "syslog"
		}
	}
	return "none"
}

func configRow(g *config.Group, p *config.Process, inUse bool) xmlrpc.Struct {
	var uid any = "none"
	if p.User != nil {
		uid = int64(p.User.Uid)
	}
	exitcodes := make([]any, len(p.ExitCodes))
	for i, c := range p.ExitCodes {
		exitcodes[i] = c
	}
	return xmlrpc.Struct{
		{Name: "autostart", Value: p.Autostart},
		{Name: "directory", Value: orNone(p.Directory)},
		{Name: "uid", Value: uid},
		{Name: "command", Value: p.CommandLine},
		{Name: "exitcodes", Value: exitcodes},
		{Name: "group", Value: g.Name},
		{Name: "group_prio", Value: g.Priority},
		{Name: "inuse", Value: inUse},
		{Name: "killasgroup", Value: p.KillAsGroup},
		{Name: "name", Value: p.Name},
		{Name: "process_prio", Value: p.Priority},
		{Name: "redirect_stderr", Value: p.RedirectStderr},
		{Name: "startretries", Value: p.Startretries},
		{Name: "startsecs", Value: int64(p.Startsecs.Seconds())},
		{Name: "stdout_capture_maxbytes", Value: p.Stdout.CaptureMaxBytes},
		{Name: "stdout_events_enabled", Value: p.Stdout.EventsEnabled},
		{Name: "stdout_logfile", Value: streamLogfile(p.Stdout)},
		{Name: "stdout_logfile_backups", Value: p.Stdout.Backups},
		{Name: "stdout_logfile_maxbytes", Value: p.Stdout.MaxBytes},
		{Name: "stdout_syslog", Value: p.Stdout.Syslog},
		{Name: "stopsignal", Value: int(p.StopSignal)},
		{Name: "stopwaitsecs", Value: int64(p.StopWaitSecs.Seconds())},
		{Name: "stderr_capture_maxbytes", Value: p.Stderr.CaptureMaxBytes},
		{Name: "stderr_events_enabled", Value: p.Stderr.EventsEnabled},
		{Name: "stderr_logfile", Value: streamLogfile(p.Stderr)},
		{Name: "stderr_logfile_backups", Value: p.Stderr.Backups},
		{Name: "stderr_logfile_maxbytes", Value: p.Stderr.MaxBytes},
		{Name: "stderr_syslog", Value: p.Stderr.Syslog},
		{Name: "serverurl", Value: orNone(p.ServerURL)},
	}
}
