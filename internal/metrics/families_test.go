package metrics

import dto "github.com/prometheus/client_model/go"

// processFamilies builds every supervisord_ family whole, each with
// memory of its own.
func processFamilies(src Source, opts Options) []*dto.MetricFamily {
	sc := newScrape(src, opts)
	var out []*dto.MetricFamily
	for _, c := range sc.columns {
		if mf := c.build(sc.labelsOf(c), nil); mf != nil {
			out = append(out, mf)
		}
	}
	return out
}
