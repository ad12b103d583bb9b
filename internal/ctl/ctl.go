// Package ctl is the supervisorctl client: it parses supervisorctl's
// options, finds the server from the [supervisorctl] section of a config
// file, talks XML-RPC to the daemon over HTTP (TCP or a unix socket), and
// prints what Supervisor 4.2.5's supervisorctl prints, with the same exit
// codes, so that scripts written against the reference keep working. With
// no command it runs an interactive shell with history and completion.
package ctl

import (
	"io"
	"os"
	"os/signal"
	"path/filepath"
)

// Main runs supervisorctl with args (without the program name) and returns
// the exit status. progname is used in usage messages, as the reference
// uses argv[0].
func Main(progname string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cwd, _ := os.Getwd()
	env := Env{
		Getenv:      os.Getenv,
		Environ:     os.Environ,
		Cwd:         cwd,
		SearchPaths: DefaultSearchPaths(progname),
	}
	if f, ok := stdin.(*os.File); ok && f == os.Stdin {
		// Ctrl-C detaches fg and tail -f and ends the shell, as
		// KeyboardInterrupt does in the reference.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		defer signal.Stop(sig)
		env.Interrupts = sig
	}
	return Run(progname, args, stdin, stdout, stderr, env)
}

// Env is what supervisorctl takes from its surroundings, injected so tests
// are hermetic.
type Env struct {
	Getenv  func(string) string
	Environ func() []string
	Cwd     string
	// SearchPaths are tried in order when -c is not given.
	SearchPaths []string
	// Interrupts delivers Ctrl-C; nil means no interrupts.
	Interrupts <-chan os.Signal
}

// DefaultSearchPaths is where supervisorctl looks for a config file when -c
// is not given, in the reference's order: relative to the directory above
// the program's own, then the working directory, then /etc.
func DefaultSearchPaths(progname string) []string {
	here := filepath.Dir(filepath.Dir(progname))
	return []string{
		filepath.Join(here, "etc", "supervisord.conf"),
		filepath.Join(here, "supervisord.conf"),
		"supervisord.conf",
		"etc/supervisord.conf",
		"/etc/supervisord.conf",
		"/etc/supervisor/supervisord.conf",
	}
}

// Run is Main with its surroundings given explicitly.
func Run(progname string, args []string, stdin io.Reader, stdout, stderr io.Writer, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Environ == nil {
		env.Environ = func() []string { return nil }
	}
	opts, code, done := parseOptions(progname, args, stdout, stderr, env)
	if done {
		return code
	}
	c := newController(opts, stdin, stdout, stderr, env)
	defer c.close()
	if len(opts.args) > 0 {
		c.oneShot(joinArgs(opts.args))
		return c.exitStatus
	}
	c.shell()
	return 0
}

func joinArgs(args []string) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}
