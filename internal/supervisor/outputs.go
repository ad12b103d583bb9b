package supervisor

import (
	"errors"
	"os"

	"supervisord/internal/config"
	"supervisord/internal/logfile"
)

type streamKind int

const (
	streamStdout streamKind = iota
	streamStderr
)

// outputs are a process's log streams. They live as long as the process's
// configuration: restarts of the process append to the same files.
type outputs struct {
	stdout *logfile.Stream
	stderr *logfile.Stream // nil with redirect_stderr
}

func openOutputs(l *loop, c *config.Process) (*outputs, error) {
	opts := logfile.StreamOptions{Outputs: l.s.opts.Outputs, Events: l.s.sink, MainLog: l.log}
	o := &outputs{}
	var err error
	if o.stdout, err = logfile.OpenStream(logfile.StreamConfigFor(c, logfile.Stdout), opts); err != nil {
		return nil, err
	}
	if !c.RedirectStderr {
		if o.stderr, err = logfile.OpenStream(logfile.StreamConfigFor(c, logfile.Stderr), opts); err != nil {
			o.stdout.Close()
			return nil, err
		}
	}
	return o, nil
}

// stream is the log stream a pipe of the process goes to.
func (o *outputs) stream(which streamKind) *logfile.Stream {
	if which == streamStderr && o.stderr != nil {
		return o.stderr
	}
	return o.stdout
}

// start captures one child pipe into its stream in the background until
// EOF or until the capture expires after the child's exit; the pipe is
// closed then and done called. tee, when set, gets every piece read
// first (an event listener's stdout, which the loop parses): such a pipe
// keeps a goroutine of its own, reading through the tee.
func (o *outputs) start(r *os.File, which streamKind, pid int, tee func([]byte), done func()) *logfile.Capturing {
	s := o.stream(which)
	if tee == nil {
		return s.Start(r, pid, done)
	}
	go func() {
		defer done()
		defer r.Close()
		s.Capture(teeReader{r: r, send: tee}, pid)
	}()
	return logfile.Expirable(r)
}

func (o *outputs) reopen() {
	o.stdout.Reopen()
	if o.stderr != nil {
		o.stderr.Reopen()
	}
}

func (o *outputs) clear() error {
	err := o.stdout.Clear()
	if o.stderr != nil {
		err = errors.Join(err, o.stderr.Clear())
	}
	return err
}

func (o *outputs) close() {
	o.stdout.Close()
	if o.stderr != nil {
		o.stderr.Close()
	}
}
