package web

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// sameOrigin reports whether a state-changing request comes from a page
// this server served: its Origin header, or failing that its Referer,
// must name the host the request was sent to. A request with neither is
// refused, so another site cannot make a browser act through a form.
func sameOrigin(r *http.Request) bool {
	reqScheme := "http"
	if r.TLS != nil {
		reqScheme = "https"
	}
	want := canonicalHost(reqScheme, r.Host)
	if want == "" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		return originHost(o) == want
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		return originHost(ref) == want
	}
	return false
}

// originHost is the canonical host of an Origin or Referer value, "" when
// it has none (including the opaque origin "null").
func originHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return canonicalHost(u.Scheme, u.Host)
}

// canonicalHost lowercases host and drops the scheme's default port, so
// "Example:80" over http and "example" compare equal.
func canonicalHost(scheme, host string) string {
	host = strings.ToLower(host)
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		return host
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return host
}
