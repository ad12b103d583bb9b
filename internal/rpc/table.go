package rpc

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"supervisord/internal/faults"
)

// pyStr formats a decoded value as Python's str() would, for fault
// details that echo an argument.
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case []byte:
		return string(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return s
	}
	return fmt.Sprint(v)
}

// table lists every method with its help text and signature
// (return type first, then parameter types).
func (a *API) table() map[string]*method {
	m := map[string]*method{}
	add := func(name, sig, help string, fn func(context.Context, []any) (any, error)) {
		m[name] = &method{fn: fn, help: help, sig: strings.Fields(sig)}
	}
	constant := func(v string) func() (any, error) { return func() (any, error) { return v, nil } }

	add("supervisor.getAPIVersion", "string", "Return the version of the XML-RPC API the daemon serves.\n\n@return string version", a.checked(constant(APIVersion)))
	add("supervisor.getVersion", "string", "Return the version of the XML-RPC API (an older name of getAPIVersion).\n\n@return string version", a.checked(constant(APIVersion)))
	add("supervisor.getSupervisorVersion", "string", "Return the Supervisor version this daemon is compatible with.\n\n@return string version", a.checked(constant(SupervisorVersion)))
	add("supervisor.getIdentification", "string", "Return the daemon's identifier.\n\n@return string identifier", a.checked(func() (any, error) { return a.b.Identifier(), nil }))
	add("supervisor.getState", "struct", "Return the daemon's state.\n\n@return struct {int statecode, string statename}", a.noArgs(anyState, a.getState))
	m["supervisor.getState"].fn = a.checked(a.getState)
	add("supervisor.getPID", "int", "Return the daemon's process id.\n\n@return int pid", a.checked(func() (any, error) { return a.b.Pid(), nil }))
	add("supervisor.readLog", "string int int", "Read part of the daemon's log.\n\n@param int offset where to start; negative counts from the end\n@param int length how many bytes; 0 reads to the end\n@return string log data", a.readLog)
	add("supervisor.readMainLog", "string int int", "Read part of the daemon's log (an older name of readLog).\n\n@param int offset where to start\n@param int length how many bytes\n@return string log data", a.readLog)
	add("supervisor.clearLog", "boolean", "Empty the daemon's log.\n\n@return boolean true unless an error occurs", a.checked(a.clearLog))
	// The signature stays the reference's (no parameters) so that
	// introspecting clients see the same method; the help documents the
	// optional status.
	add("supervisor.shutdown", "boolean", shutdownHelp, a.shutdown)
	add("supervisor.restart", "boolean", "Stop every process, read the configuration again and start over.\n\n@return boolean true unless an error occurs", a.checked(func() (any, error) { return true, a.b.Restart() }))
	add("supervisor.reloadConfig", "array", "Read the configuration again and report which groups were added, changed and removed, without applying it.\n\n@return array [[added, changed, removed]]", a.checked(a.reloadConfig))
	add("supervisor.addProcessGroup", "boolean string", "Start using a group from the configuration read last.\n\n@param string name group name\n@return boolean true unless an error occurs", a.groupName(a.b.AddProcessGroup))
	add("supervisor.removeProcessGroup", "boolean string", "Stop using a group whose processes are all stopped.\n\n@param string name group name\n@return boolean true unless an error occurs", a.groupName(a.b.RemoveProcessGroup))
	add("supervisor.startProcess", "boolean string boolean", "Start a process, or every process of a group with group:*.\n\n@param string name process name, group:name or group:*\n@param boolean wait wait until the process is RUNNING\n@return boolean true unless an error occurs", a.startProcess)
	add("supervisor.startProcessGroup", "array string boolean", "Start every process of a group.\n\n@param string name group name\n@param boolean wait wait until each process is RUNNING\n@return array one result struct per process", a.groupCall(true))
	add("supervisor.startAllProcesses", "array boolean", "Start every process.\n\n@param boolean wait wait until each process is RUNNING\n@return array one result struct per process", a.allCall(true))
	add("supervisor.stopProcess", "boolean string boolean", "Stop a process, or every process of a group with group:*.\n\n@param string name process name, group:name or group:*\n@param boolean wait wait until the process has stopped\n@return boolean true unless an error occurs", a.stopProcess)
	add("supervisor.stopProcessGroup", "array string boolean", "Stop every process of a group.\n\n@param string name group name\n@param boolean wait wait until each process has stopped\n@return array one result struct per process", a.groupCall(false))
	add("supervisor.stopAllProcesses", "array boolean", "Stop every process.\n\n@param boolean wait wait until each process has stopped\n@return array one result struct per process", a.allCall(false))
	add("supervisor.signalProcess", "boolean string string", "Send a signal to a process.\n\n@param string name process name or group:name\n@param string signal signal name (HUP, SIGHUP) or number\n@return boolean true unless an error occurs", a.signalProcess)
	add("supervisor.signalProcessGroup", "array string string", "Send a signal to every running process of a group.\n\n@param string name group name\n@param string signal signal name or number\n@return array one result struct per process", a.signalProcessGroup)
	add("supervisor.signalAllProcesses", "array string", "Send a signal to every running process.\n\n@param string signal signal name or number\n@return array one result struct per process", a.signalAllProcesses)
	add("supervisor.getAllConfigInfo", "array", "Describe the configuration of every process, in use or not.\n\n@return array one struct per process", a.checked(a.allConfigInfo))
	add("supervisor.getProcessInfo", "struct string", "Describe a process.\n\n@param string name process name or group:name\n@return struct process information", a.getProcessInfo)
	add("supervisor.getAllProcessInfo", "array", "Describe every process.\n\n@return array one process information struct per process", a.getAllProcessInfo)
	add("supervisor.readProcessStdoutLog", "string string int int", "Read part of a process's stdout log.\n\n@param string name process name or group:name\n@param int offset where to start; negative counts from the end\n@param int length how many bytes; 0 reads to the end\n@return string log data", a.readProcessLog(false))
	add("supervisor.readProcessLog", "string string int int", "Read part of a process's stdout log (an older name of readProcessStdoutLog).\n\n@param string name process name or group:name\n@param int offset where to start\n@param int length how many bytes\n@return string log data", a.readProcessLog(false))
	add("supervisor.readProcessStderrLog", "string string int int", "Read part of a process's stderr log.\n\n@param string name process name or group:name\n@param int offset where to start; negative counts from the end\n@param int length how many bytes; 0 reads to the end\n@return string log data", a.readProcessLog(true))
	add("supervisor.tailProcessStdoutLog", "array string int int", "Read the end of a process's stdout log, for following it.\n\n@param string name process name or group:name\n@param int offset where the previous read ended\n@param int length most bytes to return\n@return array [string data, int offset, boolean overflow]", a.tailProcessLog(false))
	add("supervisor.tailProcessLog", "array string int int", "Read the end of a process's stdout log (an older name of tailProcessStdoutLog).\n\n@param string name process name or group:name\n@param int offset where the previous read ended\n@param int length most bytes to return\n@return array [string data, int offset, boolean overflow]", a.tailProcessLog(false))
	add("supervisor.tailProcessStderrLog", "array string int int", "Read the end of a process's stderr log, for following it.\n\n@param string name process name or group:name\n@param int offset where the previous read ended\n@param int length most bytes to return\n@return array [string data, int offset, boolean overflow]", a.tailProcessLog(true))
	add("supervisor.clearProcessLogs", "boolean string", "Empty a process's stdout and stderr logs.\n\n@param string name process name or group:name\n@return boolean true unless an error occurs", a.clearProcessLogs)
	add("supervisor.clearProcessLog", "boolean string", "Empty a process's logs (an older name of clearProcessLogs).\n\n@param string name process name or group:name\n@return boolean true unless an error occurs", a.clearProcessLogs)
	add("supervisor.clearAllProcessLogs", "array", "Empty the logs of every process.\n\n@return array one result struct per process", a.checked(a.clearAllProcessLogs))
	add("supervisor.sendProcessStdin", "boolean string string", "Write to a process's standard input.\n\n@param string name process name or group:name\n@param string chars the data to write\n@return boolean true unless an error occurs", a.sendProcessStdin)
	add("supervisor.sendRemoteCommEvent", "boolean string string", "Emit a REMOTE_COMMUNICATION event for event listeners.\n\n@param string type the type field of the event\n@param string data the event body\n@return boolean true unless an error occurs", a.sendRemoteCommEvent)

	add("system.listMethods", "array", "List the names of every method.\n\n@return array method names", a.noArgs(anyState, func() (any, error) { return a.names, nil }))
	add("system.methodHelp", "string string", "Describe a method.\n\n@param string name method name\n@return string the description", a.aboutMethod(func(m *method) any { return m.help }))
	add("system.methodSignature", "array string", "Give a method's signature: its return type, then its parameter types.\n\n@param string name method name\n@return array types", a.aboutMethod(func(m *method) any { return m.sig }))
	add("system.multicall", "array array", "Run several calls in one request. Each call is a struct {methodName, params}; each result is the call's value or a {faultCode, faultString} struct.\n\n@param array calls the calls\n@return array results", a.multicall)
	return m
}

// aboutMethod serves methodHelp and methodSignature: what field says of
// the method named by the one argument.
func (a *API) aboutMethod(field func(*method) any) func(context.Context, []any) (any, error) {
	return func(_ context.Context, args []any) (any, error) {
		var arg any
		if err := a.decode(args, 1, 1, anyState, &arg); err != nil {
			return nil, err
		}
		name, _ := arg.(string)
		if meth := a.methods[name]; meth != nil {
			return field(meth), nil
		}
		return nil, faults.New(faults.SignatureUnsupported, "")
	}
}

// multicall runs the calls one after another, as Supervisor does, and
// returns each call's value, or its fault as a struct, in order.
func (a *API) multicall(ctx context.Context, args []any) (any, error) {
	var arg any
	if err := a.decode(args, 1, 1, anyState, &arg); err != nil {
		return nil, err
	}
	calls, ok := arg.([]any)
	if !ok {
		return nil, errParams()
	}
	results := make([]any, 0, len(calls))
	for _, c := range calls {
		v, err := a.oneOfMany(ctx, c)
		if err != nil {
			f := Fault(err)
			v = map[string]any{"faultCode": f.Code, "faultString": f.String}
		}
		results = append(results, v)
	}
	return results, nil
}

func (a *API) oneOfMany(ctx context.Context, c any) (any, error) {
	call, ok := c.(map[string]any)
	if !ok {
		return nil, errParams()
	}
	name, ok := call["methodName"].(string)
	if !ok {
		return nil, faults.New(faults.IncorrectParameters, "No methodName")
	}
	if name == "system.multicall" {
		return nil, faults.New(faults.IncorrectParameters, "Recursive system.multicall forbidden")
	}
	params := []any{}
	if p, present := call["params"]; present {
		if params, ok = p.([]any); !ok {
			return nil, errParams()
		}
	}
	return a.Call(ctx, name, params)
}
