package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"supervisord/internal/process"
	"supervisord/internal/rpc"
)

// Signaler is what a Backend implements to offer "signal" (the
// signalProcess method); *supervisor.Supervisor does.
type Signaler interface {
	SignalProcess(group, name string, sig syscall.Signal) error
}

// signalNames are the signals the console offers, in menu order.
var signalNames = []string{"HUP", "USR1", "USR2", "INT", "TERM", "QUIT", "KILL", "STOP", "CONT"}

var signalByName = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "INT": syscall.SIGINT,
	"TERM": syscall.SIGTERM, "QUIT": syscall.SIGQUIT, "KILL": syscall.SIGKILL, "STOP": syscall.SIGSTOP,
	"CONT": syscall.SIGCONT,
}

// result is the outcome of an action on one process.
type result struct {
	Spec    string `json:"spec"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// expand turns namespecs into processes: "name", "group:name", or
// "group:*" (and "group:") for every process of a group. Unknown names
// come back in bad, in order; each process is listed once.
func expand(groups []rpc.GroupSnapshot, specs []string) (found []process.Info, bad []string) {
	seen := map[string]bool{}
	add := func(p process.Info) {
		if k := p.FullName(); !seen[k] {
			seen[k] = true
			found = append(found, p)
		}
	}
	for _, spec := range specs {
		g, n := splitNamespec(spec)
		if n != "" {
			if p, ok := find(groups, spec); ok {
				add(p)
			} else {
				bad = append(bad, spec)
			}
			continue
		}
		i := slices.IndexFunc(groups, func(x rpc.GroupSnapshot) bool { return x.Name == g })
		if i < 0 || !strings.Contains(spec, ":") {
			bad = append(bad, spec)
			continue
		}
		for _, p := range groups[i].Processes {
			add(p)
		}
	}
	return found, bad
}

// isGroupSpec reports whether spec names a whole group ("group:*" or
// "group:").
func isGroupSpec(spec string) bool {
	_, n := splitNamespec(spec)
	return n == "" && strings.Contains(spec, ":")
}

// performMany carries out verb on every process specs name and reports
// each one, worded as the single actions are. Starts and stops of a
// selection run together, as supervisorctl's do.
func (h *handler) performMany(ctx context.Context, verb string, specs []string, sig string) []result {
	procs, bad := expand(h.b.Groups(), specs)
	var out []result
	for _, b := range bad {
		out = append(out, result{Spec: b, Message: "No such process named " + b})
	}
	refs := make([]rpc.ProcessRef, len(procs))
	names := make([]string, len(procs))
	for i, p := range procs {
		refs[i] = rpc.ProcessRef{Group: p.Group, Name: p.Name}
		names[i] = namespec(p.Group, p.Name)
	}
	errs := make([]error, len(procs))
	run := func(start bool) {
		if bb, ok := h.b.(rpc.BatchBackend); ok {
			done := func(i int, err error) { errs[i] = err }
			if start {
				bb.StartProcesses(ctx, refs, true, done)
			} else {
				bb.StopProcesses(ctx, refs, true, done)
			}
			return
		}
		for i, p := range refs {
			if start {
				errs[i] = h.b.StartProcess(ctx, p.Group, p.Name, true)
			} else {
				errs[i] = h.b.StopProcess(ctx, p.Group, p.Name, true)
			}
		}
	}
	switch verb {
	case "start":
		run(true)
		for i, n := range names {
			if errs[i] != nil {
				out = append(out, result{n, false, startError(n, errs[i])})
			} else {
				out = append(out, result{n, true, "Process " + n + " started"})
			}
		}
	case "stop":
		run(false)
		for i, n := range names {
			if errs[i] != nil {
				out = append(out, result{n, false, unexpected(fault(errs[i], n))})
			} else {
				out = append(out, result{n, true, "Process " + n + " stopped"})
			}
		}
	case "restart":
		// As for one process: a failed stop does not prevent the start.
		run(false)
		clear(errs)
		run(true)
		for i, n := range names {
			if errs[i] != nil {
				out = append(out, result{n, false, startError(n, errs[i])})
			} else {
				out = append(out, result{n, true, "Process " + n + " restarted"})
			}
		}
	case "signal":
		s, ok := signalByName[strings.TrimPrefix(strings.ToUpper(sig), "SIG")]
		sb, can := h.b.(Signaler)
		for _, n := range names {
			switch {
			case !ok:
				out = append(out, result{n, false, "ERROR: unknown signal " + strconv.Quote(sig)})
			case !can:
				out = append(out, result{n, false, "ERROR: this daemon cannot signal processes"})
			default:
				g, name := splitNamespec(n)
				if err := sb.SignalProcess(g, name, s); err != nil {
					out = append(out, result{n, false, unexpected(fault(err, n))})
				} else {
					out = append(out, result{n, true, "Process " + n + " sent SIG" + strings.TrimPrefix(strings.ToUpper(sig), "SIG")})
				}
			}
		}
	default:
		for _, n := range names {
			msg := h.perform(ctx, verb, n)
			out = append(out, result{n, !isError(msg), msg})
		}
	}
	return out
}

// serveAction is POST api/action, what the page's script calls: the
// form fields of the status page (action, processname repeated, signal)
// in, one result per process out as JSON. "stopall" and "restartall"
// need no processname.
func (h *handler) serveAction(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	if !sameOrigin(r) {
		http.Error(w, "Forbidden: cross-origin request", http.StatusForbidden)
		return
	}
	if readOnly(r) {
		http.Error(w, "Forbidden: read-only user", http.StatusForbidden)
		return
	}
	form, ok := readForm(w, r)
	if !ok {
		return
	}
	verb := form.Get("action")
	act, known := actions[verb]
	specs := slices.DeleteFunc(slices.Clone(form["processname"]), func(s string) bool { return s == "" })
	switch {
	case !known || verb == "refresh":
		http.Error(w, "Bad Request: unknown action "+strconv.Quote(verb), http.StatusBadRequest)
		return
	case act.perProcess && len(specs) == 0:
		http.Error(w, "Bad Request: action "+verb+" needs a processname", http.StatusBadRequest)
		return
	}
	http.NewResponseController(w).SetWriteDeadline(time.Time{})
	ctx := context.WithoutCancel(r.Context())
	var out []result
	if act.perProcess {
		out = h.performMany(ctx, verb, specs, form.Get("signal"))
	} else {
		msg := h.perform(ctx, verb, "")
		out = []result{{Spec: "", OK: !isError(msg), Message: msg}}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(struct {
		Results []result `json:"results"`
	}{out})
}
