package supervisor

import (
	"context"

	"supervisord/internal/config"
	"supervisord/internal/logfile"
	"supervisord/internal/process"
)

// LogProcess implements process.ProcessLogger: the line carries the
// program's name ("group:name" when they differ) and its pid, which the
// JSON log shows as fields and the text log leaves out.
func (l *loop) LogProcess(pp *process.Proc, level config.Level, msg string) {
	lvl := SlogLevel(level)
	ctx := context.Background()
	if !l.log.Enabled(ctx, lvl) {
		return
	}
	name := pp.Config.Name
	if p := l.of[pp]; p != nil {
		name = p.fullName()
	}
	l.log.LogAttrs(ctx, lvl, msg, logfile.ProcessAttr(name, pp.Pid))
}
