package process

import "supervisord/internal/config"

// ProcessLogger is implemented by an Env whose log can say which process
// a line is about (the daemon's JSON log has program and pid fields).
type ProcessLogger interface {
	LogProcess(p *Proc, level config.Level, msg string)
}

// log writes msg to env's log, about p when env can say so.
func (p *Proc) log(env Env, level config.Level, msg string) {
	if pl, ok := env.(ProcessLogger); ok {
		pl.LogProcess(p, level, msg)
		return
	}
	env.Log(level, msg)
}
