package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"golang.org/x/term"

	"supervisord/internal/pycompat"
	"supervisord/internal/xmlrpc"
)

// Exit statuses, from the LSB init script conventions the reference uses.
const (
	exitSuccess        = 0
	exitGeneric        = 1
	exitInvalidArgs    = 2
	exitUnimplemented  = 3
	exitNoPrivileges   = 4
	exitNotInstalled   = 5
	exitNotRunning     = 7
	statusNotRunning   = 3
	statusUnknown      = 4
	apiVersion         = "3.0"
	unknownMethodFault = int(pycompat.FaultUnknownMethod)
)

// Supervisor fault codes the client interprets, as the ints xmlrpc.Fault
// carries; the codes themselves live in pycompat.
const (
	faultShutdownState = int(pycompat.FaultShutdownState)
	faultBadName       = int(pycompat.FaultBadName)
	faultBadSignal     = int(pycompat.FaultBadSignal)
	faultNoFile        = int(pycompat.FaultNoFile)
	faultNotExecutable = int(pycompat.FaultNotExecutable)
	faultFailed        = int(pycompat.FaultFailed)
	faultAbnormal      = int(pycompat.FaultAbnormalTermination)
	faultSpawnError    = int(pycompat.FaultSpawnError)
	faultAlreadyStart  = int(pycompat.FaultAlreadyStarted)
	faultNotRunning    = int(pycompat.FaultNotRunning)
	faultSuccess       = int(pycompat.FaultSuccess)
	faultAlreadyAdded  = int(pycompat.FaultAlreadyAdded)
	faultStillRunning  = int(pycompat.FaultStillRunning)
	faultCantReread    = int(pycompat.FaultCantReread)
)

// forbiddenPrefix starts the string of the FAILED fault this daemon sends
// when a read-only user calls a method that changes something.
const forbiddenPrefix = "FAILED: forbidden: "

func isForbidden(code int, s string) bool {
	return code == faultFailed && strings.HasPrefix(s, forbiddenPrefix)
}

// errInterrupted means Ctrl-C arrived while a command ran.
var errInterrupted = errors.New("interrupted")

type commandFunc func(c *controller, ctx context.Context, arg string) (stop bool, err error)

// controller runs commands and keeps the state between them: options,
// connection, exit status and the completion cache.
type controller struct {
	opts       *options
	env        Env
	stdin      io.Reader
	out        io.Writer
	errOut     io.Writer
	colour     bool
	exitStatus int
	cl         *client
	input      *lineInput
	complete   []map[string]any
	commands   map[string]commandFunc
}

func newController(opts *options, stdin io.Reader, stdout, stderr io.Writer, env Env) *controller {
	c := &controller{opts: opts, env: env, stdin: stdin, out: &syncWriter{w: stdout}, errOut: stderr}
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) && env.Getenv("NO_COLOR") == "" && env.Getenv("TERM") != "dumb" {
		c.colour = true
	}
	c.cl = newClient(opts.serverURL, opts.username, opts.password, opts.caFile)
	c.input = newLineInput(stdin, c.out, stderr)
	c.commands = map[string]commandFunc{
		"add": (*controller).doAdd, "avail": (*controller).doAvail,
		"clear": (*controller).doClear, "exit": (*controller).doQuit,
		"quit": (*controller).doQuit, "EOF": (*controller).doQuit,
		"fg": (*controller).doFg, "help": (*controller).doHelp,
		"maintail": (*controller).doMaintail, "open": (*controller).doOpen,
		"pid": (*controller).doPid, "reload": (*controller).doReload,
		"remove": (*controller).doRemove, "reread": (*controller).doReread,
		"restart": (*controller).doRestart, "shutdown": (*controller).doShutdown,
		"signal": (*controller).doSignal, "start": (*controller).doStart,
		"status": (*controller).doStatus, "stop": (*controller).doStop,
		"tail": (*controller).doTail, "update": (*controller).doUpdate,
		"version": (*controller).doVersion,
		"wait":    (*controller).doWait,
	}
	return c
}

func (c *controller) close() {
	c.cl.close()
	c.input.close()
}

// output writes one line, as the reference's Controller.output does.
func (c *controller) output(s string) { io.WriteString(c.out, s+"\n") }

func (c *controller) outputf(format string, args ...any) {
	c.output(fmt.Sprintf(format, args...))
}

// oneShot runs a command line given as arguments.
func (c *controller) oneShot(line string) {
	if _, interrupted := c.onecmd(line); interrupted {
		c.output("")
		c.exitStatus = 130
	}
}

// parseLine splits a line into action and argument the way Python's cmd
// module does: "?" means help, the action is the leading identifier.
func parseLine(line string) (cmd, arg, rest string, ok bool) {
	line = strings.TrimSpace(line)
	if line == "" {
		return "", "", "", true
	}
	if line[0] == '?' {
		line = "help " + line[1:]
	} else if line[0] == '!' {
		return "", "", line, false
	}
	i := 0
	for i < len(line) && isIdentChar(line[i]) {
		i++
	}
	return line[:i], strings.TrimSpace(line[i:]), line, true
}

func isIdentChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}

// context returns a context cancelled by Ctrl-C, and a stop function.
func (c *controller) context() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	if c.env.Interrupts == nil {
		return ctx, func() { cancel(nil) }
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-c.env.Interrupts:
			cancel(errInterrupted)
		case <-done:
		}
	}()
	return ctx, func() { close(done); cancel(nil) }
}

// onecmd runs one line. stop reports a request to leave the shell;
// interrupted reports Ctrl-C.
func (c *controller) onecmd(line string) (stop, interrupted bool) {
	cmd, arg, line, ok := parseLine(line)
	if line == "" && ok {
		return false, false
	}
	fn := c.commands[cmd]
	if !ok || cmd == "" || fn == nil {
		c.output("*** Unknown syntax: " + line)
		c.exitStatus = exitGeneric
		return false, false
	}
	c.complete = nil
	ctx, done := c.context()
	stop, err := fn(c, ctx, arg)
	done()
	if err == nil {
		return stop, false
	}
	if errors.Is(err, errInterrupted) || context.Cause(ctx) == errInterrupted {
		return false, true
	}
	var pe *protocolError
	if errors.As(err, &pe) && pe.Code == 401 {
		c.output("Server requires authentication")
		if c.opts.interactive {
			user, err1 := c.input.readLine("Username:")
			pass, err2 := c.input.readPassword("Password:")
			if err1 != nil || err2 != nil {
				c.exitStatus = exitGeneric
				return false, errors.Is(err1, errInterrupted) || errors.Is(err2, errInterrupted)
			}
			c.output("")
			c.opts.username, c.opts.password = &user, &pass
			c.reconnect()
			return c.onecmd(line)
		}
		c.exitStatus = exitGeneric
		// The reference then runs the command once more, which fails the
		// same way and is reported by the catch-all below.
		ctx, done := c.context()
		_, err = fn(c, ctx, arg)
		done()
		if err == nil {
			return false, false
		}
	} else if errors.As(err, &pe) {
		c.exitStatus = exitGeneric
	}
	c.reportError(err)
	c.exitStatus = exitGeneric
	return false, false
}

// reportError prints a failure the commands do not handle themselves, in
// the shape of the reference's catch-all.
func (c *controller) reportError(err error) {
	if f, ok := faultOf(err); ok && isForbidden(f.Code, f.String) {
		c.output("ERROR: " + f.String)
		return
	}
	var te *tlsError
	if errors.As(err, &te) {
		c.output("ERROR: " + te.Error())
		return
	}
	class, msg := describeError(err)
	c.outputf("error: <class '%s'>, %s: file: %s line: %d", class, msg, "supervisorctl", 0)
}

func (c *controller) reconnect() {
	c.cl.close()
	c.cl = newClient(c.opts.serverURL, c.opts.username, c.opts.password, c.opts.caFile)
}

func (c *controller) call(ctx context.Context, method string, params ...any) (any, error) {
	v, err := c.cl.call(ctx, method, params...)
	if err != nil && context.Cause(ctx) == errInterrupted {
		return nil, errInterrupted
	}
	return v, err
}

// upcheck checks that the server is reachable and speaks our API version.
// A false result with a nil error means the problem has been reported.
func (c *controller) upcheck(ctx context.Context) (bool, error) {
	v, err := c.call(ctx, "supervisor.getVersion")
	if err != nil {
		var f *xmlrpc.Fault
		switch {
		case errors.As(err, new(*tlsError)):
			c.output("ERROR: " + err.Error())
			c.exitStatus = exitGeneric
			return false, nil
		case errors.As(err, &f):
			if f.Code == unknownMethodFault {
				c.output("Sorry, supervisord responded but did not recognize " +
					"the supervisor namespace commands that supervisorctl " +
					"uses to control it.  Please check that the " +
					"[rpcinterface:supervisor] section is enabled in the " +
					"configuration file (see sample.conf).")
				c.exitStatus = exitUnimplemented
				return false, nil
			}
		case errors.Is(err, syscall.ECONNREFUSED):
			c.output(c.opts.serverURL + " refused connection")
			c.exitStatus = exitNoPrivileges
			return false, nil
		case errors.Is(err, syscall.ENOENT):
			c.output(c.opts.serverURL + " no such file")
			c.exitStatus = exitNotRunning
			return false, nil
		}
		c.exitStatus = exitGeneric
		return false, err
	}
	if s, _ := v.(string); s != apiVersion {
		c.outputf("Sorry, this version of supervisorctl expects to talk to a server "+
			"with API version %s, but the remote version is %v.", apiVersion, v)
		c.exitStatus = exitNotInstalled
		return false, nil
	}
	return true, nil
}

// setExitFromFault maps a per-process result code to the exit status.
func (c *controller) setExitFromFault(code, ignored int) {
	switch code {
	case ignored, faultSuccess:
	case faultSpawnError, faultAbnormal, faultNotRunning:
		c.exitStatus = exitNotRunning
	default:
		c.exitStatus = exitGeneric
	}
}

func faultOf(err error) (*xmlrpc.Fault, bool) {
	var f *xmlrpc.Fault
	ok := errors.As(err, &f)
	return f, ok
}
