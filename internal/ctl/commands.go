package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func (c *controller) help(name string) {
	c.output(helpTexts[name])
}

func (c *controller) doHelp(_ context.Context, arg string) (bool, error) {
	switch {
	case arg == "help":
		c.help("help")
	case arg != "":
		if _, ok := helpTexts[arg]; ok {
			c.help(arg)
		} else {
			c.outputf("*** No help on %s", arg)
		}
	default:
		c.output("")
		c.output(topicsHeader)
		c.output(strings.Repeat("=", len(topicsHeader)))
		for _, l := range columnize(topicOrder, 79) {
			c.output(l)
		}
		c.output("")
	}
	return false, nil
}

func (c *controller) doQuit(context.Context, string) (bool, error) {
	c.output("")
	return true, nil
}

// results decodes an array of per-process result structs.
func results(v any) []map[string]any {
	arr, _ := v.([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func (c *controller) allProcessInfo(ctx context.Context) ([]map[string]any, error) {
	v, err := c.call(ctx, "supervisor.getAllProcessInfo")
	if err != nil {
		return nil, err
	}
	return results(v), nil
}

func isStoppedState(state int) bool {
	return state == 0 || state == 100 || state == 200 || state == 1000
}

func (c *controller) doStatus(ctx context.Context, arg string) (bool, error) {
	ok, err := c.upcheck(ctx)
	if err != nil {
		return false, err
	}
	if !ok {
		c.exitStatus = statusUnknown
		return false, nil
	}
	all, err := c.allProcessInfo(ctx)
	if err != nil {
		return false, err
	}
	names := strings.Fields(arg)
	asJSON := false
	if i := slices.Index(names, "--json"); i >= 0 {
		asJSON = true
		names = slices.DeleteFunc(names, func(s string) bool { return s == "--json" })
	}
	names, long := longFlag(names)
	matching := all
	if len(names) > 0 && !slices.Contains(names, "all") {
		matching = nil
		for _, name := range names {
			group, proc, whole := splitNamespec(name)
			bad := true
			for _, info := range all {
				if strField(info, "group") == group && (whole || strField(info, "name") == proc) {
					bad = false
					matching = append(matching, info)
				}
			}
			if bad {
				msg := name + ": ERROR (no such process)"
				if whole {
					msg = group + ": ERROR (no such group)"
				}
				if asJSON {
					fmt.Fprintln(c.errOut, msg)
				} else {
					c.output(msg)
				}
				c.exitStatus = statusUnknown
			}
		}
	}
	if asJSON {
		c.printJSON(matching)
	} else if long {
		c.showLongStatuses(matching)
	} else {
		c.showStatuses(matching)
	}
	for _, info := range matching {
		if isStoppedState(intField(info, "state")) {
			c.exitStatus = statusNotRunning
		}
	}
	return false, nil
}

// printJSON writes rows as a JSON array, adding each row's namespec.
func (c *controller) printJSON(rows []map[string]any) {
	out := make([]map[string]any, 0, len(rows))
	for _, r := range rows {
		m := make(map[string]any, len(r)+1)
		for k, v := range r {
			m[k] = v
		}
		if _, ok := r["group"]; ok {
			m["namespec"] = makeNamespec(strField(r, "group"), strField(r, "name"))
		}
		out = append(out, m)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		fmt.Fprintln(c.errOut, "error: encode JSON:", err)
		c.exitStatus = exitGeneric
		return
	}
	c.output(string(b))
}

func (c *controller) showStatuses(infos []map[string]any) {
	maxlen := 30
	specs := make([]string, len(infos))
	for i, info := range infos {
		specs[i] = makeNamespec(strField(info, "group"), strField(info, "name"))
		maxlen = max(maxlen, len([]rune(specs[i])))
	}
	for i, info := range infos {
		state := strField(info, "statename")
		padded := padRight(state, 10)
		if col := stateColour(state); c.colour && col != "" {
			padded = col + state + "\x1b[0m" + padded[len(state):]
		}
		c.output(padRight(specs[i], maxlen+3) + padded + strField(info, "description"))
	}
}

func (c *controller) doPid(ctx context.Context, arg string) (bool, error) {
	ok, err := c.upcheck(ctx)
	if !ok {
		return false, err
	}
	names := strings.Fields(arg)
	switch {
	case len(names) == 0:
		v, err := c.call(ctx, "supervisor.getPID")
		if err != nil {
			return false, err
		}
		c.output(fmt.Sprint(v))
	case slices.Contains(names, "all"):
		all, err := c.allProcessInfo(ctx)
		if err != nil {
			return false, err
		}
		for _, info := range all {
			c.output(strconv.Itoa(intField(info, "pid")))
		}
	default:
		for _, name := range names {
			v, err := c.call(ctx, "supervisor.getProcessInfo", name)
			if err != nil {
				c.exitStatus = exitGeneric
				if f, ok := faultOf(err); ok && f.Code == faultBadName {
					c.output("No such process " + name)
					continue
				}
				return false, err
			}
			info, _ := v.(map[string]any)
			pid := intField(info, "pid")
			c.output(strconv.Itoa(pid))
			if pid == 0 {
				c.exitStatus = exitNotRunning
			}
		}
	}
	return false, nil
}

// resultLine renders a per-process result as start/stop/signal/clear do.
func resultLine(r map[string]any, success string, messages map[int]string) (string, error) {
	name := makeNamespec(strField(r, "group"), strField(r, "name"))
	code := intField(r, "status")
	if code == faultSuccess {
		return name + ": " + success, nil
	}
	if isForbidden(code, strField(r, "description")) {
		return name + ": ERROR (" + strings.TrimPrefix(strField(r, "description"), "FAILED: ") + ")", nil
	}
	if m, ok := messages[code]; ok && m == "" {
		return strField(r, "description"), nil
	} else if ok {
		return name + ": ERROR (" + m + ")", nil
	}
	return "", &pyError{"ValueError", fmt.Sprintf("Unknown result code %d for %s", code, name)}
}

var startMessages = map[int]string{
	faultBadName: "no such process", faultNoFile: "no such file",
	faultNotExecutable: "file is not executable", faultAlreadyStart: "already started",
	faultSpawnError: "spawn error", faultAbnormal: "abnormal termination",
}

var signalMessages = map[int]string{
	faultBadName: "no such process", faultBadSignal: "bad signal name",
	faultNotRunning: "not running", faultFailed: "",
}

var clearMessages = map[int]string{faultBadName: "no such process", faultFailed: "failed"}

// faultResult turns a fault for one process into a result row.
func faultResult(err error, group, proc string) (map[string]any, bool) {
	f, ok := faultOf(err)
	if !ok {
		return nil, false
	}
	return map[string]any{"status": f.Code, "name": proc, "group": group, "description": f.String}, true
}

// printResults prints result rows and folds their codes into the exit status.
func (c *controller) printResults(v any, success string, messages map[int]string, ignored int) error {
	for _, r := range results(v) {
		line, err := resultLine(r, success, messages)
		if err != nil {
			return err
		}
		c.output(line)
		c.setExitFromFault(intField(r, "status"), ignored)
	}
	return nil
}

// procName is the reference's name for a group-wide spec in messages.
func procName(proc string, whole bool) string {
	if whole {
		return "None"
	}
	return proc
}

// lifecycle is what the start and stop commands differ in.
type lifecycle struct {
	verb, done      string // "start", "started"
	all, group, one string // the methods for all, a group, one process
	messages        map[int]string
	benign          int // the fault that only sets the exit status
	usageExit       int // exit status when no name is given
	noSuchGroupExit int // exit status for a group the daemon does not know
}

var (
	startLifecycle = lifecycle{verb: "start", done: "started",
		all: "supervisor.startAllProcesses", group: "supervisor.startProcessGroup", one: "supervisor.startProcess",
		messages: startMessages, benign: faultAlreadyStart, usageExit: exitInvalidArgs, noSuchGroupExit: exitInvalidArgs}
	stopLifecycle = lifecycle{verb: "stop", done: "stopped",
		all: "supervisor.stopAllProcesses", group: "supervisor.stopProcessGroup", one: "supervisor.stopProcess",
		messages: signalMessages, benign: faultNotRunning, usageExit: exitGeneric, noSuchGroupExit: exitGeneric}
)

func (c *controller) doStart(ctx context.Context, arg string) (bool, error) {
	return c.runLifecycle(ctx, arg, &startLifecycle)
}

func (c *controller) doStop(ctx context.Context, arg string) (bool, error) {
	return c.runLifecycle(ctx, arg, &stopLifecycle)
}

// runLifecycle is the one body of start and stop: "all", whole groups
// ("group:*") and single processes, each reported on its own line.
func (c *controller) runLifecycle(ctx context.Context, arg string, lc *lifecycle) (bool, error) {
	ok, err := c.upcheck(ctx)
	if !ok {
		return false, err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("Error: " + lc.verb + " requires a process name")
		c.exitStatus = lc.usageExit
		c.help(lc.verb)
		return false, nil
	}
	if slices.Contains(names, "all") {
		v, err := c.call(ctx, lc.all)
		if err != nil {
			return false, err
		}
		return false, c.printResults(v, lc.done, lc.messages, lc.benign)
	}
	for _, name := range names {
		group, proc, whole := splitNamespec(name)
		if whole {
			v, err := c.call(ctx, lc.group, group)
			if err != nil {
				if f, ok := faultOf(err); ok && f.Code == faultBadName {
					c.output(group + ": ERROR (no such group)")
					c.exitStatus = lc.noSuchGroupExit
					continue
				}
				c.exitStatus = exitGeneric
				return false, err
			}
			if err := c.printResults(v, lc.done, lc.messages, lc.benign); err != nil {
				return false, err
			}
			continue
		}
		if _, err := c.call(ctx, lc.one, name); err != nil {
			r, ok := faultResult(err, group, proc)
			if !ok {
				return false, err
			}
			line, err := resultLine(r, lc.done, lc.messages)
			if err != nil {
				return false, err
			}
			c.output(line)
			c.setExitFromFault(intField(r, "status"), lc.benign)
			continue
		}
		c.output(makeNamespec(group, proc) + ": " + lc.done)
	}
	return false, nil
}

func (c *controller) doSignal(ctx context.Context, arg string) (bool, error) {
	ok, err := c.upcheck(ctx)
	if !ok {
		return false, err
	}
	args := strings.Fields(arg)
	if len(args) < 2 {
		c.output("Error: signal requires a signal name and a process name")
		c.help("signal")
		c.exitStatus = exitGeneric
		return false, nil
	}
	sig, names := args[0], args[1:]
	if slices.Contains(names, "all") {
		v, err := c.call(ctx, "supervisor.signalAllProcesses", sig)
		if err != nil {
			return false, err
		}
		return false, c.printResults(v, "signalled", signalMessages, -1)
	}
	for _, name := range names {
		group, proc, whole := splitNamespec(name)
		if whole {
			v, err := c.call(ctx, "supervisor.signalProcessGroup", group, sig)
			if err != nil {
				if f, ok := faultOf(err); ok && f.Code == faultBadName {
					c.output(group + ": ERROR (no such group)")
					c.exitStatus = exitGeneric
					continue
				}
				return false, err
			}
			if err := c.printResults(v, "signalled", signalMessages, -1); err != nil {
				return false, err
			}
			continue
		}
		if _, err := c.call(ctx, "supervisor.signalProcess", name, sig); err != nil {
			r, ok := faultResult(err, group, proc)
			if !ok {
				return false, err
			}
			line, err := resultLine(r, "signalled", signalMessages)
			if err != nil {
				return false, err
			}
			c.output(line)
			c.setExitFromFault(intField(r, "status"), -1)
			continue
		}
		c.output(makeNamespec(group, proc) + ": signalled")
	}
	return false, nil
}

func (c *controller) doRestart(ctx context.Context, arg string) (bool, error) {
	ok, err := c.upcheck(ctx)
	if !ok {
		return false, err
	}
	if len(strings.Fields(arg)) == 0 {
		c.output("Error: restart requires a process name")
		c.exitStatus = exitGeneric
		c.help("restart")
		return false, nil
	}
	if _, err := c.doStop(ctx, arg); err != nil {
		return false, err
	}
	return c.doStart(ctx, arg)
}

func (c *controller) doClear(ctx context.Context, arg string) (bool, error) {
	ok, err := c.upcheck(ctx)
	if !ok {
		return false, err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("Error: clear requires a process name")
		c.exitStatus = exitGeneric
		c.help("clear")
		return false, nil
	}
	if slices.Contains(names, "all") {
		v, err := c.call(ctx, "supervisor.clearAllProcessLogs")
		if err != nil {
			return false, err
		}
		return false, c.printResults(v, "cleared", clearMessages, -1)
	}
	for _, name := range names {
		group, proc, whole := splitNamespec(name)
		proc = procName(proc, whole)
		if _, err := c.call(ctx, "supervisor.clearProcessLogs", name); err != nil {
			r, ok := faultResult(err, group, proc)
			if !ok {
				return false, err
			}
			line, err := resultLine(r, "cleared", clearMessages)
			if err != nil {
				return false, err
			}
			c.output(line)
			c.setExitFromFault(intField(r, "status"), -1)
			continue
		}
		c.output(makeNamespec(group, proc) + ": cleared")
	}
	return false, nil
}

// confirm asks a yes/no question in interactive mode; elsewhere it is yes.
func (c *controller) confirm(question string) (bool, error) {
	if !c.opts.interactive {
		return true, nil
	}
	ans, err := c.input.readLine(question)
	if err != nil {
		if err == errInterrupted {
			return false, err
		}
		return false, nil
	}
	return strings.HasPrefix(strings.ToLower(ans), "y"), nil
}

func (c *controller) noArgs(name, arg string) bool {
	if arg == "" {
		return true
	}
	c.outputf("Error: %s accepts no arguments", name)
	c.exitStatus = exitGeneric
	c.help(name)
	return false
}

// doShutdown stops the daemon. An extension to the reference's command:
// an optional exit status (0-255) is passed to supervisor.shutdown, and
// the daemon exits with it; anything else as an argument is refused as
// the reference refuses every argument.
func (c *controller) doShutdown(ctx context.Context, arg string) (bool, error) {
	status, withStatus := shutdownStatus(arg)
	if !withStatus && !c.noArgs("shutdown", arg) {
		return false, nil
	}
	really, err := c.confirm("Really shut the remote supervisord process down y/N? ")
	if err != nil || !really {
		return false, err
	}
	var params []any
	if withStatus {
		params = []any{status}
	}
	if _, err := c.call(ctx, "supervisor.shutdown", params...); err != nil {
		if f, ok := faultOf(err); ok {
			if f.Code == faultShutdownState {
				c.output("ERROR: already shutting down")
				return false, nil
			}
			c.exitStatus = exitGeneric
			return false, err
		}
		class, _ := describeError(err)
		switch class {
		case "ConnectionRefusedError":
			c.exitStatus = exitGeneric
			c.outputf("ERROR: %s refused connection (already shut down?)", c.opts.serverURL)
			return false, nil
		case "FileNotFoundError":
			c.exitStatus = exitGeneric
			c.outputf("ERROR: %s no such file (already shut down?)", c.opts.serverURL)
			return false, nil
		}
		if isOSError(class) {
			c.exitStatus = exitGeneric
		}
		return false, err
	}
	c.output("Shut down")
	return false, nil
}

// shutdownStatus reads shutdown's optional exit status: one decimal
// integer from 0 to 255.
func shutdownStatus(arg string) (int, bool) {
	arg = strings.TrimSpace(arg)
	if arg == "" || strings.ContainsAny(arg, "+- \t") {
		return 0, false
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n < 0 || n > 255 {
		return 0, false
	}
	return n, true
}

func isOSError(class string) bool {
	return strings.HasSuffix(class, "Error") && !strings.Contains(class, ".") && class != "ValueError"
}

func (c *controller) doReload(ctx context.Context, arg string) (bool, error) {
	if !c.noArgs("reload", arg) {
		return false, nil
	}
	really, err := c.confirm("Really restart the remote supervisord process y/N? ")
	if err != nil || !really {
		return false, err
	}
	if _, err := c.call(ctx, "supervisor.restart"); err != nil {
		c.exitStatus = exitGeneric
		if f, ok := faultOf(err); ok && f.Code == faultShutdownState {
			c.output("ERROR: already shutting down")
			return false, nil
		}
		return false, err
	}
	c.output("Restarted supervisord")
	return false, nil
}

func (c *controller) doAvail(ctx context.Context, arg string) (bool, error) {
	asJSON := arg == "--json"
	if !asJSON && !c.noArgs("avail", arg) {
		return false, nil
	}
	v, err := c.call(ctx, "supervisor.getAllConfigInfo")
	if err != nil {
		if f, ok := faultOf(err); ok {
			c.exitStatus = exitGeneric
			if f.Code == faultShutdownState {
				c.output("ERROR: supervisor shutting down")
				return false, nil
			}
		}
		return false, err
	}
	infos := results(v)
	if asJSON {
		c.printJSON(infos)
		return false, nil
	}
	for _, ci := range infos {
		inuse, auto := "avail", "manual"
		if truthy(ci["inuse"]) {
			inuse = "in use"
		}
		if truthy(ci["autostart"]) {
			auto = "auto"
		}
		prio := fmt.Sprintf("%v:%v", ci["group_prio"], ci["process_prio"])
		c.output(padRight(makeNamespec(strField(ci, "group"), strField(ci, "name")), 32) + " " +
			padRight(inuse, 9) + " " + padRight(auto, 9) + " " + prio)
	}
	return false, nil
}

// changeLists decodes reloadConfig's [[added, changed, removed]].
func changeLists(v any) (added, changed, removed []string) {
	outer, _ := v.([]any)
	if len(outer) == 0 {
		return
	}
	inner, _ := outer[0].([]any)
	lists := make([][]string, 3)
	for i := 0; i < 3 && i < len(inner); i++ {
		arr, _ := inner[i].([]any)
		for _, e := range arr {
			lists[i] = append(lists[i], fmt.Sprint(e))
		}
	}
	return lists[0], lists[1], lists[2]
}

func (c *controller) doReread(ctx context.Context, arg string) (bool, error) {
	if !c.noArgs("reread", arg) {
		return false, nil
	}
	v, err := c.call(ctx, "supervisor.reloadConfig")
	if err != nil {
		if f, ok := faultOf(err); ok {
			c.exitStatus = exitGeneric
			switch f.Code {
			case faultShutdownState:
				c.output("ERROR: supervisor shutting down")
				return false, nil
			case faultCantReread:
				c.output("ERROR: " + f.String)
				return false, nil
			}
		}
		return false, err
	}
	added, changed, removed := changeLists(v)
	what := map[string]string{}
	for _, n := range added {
		what[n] = "available"
	}
	for _, n := range changed {
		what[n] = "changed"
	}
	for _, n := range removed {
		what[n] = "disappeared"
	}
	if len(what) == 0 {
		c.output("No config updates to processes")
		return false, nil
	}
	names := make([]string, 0, len(what))
	for n := range what {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c.output(n + ": " + what[n])
	}
	return false, nil
}

func (c *controller) doAdd(ctx context.Context, arg string) (bool, error) {
	for _, name := range strings.Fields(arg) {
		if _, err := c.call(ctx, "supervisor.addProcessGroup", name); err != nil {
			f, ok := faultOf(err)
			switch {
			case ok && f.Code == faultShutdownState:
				c.output("ERROR: shutting down")
				c.exitStatus = exitGeneric
			case ok && f.Code == faultAlreadyAdded:
				c.output("ERROR: process group already active")
			case ok && f.Code == faultBadName:
				c.output("ERROR: no such process/group: " + name)
				c.exitStatus = exitGeneric
			default:
				c.exitStatus = exitGeneric
				return false, err
			}
			continue
		}
		c.output(name + ": added process group")
	}
	return false, nil
}

func (c *controller) doRemove(ctx context.Context, arg string) (bool, error) {
	for _, name := range strings.Fields(arg) {
		if _, err := c.call(ctx, "supervisor.removeProcessGroup", name); err != nil {
			f, ok := faultOf(err)
			if ok {
				c.exitStatus = exitGeneric
			}
			switch {
			case ok && f.Code == faultStillRunning:
				c.output("ERROR: process/group still running: " + name)
			case ok && f.Code == faultBadName:
				c.output("ERROR: no such process/group: " + name)
			default:
				return false, err
			}
			continue
		}
		c.output(name + ": removed process group")
	}
	return false, nil
}

func (c *controller) doUpdate(ctx context.Context, arg string) (bool, error) {
	v, err := c.call(ctx, "supervisor.reloadConfig")
	if err != nil {
		c.exitStatus = exitGeneric
		if f, ok := faultOf(err); ok && f.Code == faultShutdownState {
			c.output("ERROR: already shutting down")
			return false, nil
		}
		return false, err
	}
	added, changed, removed := changeLists(v)
	var valid []string
	for _, n := range strings.Fields(arg) {
		if !slices.Contains(valid, n) {
			valid = append(valid, n)
		}
	}
	if slices.Contains(valid, "all") {
		valid = nil
	}
	if len(valid) > 0 {
		all, err := c.allProcessInfo(ctx)
		if err != nil {
			return false, err
		}
		groups := map[string]bool{}
		for _, info := range all {
			groups[strField(info, "group")] = true
		}
		for _, n := range added {
			groups[n] = true
		}
		for _, g := range valid {
			if !groups[g] {
				c.output("ERROR: no such group: " + g)
				c.exitStatus = exitGeneric
			}
		}
	}
	skip := func(g string) bool { return len(valid) > 0 && !slices.Contains(valid, g) }
	for _, g := range removed {
		if skip(g) {
			continue
		}
		v, err := c.call(ctx, "supervisor.stopProcessGroup", g)
		if err != nil {
			return false, err
		}
		c.output(g + ": stopped")
		failed := false
		for _, r := range results(v) {
			if intField(r, "status") == faultFailed {
				failed = true
			}
		}
		if failed {
			c.output(g + ": has problems; not removing")
			c.exitStatus = exitGeneric
			continue
		}
		if _, err := c.call(ctx, "supervisor.removeProcessGroup", g); err != nil {
			return false, err
		}
		c.output(g + ": removed process group")
	}
	for _, g := range changed {
		if skip(g) {
			continue
		}
		if _, err := c.call(ctx, "supervisor.stopProcessGroup", g); err != nil {
			return false, err
		}
		c.output(g + ": stopped")
		if _, err := c.call(ctx, "supervisor.removeProcessGroup", g); err != nil {
			return false, err
		}
		if _, err := c.call(ctx, "supervisor.addProcessGroup", g); err != nil {
			return false, err
		}
		c.output(g + ": updated process group")
	}
	for _, g := range added {
		if skip(g) {
			continue
		}
		if _, err := c.call(ctx, "supervisor.addProcessGroup", g); err != nil {
			return false, err
		}
		c.output(g + ": added process group")
	}
	return false, nil
}

func (c *controller) doOpen(ctx context.Context, arg string) (bool, error) {
	url := strings.TrimSpace(arg)
	if scheme, _ := splitScheme(url); scheme != "unix" && scheme != "http" {
		c.output("ERROR: url must be http:// or unix://")
		c.exitStatus = exitGeneric
		return false, nil
	}
	c.opts.serverURL = url
	c.reconnect()
	old := c.exitStatus
	_, err := c.doStatus(ctx, "")
	c.exitStatus = old
	return false, err
}

func (c *controller) doVersion(ctx context.Context, arg string) (bool, error) {
	if !c.noArgs("version", arg) {
		return false, nil
	}
	ok, err := c.upcheck(ctx)
	if !ok {
		return false, err
	}
	v, err := c.call(ctx, "supervisor.getSupervisorVersion")
	if err != nil {
		return false, err
	}
	c.output(fmt.Sprint(v))
	return false, nil
}

// pyInt parses an integer the way Python's int() does for simple cases.
func pyInt(s string) (int, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func (c *controller) doTail(ctx context.Context, arg string) (bool, error) {
	ok, err := c.upcheck(ctx)
	if !ok {
		return false, err
	}
	args := strings.Fields(arg)
	if len(args) < 1 {
		c.output("Error: too few arguments")
		c.exitStatus = exitGeneric
		c.help("tail")
		return false, nil
	}
	if len(args) > 3 {
		c.output("Error: too many arguments")
		c.exitStatus = exitGeneric
		c.help("tail")
		return false, nil
	}
	modifier := ""
	if strings.HasPrefix(args[0], "-") {
		modifier, args = args[0], args[1:]
	}
	var name, channel string
	switch {
	case len(args) == 1:
		name, channel = args[0], "stdout"
	case len(args) > 0:
		name, channel = args[0], strings.ToLower(args[len(args)-1])
		if channel != "stderr" && channel != "stdout" {
			c.output("Error: bad channel " + pyRepr(channel))
			c.exitStatus = exitGeneric
			return false, nil
		}
	default:
		c.output("Error: tail requires process name")
		c.exitStatus = exitGeneric
		return false, nil
	}
	n := 1600
	follow := false
	if modifier != "" {
		if modifier[1:] == "f" {
			follow = true
		} else if n, ok = pyInt(modifier[1:]); !ok {
			c.output("Error: bad argument " + modifier)
			c.exitStatus = exitGeneric
			return false, nil
		}
	}
	if follow {
		return false, c.tailFollow(ctx, "/logtail/"+name+"/"+channel)
	}
	method := "supervisor.readProcessStdoutLog"
	if channel == "stderr" {
		method = "supervisor.readProcessStderrLog"
	}
	v, err := c.call(ctx, method, name, -n, 0)
	if err != nil {
		f, ok := faultOf(err)
		if ok {
			c.exitStatus = exitGeneric
			switch f.Code {
			case faultNoFile:
				c.output(name + ": ERROR (no log file)")
				return false, nil
			case faultFailed:
				c.output(name + ": ERROR (unknown error reading log)")
				return false, nil
			case faultBadName:
				c.output(name + ": ERROR (no such process name)")
				return false, nil
			}
		}
		return false, err
	}
	c.output(fmt.Sprint(v))
	return false, nil
}

func (c *controller) doMaintail(ctx context.Context, arg string) (bool, error) {
	ok, err := c.upcheck(ctx)
	if !ok {
		return false, err
	}
	args := strings.Fields(arg)
	n := 1600
	switch {
	case len(args) > 1:
		c.output("Error: too many arguments")
		c.exitStatus = exitGeneric
		c.help("maintail")
		return false, nil
	case len(args) == 1:
		if !strings.HasPrefix(args[0], "-") {
			c.output("Error: bad argument " + args[0])
			c.exitStatus = exitGeneric
			return false, nil
		}
		what := args[0][1:]
		if what == "f" {
			return false, c.tailFollow(ctx, "/mainlogtail")
		}
		if n, ok = pyInt(what); !ok {
			c.output("Error: bad argument " + args[0])
			c.exitStatus = exitGeneric
			return false, nil
		}
	}
	v, err := c.call(ctx, "supervisor.readLog", -n, 0)
	if err != nil {
		if f, ok := faultOf(err); ok {
			c.exitStatus = exitGeneric
			switch f.Code {
			case faultNoFile:
				c.output("supervisord: ERROR (no log file)")
				return false, nil
			case faultFailed:
				c.output("supervisord: ERROR (unknown error reading log)")
				return false, nil
			}
		}
		return false, err
	}
	c.output(fmt.Sprint(v))
	return false, nil
}
