package ctl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process states the wait command tells apart.
const (
	stateRunning = 20
	stateFatal   = 200
)

// defaultWaitTimeout is how long wait waits without --timeout.
const defaultWaitTimeout = 30 * time.Second

// waitPoll is how often wait asks the daemon again.
const waitPoll = 100 * time.Millisecond

// doWait returns once the named processes (default: every process that
// starts by itself) are RUNNING, which with ready_when means ready (and,
// with a liveness check, healthy). It is
// for entrypoints and CI: "wait until the stack is up". A daemon that is
// not answering yet is waited for too; a process that is FATAL ends the
// wait at once, since nothing will bring it up by itself.
func (c *controller) doWait(ctx context.Context, arg string) (bool, error) {
	timeout, names, err := parseWaitArgs(arg)
	if err != nil {
		c.output("Error: " + err.Error())
		c.help("wait")
		c.exitStatus = exitInvalidArgs
		return false, nil
	}
	deadline := time.Now().Add(timeout)
	var laggards []string
	for {
		done, lag, failed, err := c.waitOnce(ctx, names)
		switch {
		case failed:
			c.exitStatus = exitGeneric
			return false, nil // a FATAL process or a bad name, reported
		case err != nil && !transient(err):
			c.exitStatus = exitGeneric
			return false, err
		case err != nil:
			lag = []string{"supervisord (" + err.Error() + ")"}
		case done:
			return false, nil
		}
		laggards = lag
		if !time.Now().Before(deadline) {
			break
		}
		t := time.NewTimer(min(waitPoll, time.Until(deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return false, context.Cause(ctx)
		case <-t.C:
		}
	}
	c.outputf("timed out after %s waiting for: %s", timeout, strings.Join(laggards, ", "))
	c.exitStatus = exitGeneric
	return false, nil
}

// transient tells an error worth waiting out: the daemon not listening
// yet.
func transient(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
}

// waitOnce checks once; it reports whether every target is RUNNING and,
// if not, the laggards as "name (STATE)". failed means the wait is over
// without success, and why has been said.
func (c *controller) waitOnce(ctx context.Context, names []string) (done bool, lag []string, failed bool, err error) {
	all, err := c.allProcessInfo(ctx)
	if err != nil {
		if f, ok := faultOf(err); ok && f.Code == faultShutdownState {
			c.output("ERROR: supervisor shutting down")
			return false, nil, true, nil
		}
		return false, nil, false, err
	}
	var targets []map[string]any
	if len(names) == 0 {
		if targets, err = c.autostarted(ctx, all); err != nil {
			return false, nil, false, err
		}
	} else if targets = c.waitTargets(all, names); targets == nil {
		return false, nil, true, nil
	}
	for _, info := range targets {
		name := makeNamespec(strField(info, "group"), strField(info, "name"))
		switch intField(info, "state") {
		case stateRunning:
			// With a liveness check, ready also means healthy, as for
			// depends_on.
			h, ok := info["health"].(string)
			if ok && h != "healthy" {
				lag = append(lag, fmt.Sprintf("%s (RUNNING, %s)", name, h))
			}
			continue
		case stateFatal:
			c.outputf("%s is FATAL: %s", name, strField(info, "description"))
			failed = true
		}
		lag = append(lag, fmt.Sprintf("%s (%s)", name, strField(info, "statename")))
	}
	return len(lag) == 0, lag, failed, nil
}

// autostarted keeps the rows of processes with autostart set.
func (c *controller) autostarted(ctx context.Context, all []map[string]any) ([]map[string]any, error) {
	v, err := c.call(ctx, "supervisor.getAllConfigInfo")
	if err != nil {
		return nil, err
	}
	auto := map[string]bool{}
	for _, ci := range results(v) {
		if truthy(ci["autostart"]) {
			auto[strField(ci, "group")+":"+strField(ci, "name")] = true
		}
	}
	var out []map[string]any
	for _, info := range all {
		if auto[strField(info, "group")+":"+strField(info, "name")] {
			out = append(out, info)
		}
	}
	return out, nil
}

// waitTargets resolves names as status does; an unknown name is reported
// and makes the result nil.
func (c *controller) waitTargets(all []map[string]any, names []string) []map[string]any {
	if slices.Contains(names, "all") {
		return all
	}
	var out []map[string]any
	for _, name := range names {
		group, proc, whole := splitNamespec(name)
		found := false
		for _, info := range all {
			if strField(info, "group") == group && (whole || strField(info, "name") == proc) {
				found = true
				out = append(out, info)
			}
		}
		if !found {
			c.output(name + ": ERROR (no such process)")
			return nil
		}
	}
	return out
}

// parseWaitArgs reads "[--timeout D] [name...]"; D is a Go duration or
// seconds.
func parseWaitArgs(arg string) (time.Duration, []string, error) {
	timeout := defaultWaitTimeout
	var names []string
	fields := strings.Fields(arg)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		var v string
		switch {
		case f == "--timeout" || f == "-t":
			if i+1 == len(fields) {
				return 0, nil, errors.New("--timeout needs a value")
			}
			i++
			v = fields[i]
		case strings.HasPrefix(f, "--timeout="):
			v = f[len("--timeout="):]
		case strings.HasPrefix(f, "-"):
			return 0, nil, fmt.Errorf("unknown option %s", f)
		default:
			names = append(names, f)
			continue
		}
		d, err := parseWaitTimeout(v)
		if err != nil {
			return 0, nil, err
		}
		timeout = d
	}
	return timeout, names, nil
}

func parseWaitTimeout(v string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 && n < 1e9 {
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad timeout %q (want a duration like 30s, or seconds)", v)
	}
	return d, nil
}
