package metrics

import (
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// handler serves /metrics: the registry's families (the daemon's own Go
// and process metrics, and the handler's error counter) and the
// supervisord_ families, merged in name order.
//
// It is the client library's promhttp handler but for one thing: promhttp
// wants every family built before it encodes the first, and the
// supervisord_ families hold a sample structure per process for each of a
// dozen families (about 190 bytes a sample): at 10,000 programs three
// scrapes in a row took the daemon from 39 to 113 MB of RSS. Here each
// supervisord_ family is built just before it is encoded, into memory the
// next one reuses (families.go). What a scraper sees is promhttp's answer
// with the same options (text or protobuf by Accept, through
// expfmt.Negotiate; gzip by Accept-Encoding, as promhttp negotiates it;
// promhttp_metric_handler_errors_total counted by cause) — a test holds
// the two side by side.
type handler struct {
	reg  *prometheus.Registry
	src  Source
	opts Options
	errs *prometheus.CounterVec
}

func newHandler(reg *prometheus.Registry, src Source, opts Options) *handler {
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "promhttp_metric_handler_errors_total",
		Help: "Total number of internal errors encountered by the promhttp metric handler.",
	}, []string{"cause"})
	errs.WithLabelValues("gathering")
	errs.WithLabelValues("encoding")
	reg.MustRegister(errs)
	return &handler{reg: reg, src: src, opts: opts, errs: errs}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	own, err := h.reg.Gather()
	if err != nil {
		h.errs.WithLabelValues("gathering").Inc()
		http.Error(w, "An error has occurred while serving metrics:\n\n"+err.Error(), http.StatusInternalServerError)
		return
	}
	format := expfmt.Negotiate(r.Header)
	w.Header().Set("Content-Type", string(format))
	var out io.Writer = w
	if gzipWanted(r.Header) {
		gz := gzipWriters.Get().(*gzip.Writer)
		gz.Reset(w)
		defer func() {
			gz.Close()
			gzipWriters.Put(gz)
		}()
		w.Header().Set("Content-Encoding", "gzip")
		out = gz
	}
	enc := expfmt.NewEncoder(out, format)
	next := 0 // the first of own not encoded yet
	err = newScrape(h.src, h.opts).each(func(mf *dto.MetricFamily) error {
		for ; next < len(own) && own[next].GetName() < mf.GetName(); next++ {
			if err := enc.Encode(own[next]); err != nil {
				return err
			}
		}
		return enc.Encode(mf)
	})
	for ; err == nil && next < len(own); next++ {
		err = enc.Encode(own[next])
	}
	if closer, ok := enc.(expfmt.Closer); ok && err == nil {
		err = closer.Close()
	}
	if err != nil {
		h.errs.WithLabelValues("encoding").Inc()
	}
}

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// gzipWanted chooses between the encodings promhttp offers, identity and
// gzip in that order, as it does: the offer matched by the Accept-Encoding
// entry of the highest quality ("*" matches both), the earlier offer on a
// tie; identity when nothing matches or the best quality is 0.
func gzipWanted(h http.Header) bool {
	best, bestQ := "identity", -1.0
	specs := acceptEncodings(h)
	for _, offer := range []string{"identity", "gzip"} {
		for _, s := range specs {
			if s.q > bestQ && (s.value == "*" || s.value == offer) {
				best, bestQ = offer, s.q
			}
		}
	}
	return best == "gzip" && bestQ > 0
}

type acceptSpec struct {
	value string
	q     float64
}

// acceptEncodings parses the Accept-Encoding lists: "gzip, br;q=0.5". An
// entry whose quality is not a number from 0 to 1 is left out.
func acceptEncodings(h http.Header) []acceptSpec {
	var specs []acceptSpec
	for _, line := range h.Values("Accept-Encoding") {
		for item := range strings.SplitSeq(line, ",") {
			value, params, _ := strings.Cut(item, ";")
			s := acceptSpec{value: strings.TrimSpace(value), q: 1}
			if s.value == "" {
				continue
			}
			if p := strings.TrimSpace(params); p != "" {
				qs, ok := strings.CutPrefix(p, "q=")
				q, err := strconv.ParseFloat(strings.TrimSpace(qs), 64)
				if !ok || err != nil || q < 0 || q > 1 {
					continue
				}
				s.q = q
			}
			specs = append(specs, s)
		}
	}
	return specs
}
