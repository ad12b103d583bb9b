// Package web serves the status page that Supervisor users open in a
// browser: a table of every process with its state and buttons to start,
// stop, restart and clear logs, and a page showing the end of a process's
// log. It keeps the reference's URLs (index.html, tail.html and their
// query parameters) so bookmarks keep working, but it changes state only
// on same-origin POSTs: a GET carrying an action asks for confirmation.
//
// The pages are rendered on the server with html/template, need no
// JavaScript and fetch nothing from other sites.
package web

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"supervisord/internal/logfile"
	"supervisord/internal/process"
	"supervisord/internal/rpc"
)

// Backend is what the pages need from the supervisor; *supervisor.Supervisor
// (any rpc.Backend) provides it. If it also implements rpc.BatchBackend,
// "Stop all" and "Restart all" act on all processes the way the
// stopAllProcesses and startAllProcesses methods do.
type Backend interface {
	Identifier() string
	State() process.SupervisorState
	Groups() []rpc.GroupSnapshot
	StartProcess(ctx context.Context, group, name string, wait bool) error
	StopProcess(ctx context.Context, group, name string, wait bool) error
	ClearProcessLogs(group, name string) error
}

// Options tune the handler. Zero values give the defaults.
type Options struct {
	// Tail returns the last bytes of a log file with tailProcessStdoutLog's
	// contract; default logfile.Tail.
	Tail func(path string, offset, length int64) ([]byte, int64, bool, error)
	// Version is shown in the page footer.
	Version string
	// Now is the clock for the times in messages; default time.Now.
	Now func() time.Time
	// TailRefresh is how often the tail page reloads itself when
	// auto-refresh is on; default 2 s.
	TailRefresh time.Duration
}

// maxTailBytes bounds how much of a log the tail page shows, whatever
// the limit parameter asks for.
const maxTailBytes = 1 << 20

//go:embed assets
var assets embed.FS

type handler struct {
	b     Backend
	opts  Options
	pages *template.Template
	css   []byte
	js    []byte
	hub   *hub
}

// Handler returns the web UI for b. It answers, relative to where it is
// mounted (all links are relative): "/" and "/index.html" (the status
// table), "/tail.html" (a log), "/events" (the live stream of state
// changes), "/api/action" (actions for the page's script), "/logstream"
// (a log as it is written), "/logfile" (a whole log, to download),
// "/stylesheets/supervisor.css" and "/console.js"; 404 for anything else.
func Handler(b Backend, opts Options) http.Handler {
	if opts.Tail == nil {
		opts.Tail = logfile.Tail
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TailRefresh <= 0 {
		opts.TailRefresh = 2 * time.Second
	}
	css, err := assets.ReadFile("assets/supervisor.css")
	if err != nil {
		panic("web: embedded stylesheet missing: " + err.Error())
	}
	js, err := assets.ReadFile("assets/console.js")
	if err != nil {
		panic("web: embedded script missing: " + err.Error())
	}
	pages := template.Must(template.New("").Funcs(template.FuncMap{
		"lower":      strings.ToLower,
		"pathEscape": url.PathEscape,
		"since":      sinceText,
		"bytes":      bytesText,
		"rows":       rowsHTML,
		"unixms":     func(t time.Time) int64 { return t.UnixMilli() },
	}).ParseFS(assets, "assets/*.html"))
	h := &handler{b: b, opts: opts, pages: pages, css: css, js: js}
	h.hub = newHub(h)
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	page := strings.TrimLeft(r.URL.Path, "/")
	switch page {
	case "", "index.html":
		h.serveIndex(w, r)
	case "tail.html":
		h.serveTail(w, r)
	case "events":
		h.serveEvents(w, r)
	case "api/action":
		h.serveAction(w, r)
	case "logstream":
		h.serveLogStream(w, r)
	case "logfile":
		h.serveLogFile(w, r)
	case "stylesheets/supervisor.css":
		h.serveAsset(w, r, "text/css; charset=utf-8", h.css)
	case "console.js":
		h.serveAsset(w, r, "text/javascript; charset=utf-8", h.js)
	default:
		http.NotFound(w, r)
	}
}

func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request, ctype string, body []byte) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(body)
}

// render writes a page with headers that keep it from being framed or
// cached.
func (h *handler) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	buf.Grow(64 << 10)
	if err := h.pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "Internal Server Error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
