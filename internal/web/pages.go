package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"supervisord/internal/authz"
	"supervisord/internal/process"
)

// maxFormBytes bounds a POSTed form; the pages' forms are tiny.
const maxFormBytes = 64 << 10

type statusPage struct {
	chrome
	Message  string
	IsError  bool
	Filter   string
	Groups   []groupRows
	Counts   []stateCount
	Total    int
	Shown    int
	Live     bool // the event stream is there
	Signals  []string
	Now      time.Time
	Rows     []row // every row, in order
	HasUsage bool
}

type confirmPage struct {
	chrome
	Action, Verb, Spec string
	Specs              []string // several processes (a selection)
	Described          string   // the process's row, when it exists
	Signals            []string // for "signal": the choices
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
	ReadOnly   bool // the user may only look: no actions are shown
}

func (h *handler) chrome(r *http.Request, title string) chrome {
	return chrome{Title: title, Identifier: h.b.Identifier(), State: h.b.State().String(), Version: h.opts.Version, ReadOnly: readOnly(r)}
}

// readOnly reports whether the request's user may only look.
func readOnly(r *http.Request) bool { return authz.FromContext(r.Context()) == authz.ReadOnly }

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
	verb, specs := form.Get("action"), form["processname"]
	if one := form.Get("act1"); one != "" {
		// A row's or a group's own button: "verb:spec".
		v, spec, _ := strings.Cut(one, ":")
		verb, specs = v, []string{spec}
	}
	specs = slices.DeleteFunc(slices.Clone(specs), func(s string) bool { return s == "" })
	if verb != "" {
		act, known := actions[verb]
		switch {
		case !known:
			http.Error(w, "Bad Request: unknown action "+strconv.Quote(verb), http.StatusBadRequest)
			return
		case act.perProcess && len(specs) == 0:
			http.Error(w, "Bad Request: action "+verb+" needs a processname", http.StatusBadRequest)
			return
		}
		if !act.perProcess {
			specs = nil // the selection does not matter to "all"
		}
		if verb != "refresh" && readOnly(r) {
			http.Error(w, "Forbidden: read-only user", http.StatusForbidden)
			return
		}
		sig := form.Get("signal")
		if (r.Method != http.MethodPost && verb != "refresh") || (verb == "signal" && sig == "") {
			h.confirm(w, r, verb, act, specs)
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
		ctx := context.WithoutCancel(r.Context())
		var msg string
		if len(specs) <= 1 && verb != "signal" && !slices.ContainsFunc(specs, isGroupSpec) {
			msg = h.perform(ctx, verb, strings.Join(specs, ""))
		} else {
			var parts []string
			for _, res := range h.performMany(ctx, verb, specs, sig) {
				parts = append(parts, res.Message)
			}
			msg = strings.Join(parts, "; ")
		}
		// A relative Location (resolved by the browser against this
		// page's URL) keeps working when the UI is mounted under a prefix.
		w.Header().Set("Location", "index.html?message="+url.QueryEscape(msg))
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	msg := form.Get("message")
	page := statusPage{
		chrome:  h.chrome(r, "Supervisor Status"),
		Message: msg,
		IsError: isError(msg),
		Filter:  form.Get("filter"),
		Signals: signalNames,
		Now:     h.opts.Now(),
	}
	_, page.Live = h.b.(Subscriber)
	h.fillTable(&page)
	h.render(w, http.StatusOK, "status.html", page)
}

// rows lists every process sorted by group and name, as the reference's
// page does.
func (h *handler) rows() []row {
	var restarts map[string]uint64
	if rs, ok := h.b.(rowsSource); ok {
		restarts = rs.Restarts()
	}
	infos := sortedInfos(h.b.Groups())
	rows := make([]row, len(infos))
	for i, p := range infos {
		spec := namespec(p.Group, p.Name)
		since, spark, cpu := h.hub.current(spec)
		rd := infoRow(p, restarts[p.FullName()], since)
		rd.CPU = cpu
		rows[i] = row{
			rowData:     rd,
			Class:       stateClass(p.State),
			Description: p.Description,
			CanStart:    p.State == process.Stopped || p.State == process.Exited || p.State == process.Fatal,
			CanStop:     p.State == process.Running,
			Spark:       spark,
		}
	}
	return rows
}

// fillTable groups the rows, counts them by state and applies the
// filter.
func (h *handler) fillTable(page *statusPage) {
	rows := h.rows()
	page.Rows = rows
	page.Total = len(rows)
	counts := map[string]int{}
	var cur *groupRows
	for _, r := range rows {
		counts[r.State]++
		if r.Measured {
			page.HasUsage = true
		}
		// Rows the filter hides are sent hidden, so that the page's
		// script can show them again when the filter changes.
		r.Hidden = !matches(r.rowData, page.Filter)
		if !r.Hidden {
			page.Shown++
		}
		if cur == nil || cur.Name != r.Group {
			page.Groups = append(page.Groups, groupRows{Name: r.Group})
			cur = &page.Groups[len(page.Groups)-1]
		}
		cur.Rows = append(cur.Rows, r)
	}
	for i := range page.Groups {
		g := &page.Groups[i]
		g.Header = len(g.Rows) > 1 || g.Rows[0].Name != g.Name
		g.Hidden = !slices.ContainsFunc(g.Rows, func(r row) bool { return !r.Hidden })
	}
	for _, st := range stateOrder {
		page.Counts = append(page.Counts, stateCount{State: st.String(), Class: stateClass(st), N: counts[st.String()]})
	}
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

func (h *handler) confirm(w http.ResponseWriter, r *http.Request, verb string, act action, specs []string) {
	spec := strings.Join(specs, ", ")
	page := confirmPage{chrome: h.chrome(r, "Confirm: "+act.Verb), Action: verb, Verb: act.Verb, Spec: spec, Specs: specs}
	if verb == "signal" {
		page.Signals = signalNames
	}
	if act.perProcess && len(specs) == 1 {
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
		chrome:  h.chrome(r, "Supervisor tail of process "+spec),
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
	if fi, err := os.Stat(info.StdoutLogfile); info.StdoutLogfile == "" || (err == nil && !fi.Mode().IsRegular()) {
		// Nothing to tail in a device such as /dev/stdout.
		return "No file for " + spec
	}
	data, _, _, err := h.opts.Tail(info.StdoutLogfile, 0, int64(limit))
	if err != nil {
		return unexpected(fault(err, spec))
	}
	return strings.ToValidUTF8(string(data), "\uFFFD")
}
