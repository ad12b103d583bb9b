package rpc

import (
	"context"
	"errors"
	"os"
	"supervisord/internal/faults"
	"supervisord/internal/process"
	"supervisord/internal/pycompat"
)

// Methods that read and clear the daemon's and the processes' logs.

func (a *API) readLog(_ context.Context, args []any) (any, error) {
	if err := a.decode(args, 2, 2, checkState); err != nil {
		return nil, err
	}
	path := a.b.MainLogfile()
	if path == "" {
		return nil, faults.New(faults.NoFile, "")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, faults.New(faults.NoFile, path)
	}
	return a.readFile(path, args[0], args[1])
}

func (a *API) readFile(path string, offArg, lenArg any) (any, error) {
	off, err := integer(offArg)
	if err != nil {
		return nil, err
	}
	n, err := integer(lenArg)
	if err != nil {
		return nil, err
	}
	data, err := a.read(path, off, n)
	if err != nil {
		var fe *faults.Error
		if errors.As(err, &fe) {
			return nil, faults.New(fe.Code, "")
		}
		return nil, faults.New(faults.Failed, "")
	}
	return string(data), nil
}

func (a *API) clearLog() (any, error) {
	path := a.b.MainLogfile()
	if path == "" {
		return nil, faults.New(faults.NoFile, "")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, faults.New(faults.NoFile, "")
	}
	if err := a.b.ClearMainLog(); err != nil {
		var fe *faults.Error
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, faults.New(faults.Failed, "")
	}
	return true, nil
}

// LogPath returns the file a process's stdout (or stderr) log is written
// to. A process whose log is not a file (NONE, syslog, the daemon's own
// stdout) fails with NO_FILE; an unknown name with BAD_NAME.
func (a *API) LogPath(spec string, stderr bool) (string, error) {
	g, p, err := a.resolve(spec)
	if err != nil {
		return "", err
	}
	if p == nil {
		return "", faults.New(faults.BadName, spec)
	}
	return a.logFile(g.Name, p, stderr), nil
}

// MainLogPath is the daemon's log file, "" when there is none.
func (a *API) MainLogPath() string { return a.b.MainLogfile() }

// logFile is the file a process stream is logged to, "" when it is not
// logged to a file. It comes from the process's row, which reflects the
// configuration the process runs with: the configuration last read by
// reloadConfig may name other files (a new AUTO name) until update
// applies it. A stream logged only to the daemon's stdout or stderr, or
// to nowhere, has that device in its row (as the reference reports it)
// and no file to read.
func (a *API) logFile(_ string, p *process.Info, stderr bool) string {
	path := p.StdoutLogfile
	if stderr {
		path = p.StderrLogfile
	}
	switch path {
	case "/dev/stdout", "/dev/stderr", "/dev/null":
		return ""
	}
	return path
}

// processLogArgs decodes the name argument of the read and tail methods
// (name, offset, length) and finds the log file it names.
func (a *API) processLogArgs(args []any, stderr bool) (string, error) {
	var spec string
	if err := a.decode(args, 3, 3, checkState, &spec); err != nil {
		return "", err
	}
	return a.LogPath(spec, stderr)
}

func (a *API) readProcessLog(stderr bool) func(context.Context, []any) (any, error) {
	return func(_ context.Context, args []any) (any, error) {
		path, err := a.processLogArgs(args, stderr)
		if err != nil {
			return nil, err
		}
		if path == "" {
			return nil, faults.New(faults.NoFile, "")
		}
		if _, err := os.Stat(path); err != nil {
			return nil, faults.New(faults.NoFile, path)
		}
		return a.readFile(path, args[1], args[2])
	}
}

func (a *API) tailProcessLog(stderr bool) func(context.Context, []any) (any, error) {
	return func(_ context.Context, args []any) (any, error) {
		path, err := a.processLogArgs(args, stderr)
		if err != nil {
			return nil, err
		}
		off, err := integer(args[1])
		if err != nil {
			return nil, err
		}
		n, err := integer(args[2])
		if err != nil {
			return nil, err
		}
		if path == "" {
			return []any{"", 0, false}, nil
		}
		if _, err := os.Stat(path); err != nil {
			return []any{"", 0, false}, nil
		}
		// Python integers do not overflow; keep the window sums in range.
		const bound = 1 << 52
		off, n = min(max(off, -bound), bound), min(max(n, -bound), bound)
		data, newOff, overflow, err := a.tail(path, off, n)
		if err != nil {
			return []any{"", off, false}, nil
		}
		return []any{string(data), newOff, overflow}, nil
	}
}

func (a *API) clearProcessLogs(_ context.Context, args []any) (any, error) {
	var spec string
	if err := a.decode(args, 1, 1, anyState, &spec); err != nil {
		return nil, err
	}
	g, p, err := a.process(spec)
	if err != nil {
		return nil, err
	}
	if err := a.b.ClearProcessLogs(g.Name, p.Name); err != nil {
		var fe *faults.Error
		if errors.As(err, &fe) && fe.Code == faults.BadName {
			return nil, faults.New(faults.BadName, spec)
		}
		return nil, faults.New(faults.Failed, spec)
	}
	return true, nil
}

func (a *API) clearAllProcessLogs() (any, error) {
	results := []any{}
	for _, g := range a.rows() {
		for _, p := range g.Processes {
			var err error
			if e := a.b.ClearProcessLogs(g.Name, p.Name); e != nil {
				err = faults.New(faults.Failed, pycompat.Namespec(g.Name, p.Name))
			}
			results = append(results, result(g.Name, p.Name, err))
		}
	}
	return results, nil
}
