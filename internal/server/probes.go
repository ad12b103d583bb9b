package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/rpc"
)

// Prober answers the liveness and readiness probes (Kubernetes httpGet,
// load balancers, systemd-free health checks). The supervisor implements
// it; a backend that does not gets no probe routes.
type Prober interface {
	// Healthz returns nil when the supervisor's loop answers.
	Healthz(ctx context.Context) error
	// Readyz reports whether every autostart program is up, and which
	// are not.
	Readyz(ctx context.Context) (ready bool, notReady []string, err error)
}

// Probe paths.
const (
	HealthzPath = "/healthz"
	ReadyzPath  = "/readyz"
)

// probeTimeout bounds how long a probe waits for the loop; a loop that
// takes longer is reported as not answering.
const probeTimeout = time.Second

// maxNotReady bounds the lines of a 503 from /readyz.
const maxNotReady = 20

type probes struct {
	p      Prober
	noAuth bool // probes_auth=false: probes skip the servers' credentials
}

func newProbes(cfg *config.Config, backend rpc.Backend) *probes {
	p, ok := backend.(Prober)
	if !ok {
		return nil
	}
	return &probes{p: p, noAuth: cfg != nil && cfg.Supervisord.ProbesNoAuth}
}

// register mounts the probes on mux (behind authentication, like every
// route, unless bypassAuth serves them first).
func (pr *probes) register(mux *http.ServeMux) {
	if pr == nil {
		return
	}
	mux.HandleFunc(HealthzPath, pr.healthz)
	mux.HandleFunc(ReadyzPath, pr.readyz)
}

// bypassAuth serves the probe paths without credentials when the
// configuration says so, and hands everything else to authed.
func (pr *probes) bypassAuth(authed http.Handler) http.Handler {
	if pr == nil || !pr.noAuth {
		return authed
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case HealthzPath:
			pr.healthz(w, r)
		case ReadyzPath:
			pr.readyz(w, r)
		default:
			authed.ServeHTTP(w, r)
		}
	})
}

// allowed answers 405 for anything but GET and HEAD.
func allowed(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
	return false
}

func probeReply(w http.ResponseWriter, code int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprint(w, body)
}

func (pr *probes) healthz(w http.ResponseWriter, r *http.Request) {
	if !allowed(w, r) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
	defer cancel()
	if err := pr.p.Healthz(ctx); err != nil {
		probeReply(w, http.StatusServiceUnavailable, fmt.Sprintf("not healthy: %v\n", err))
		return
	}
	probeReply(w, http.StatusOK, "ok\n")
}

func (pr *probes) readyz(w http.ResponseWriter, r *http.Request) {
	if !allowed(w, r) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
	defer cancel()
	ready, notReady, err := pr.p.Readyz(ctx)
	if err != nil {
		probeReply(w, http.StatusServiceUnavailable, fmt.Sprintf("not ready: %v\n", err))
		return
	}
	if ready {
		probeReply(w, http.StatusOK, "ok\n")
		return
	}
	var b strings.Builder
	b.WriteString("not ready:\n")
	for i, s := range notReady {
		if i == maxNotReady {
			fmt.Fprintf(&b, "... and %d more\n", len(notReady)-maxNotReady)
			break
		}
		b.WriteString(s)
		b.WriteByte('\n')
	}
	probeReply(w, http.StatusServiceUnavailable, b.String())
}
