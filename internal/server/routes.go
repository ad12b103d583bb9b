package server

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"supervisord/internal/logfile"
	"supervisord/internal/rpc"
	"supervisord/internal/xmlrpc"
)

func (s *Server) routes() {
	s.mux.HandleFunc("/RPC2", s.serveRPC)
	s.mux.HandleFunc("/RPC2/", s.serveRPC)
	s.mux.HandleFunc("/logtail/", s.serveLogtail)
	s.mux.HandleFunc("/mainlogtail", s.serveMainLogtail)
	s.mux.HandleFunc("GET /ok.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "OK")
	})
	s.mux.HandleFunc("POST /{$}", s.serveRoot)
	s.probes.register(s.mux)
	for pattern, h := range s.opts.Extra {
		s.Handle(pattern, h)
	}
}

// serveRoot treats an XML POST to / as an XML-RPC call (some clients post
// to the bare server URL) and leaves anything else to the web UI.
func (s *Server) serveRoot(w http.ResponseWriter, r *http.Request) {
	if isRPCRoot(r, s.hasUI) {
		s.serveRPC(w, r)
		return
	}
	s.uiHandler().ServeHTTP(w, r)
}

// isRPCRoot reports whether a POST to / is an XML-RPC call.
func isRPCRoot(r *http.Request, hasUI bool) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "text/xml" || ct == "application/xml" || !hasUI
}

func (s *Server) uiHandler() http.Handler {
	if s.ui != nil {
		return s.ui
	}
	return http.NotFoundHandler()
}

func (s *Server) serveRPC(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.badRequest(r, "XML-RPC needs POST")
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		s.badRequest(r, "body too large ("+strconv.FormatInt(r.ContentLength, 10)+" bytes)")
		w.Header().Set("Connection", "close")
		http.Error(w, "Request Entity Too Large", http.StatusRequestEntityTooLarge)
		return
	}
	// The body is read into a pooled buffer and decoded from there: the
	// decoded call refers to none of it.
	in := s.replies.get()
	data, err := xmlrpc.AppendLimited((*in)[:0], r.Body, s.opts.MaxBodyBytes)
	var method string
	var params []any
	if err == nil {
		method, params, err = xmlrpc.DecodeCallBytes(data, xmlrpc.Limits{MaxBytes: s.opts.MaxBodyBytes, MaxDepth: s.opts.MaxDepth})
	}
	s.replies.put(in, data)
	if err != nil {
		if errors.Is(err, xmlrpc.ErrTooLarge) {
			s.badRequest(r, "body too large")
			w.Header().Set("Connection", "close")
			http.Error(w, "Request Entity Too Large", http.StatusRequestEntityTooLarge)
			return
		}
		s.badRequest(r, err.Error())
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return
	}
	// A call may wait for processes to start or stop for as long as
	// their configuration says; the write timeout must not cut it off.
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})

	s.auditCall(r, method, params)
	v, err := s.traceCall(r.Context(), method, func() (any, error) { return s.api.Call(r.Context(), method, params) })
	if st, ok := v.(xmlrpc.Streamer); ok && err == nil && st.EncodedSize() > s.opts.StreamAbove {
		s.streamReply(w, st)
		return
	}
	buf := s.replies.get()
	var out []byte
	if err == nil {
		s.encodes.enter()
		out, err = xmlrpc.AppendResponse((*buf)[:0], v)
		s.encodes.leave()
		if r, ok := v.(xmlrpc.Releaser); ok {
			r.Release()
		}
		if err != nil {
			s.logLimited("cannot encode the reply to " + method + ": " + err.Error())
		}
	}
	if err != nil {
		out = xmlrpc.AppendFault((*buf)[:0], rpc.Fault(err))
	}
	h := w.Header()
	h["Content-Type"] = textXML
	h["Content-Length"] = []string{strconv.Itoa(len(out))}
	w.Write(out)
	s.replies.put(buf, out)
}

// textXML is the replies' Content-Type, one value shared by all of them
// (net/http copies the header as it writes it).
var textXML = []string{"text/xml"}

// streamChunk is how much of a streamed reply is encoded before it is
// written.
const streamChunk = 64 << 10

// streamReply sends a reply larger than Options.StreamAbove as it is
// encoded, through a buffer of about streamChunk, without a
// Content-Length: HTTP/1.1 clients get it chunked (Python's http.client,
// under xmlrpc.client and supervisorctl, reads that as any other body),
// and for an HTTP/1.0 client the connection ends with it. Held whole, a
// getAllProcessInfo over 10,000 programs was a 15 MB buffer, kept in the
// pool between calls and, once an idle daemon had handed its memory
// back, allocated and faulted in anew for the next reply (a trace of the
// first call after a quiet spell: 160 ms encoding, where a warm encode
// takes about 6). The encode gate is let go while a piece is written, as it is
// for a whole reply, so that a slow reader holds up no other encode.
func (s *Server) streamReply(w http.ResponseWriter, v xmlrpc.Streamer) {
	if rel, ok := v.(xmlrpc.Releaser); ok {
		defer rel.Release()
	}
	buf := s.replies.get()
	w.Header().Set("Content-Type", "text/xml")
	s.encodes.enter()
	held := true
	flush := func(b []byte) error {
		s.encodes.leave()
		held = false
		_, err := w.Write(b)
		s.encodes.enter()
		held = true
		return err
	}
	out, err := xmlrpc.StreamResponse((*buf)[:0], v, streamChunk, flush)
	if held {
		s.encodes.leave()
	}
	if err != nil {
		// Only a write fails here: the client has gone, as it may at any
		// time; a whole reply's failed write is not reported either.
		return
	}
	s.replies.put(buf, out)
}

// serveLogtail follows a process log: /logtail/name, /logtail/name/stdout
// or /logtail/name/stderr.
func (s *Server) serveLogtail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, "/logtail/")
	name, channel, found := strings.Cut(rest, "/")
	if !found {
		channel = "stdout"
	}
	if channel != "stdout" && channel != "stderr" {
		http.NotFound(w, r)
		return
	}
	path, err := s.api.LogPath(name, channel == "stderr")
	if err != nil || path == "" {
		http.NotFound(w, r)
		return
	}
	s.follow(w, r, path)
}

func (s *Server) serveMainLogtail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return
	}
	path := s.api.MainLogPath()
	if path == "" {
		http.NotFound(w, r)
		return
	}
	s.follow(w, r, path)
}

// follow streams the last kilobyte of path, then everything appended to
// it, until the client goes away or the server shuts down.
func (s *Server) follow(w http.ResponseWriter, r *http.Request, path string) {
	st, err := os.Stat(path)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})
	rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Last-Modified", st.ModTime().UTC().Format(http.TimeFormat))
	h.Set("Content-Type", "text/plain;charset=utf-8")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc.Flush()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	if err := logfile.Follow(ctx, path, 1024, &flushWriter{w: w, rc: rc}); err != nil && ctx.Err() == nil {
		s.logLimited("log tail of " + path + " ended: " + err.Error())
	}
}

// flushWriter sends each batch to the client at once.
type flushWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (f *flushWriter) Write(p []byte) (int, error) { return f.w.Write(p) }
func (f *flushWriter) Flush()                      { f.rc.Flush() }
