package server

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// rateLimiter lets through at most n events per period and counts the
// rest, so that hostile clients cannot flood the log.
type rateLimiter struct {
	n      int
	period time.Duration

	mu         sync.Mutex // guards start, count, suppressed
	start      time.Time
	count      int
	suppressed int
}

func newRateLimiter(n int, period time.Duration) *rateLimiter {
	return &rateLimiter{n: n, period: period}
}

// allow reports whether an event may be logged now, and how many were
// suppressed since the last one allowed at the start of a period.
func (r *rateLimiter) allow(now time.Time) (ok bool, suppressed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.start) >= r.period {
		r.start, r.count = now, 0
		suppressed, r.suppressed = r.suppressed, 0
	}
	if r.count >= r.n {
		r.suppressed++
		return false, 0
	}
	r.count++
	return true, suppressed
}

// badRequest logs a rejected request, at a bounded rate.
func (s *Server) badRequest(r *http.Request, why string) {
	s.logLimited(fmt.Sprintf("rejected %s %s from %s: %s", r.Method, trim(r.URL.Path, 100), remote(r), why))
}

func (s *Server) logLimited(msg string) {
	ok, suppressed := s.bad.allow(time.Now())
	if !ok {
		return
	}
	if suppressed > 0 {
		s.logger.Warn(fmt.Sprintf("%d more rejected requests were not logged", suppressed))
	}
	s.logger.Warn(msg)
}

func remote(r *http.Request) string {
	if r.RemoteAddr == "" || r.RemoteAddr == "@" {
		return "unix socket"
	}
	return r.RemoteAddr
}

func trim(s string, n int) string {
	if len(s) > n {
		return fmt.Sprintf("%q...", s[:n])
	}
	return fmt.Sprintf("%q", s)
}

// limitedLog receives net/http's own error messages (bad TLS, broken
// connections) and logs them at a bounded rate.
type limitedLog struct{ s *Server }

func (l *limitedLog) Write(p []byte) (int, error) {
	l.s.logLimited("http: " + strings.TrimSpace(string(p)))
	return len(p), nil
}
