package web

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"supervisord/internal/process"
)

// maxFormBytes bounds a POSTed form; the pages' forms are tiny.
const maxFormBytes = 64 << 10

// row is one process in the status table.
type row struct {
	Spec        string
	State       string
	Class       string
	Description string
	CanStart    bool
	CanStop     bool
	Pid         int
	Usage       string // what the process's tree uses, "" when not measured
}

type statusPage struct {
	chrome
	Message string
	IsError bool
	Rows    []row
}

type confirmPage struct {
	chrome
	Action, Verb, Spec string
	Described          string // the process's row, when it exists
}

type tailPage struct {
	chrome
	Spec    string
	Text    string
	Limit   int
	Auto    bool
	Refresh int // seconds
	HasName bool
}

// chrome is what every page shows around its content.
type chrome struct {
	Title      string
	Identifier string
	State      string
	Version    string
}

func (h *handler) chrome(title string) chrome {
	return chrome{Title: title, Identifier: h.b.Identifier(), State: h.b.State().String(), Version: h.opts.Version}
}

// form parses the query and, for a POST, the urlencoded body; body
// values win, as in the reference.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return r.URL.Query(), true
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "Bad Request: "+err.Error(), http.StatusBadRequest)
			return nil, false
		}
		return r.Form, true
	}
	w.Header().Set("Allow", "GET, HEAD, POST")
	http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
	return nil, false
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	form, ok := readForm(w, r)
	if !ok {
		return
	}
	verb, spec := form.Get("action"), form.Get("processname")
	if verb != "" {
		act, known := actions[verb]
		switch {
		case !known:
			http.Error(w, "Bad Request: unknown action "+strconv.Quote(verb), http.StatusBadRequest)
			return
		case act.perProcess && spec == "":
			http.Error(w, "Bad Request: action "+verb+" needs a processname", http.StatusBadRequest)
			return
		}
		if r.Method != http.MethodPost && verb != "refresh" {
			h.confirm(w, verb, act, spec)
			return
		}
		if r.Method == http.MethodPost && !sameOrigin(r) {
			http.Error(w, "Forbidden: cross-origin request", http.StatusForbidden)
			return
		}
		// Waiting for processes may take as long as their stop and
		// start settings say; neither the server's write timeout nor a
		// closed browser tab should cut an action in half.
		http.NewResponseController(w).SetWriteDeadline(time.Time{})
		msg := h.perform(context.WithoutCancel(r.Context()), verb, spec)
		// A relative Location (resolved by the browser against this
		// page's URL) keeps working when the UI is mounted under a prefix.
		w.Header().Set("Location", "index.html?message="+url.QueryEscape(msg))
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	msg := form.Get("message")
	h.render(w, http.StatusOK, "status.html", statusPage{
		chrome:  h.chrome("Supervisor Status"),
		Message: msg,
		IsError: isError(msg),
		Rows:    h.rows(),
	})
}

// rows lists every process sorted by group and name, as the reference's
// page does.
func (h *handler) rows() []row {
	var infos []process.Info
	for _, g := range h.b.Groups() {
		infos = append(infos, g.Processes...)
	}
	sort.SliceStable(infos, func(i, j int) bool {
		if infos[i].Group != infos[j].Group {
			return infos[i].Group < infos[j].Group
		}
		return infos[i].Name < infos[j].Name
	})
	rows := make([]row, len(infos))
	for i, p := range infos {
		rows[i] = row{
			Spec:        namespec(p.Group, p.Name),
			State:       p.State.String(),
			Class:       stateClass(p.State),
			Description: p.Description,
			CanStart:    p.State == process.Stopped || p.State == process.Exited || p.State == process.Fatal,
			CanStop:     p.State == process.Running,
			Pid:         p.Pid,
			Usage:       usageText(p.Usage),
		}
	}
	return rows
}

// stateClass picks the badge colour: good, bad, busy or idle.
func stateClass(s process.State) string {
	switch s {
	case process.Running:
		return "good"
	case process.Fatal, process.Backoff, process.Unknown:
		return "bad"
	case process.Starting, process.Stopping:
		return "busy"
	}
	return "idle"
}

func (h *handler) confirm(w http.ResponseWriter, verb string, act action, spec string) {
	page := confirmPage{chrome: h.chrome("Confirm: " + act.Verb), Action: verb, Verb: act.Verb, Spec: spec}
	if act.perProcess {
		if info, ok := find(h.b.Groups(), spec); ok {
			page.Described = info.State.String() + " " + info.Description
		}
	}
	h.render(w, http.StatusOK, "confirm.html", page)
}

func (h *handler) serveTail(w http.ResponseWriter, r *http.Request) {
	form, ok := readForm(w, r)
	if !ok {
		return
	}
	spec := form.Get("processname")
	limit := 1024
	if s := form.Get("limit"); s != "" && strings.Trim(s, "0123456789") == "" {
		if n, err := strconv.Atoi(s); err == nil {
			limit = max(limit, min(n, maxTailBytes))
		} else {
			limit = maxTailBytes
		}
	}
	page := tailPage{
		chrome:  h.chrome("Supervisor tail of process " + spec),
		Spec:    spec,
		Limit:   limit,
		Auto:    form.Get("auto") != "0",
		Refresh: max(1, int(h.opts.TailRefresh.Round(time.Second)/time.Second)),
		HasName: spec != "",
	}
	page.Text = h.tailText(spec, limit)
	h.render(w, http.StatusOK, "tail.html", page)
}

// tailText is the end of spec's stdout log, or why there is none, worded
// as the reference words it.
func (h *handler) tailText(spec string, limit int) string {
	if spec == "" {
		return "No process name found"
	}
	info, ok := find(h.b.Groups(), spec)
	if !ok {
		return "ERROR: unexpected rpc fault [10] BAD_NAME: " + spec
	}
	if info.StdoutLogfile == "" {
		return "No file for " + spec
	}
	data, _, _, err := h.opts.Tail(info.StdoutLogfile, 0, int64(limit))
	if err != nil {
		return unexpected(fault(err, spec))
	}
	return strings.ToValidUTF8(string(data), "\uFFFD")
}
