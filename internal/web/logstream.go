package web

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"supervisord/internal/logfile"
)

// logPath is the file of spec's stdout or stderr log, or why there is
// none.
func (h *handler) logPath(spec, channel string) (string, int) {
	info, ok := find(h.b.Groups(), spec)
	if !ok {
		return "", http.StatusNotFound
	}
	switch channel {
	case "", "stdout":
		return info.StdoutLogfile, http.StatusOK
	case "stderr":
		return info.StderrLogfile, http.StatusOK
	}
	return "", http.StatusBadRequest
}

// serveLogStream is GET logstream?processname=x&channel=stdout|stderr
// &limit=n: server-sent events, first {"type":"reset"} and the last
// limit bytes, then every chunk appended to the file, each as
// {"type":"data","text":...}. Text is valid UTF-8 (invalid bytes become
// U+FFFD, a character cut between two chunks is kept for the next) and
// reaches the page as a JSON string, so binary output cannot inject
// anything.
func (h *handler) serveLogStream(w http.ResponseWriter, r *http.Request) {
	path, ok := h.requestedLog(w, r, http.MethodGet)
	if !ok {
		return
	}
	limit := int64(64 << 10)
	if n, err := strconv.ParseInt(r.URL.Query().Get("limit"), 10, 64); err == nil && n >= 0 {
		limit = min(n, maxTailBytes)
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	sw := &sseText{w: w, rc: rc}
	if _, err := w.Write(appendEvent([]byte("retry: 2000\n\n"), event{Type: "reset"})); err != nil {
		return
	}
	rc.Flush()
	if _, err := os.Stat(path); err != nil {
		// Not written yet: say so, and let the browser try again.
		w.Write(appendEvent(nil, event{Type: "missing"}))
		rc.Flush()
		return
	}
	logfile.Follow(r.Context(), path, limit, sw)
}

// sseText turns a byte stream into "data" events of valid UTF-8.
type sseText struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	carry []byte // the start of a character cut off at the end of a write
}

type textEvent struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func (s *sseText) Write(p []byte) (int, error) {
	buf := append(s.carry, p...)
	s.carry = nil
	// Keep an incomplete last character (at most 3 bytes) for later.
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-3; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				s.carry = append([]byte(nil), buf[i:]...)
				buf = buf[:i]
			}
			break
		}
	}
	if len(buf) == 0 {
		return len(p), nil
	}
	js, _ := json.Marshal(textEvent{Type: "data", Text: strings.ToValidUTF8(string(buf), "\uFFFD")})
	out := append([]byte("data: "), js...)
	out = append(out, '\n', '\n')
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (s *sseText) Flush() { s.rc.Flush() }

// serveLogFile is GET logfile?processname=x&channel=stdout|stderr: the
// whole current log file as a download.
func (h *handler) serveLogFile(w http.ResponseWriter, r *http.Request) {
	path, ok := h.requestedLog(w, r, http.MethodGet, http.MethodHead)
	if !ok {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	http.NewResponseController(w).SetWriteDeadline(time.Time{})
	name := strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r >= 0x7f {
			return '_'
		}
		return r
	}, filepath.Base(path))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	// The size now: a file still being written is sent up to here.
	http.ServeContent(w, r, "", st.ModTime(), io.NewSectionReader(f, 0, st.Size()))
}

// requestedLog is the log file a stream or download request names
// (processname, channel), having answered the request itself with 405,
// 404 or the refusal logPath gives when there is none to serve.
func (h *handler) requestedLog(w http.ResponseWriter, r *http.Request, methods ...string) (string, bool) {
	if !slices.Contains(methods, r.Method) {
		w.Header().Set("Allow", strings.Join(methods, ", "))
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return "", false
	}
	q := r.URL.Query()
	path, status := h.logPath(q.Get("processname"), q.Get("channel"))
	if path == "" {
		if status == http.StatusOK {
			status = http.StatusNotFound
		}
		http.Error(w, http.StatusText(status), status)
		return "", false
	}
	return path, true
}
