package ctl

import (
	"strings"
	"testing"
	"time"
)

func TestParseWaitArgs(t *testing.T) {
	for _, tc := range []struct {
		in      string
		timeout time.Duration
		names   string
		err     string
	}{
		{"", 30 * time.Second, "", ""},
		{"web db:*", 30 * time.Second, "web db:*", ""},
		{"--timeout 90s web", 90 * time.Second, "web", ""},
		{"web --timeout=2m", 2 * time.Minute, "web", ""},
		{"-t 1.5", 1500 * time.Millisecond, "", ""},
		{"--timeout 0", 0, "", ""},
		{"--timeout", 0, "", "--timeout needs a value"},
		{"--timeout soon", 0, "", `bad timeout "soon" (want a duration like 30s, or seconds)`},
		{"--timeout -3s", 0, "", `bad timeout "-3s" (want a duration like 30s, or seconds)`},
		{"--forever", 0, "", "unknown option --forever"},
	} {
		d, names, err := parseWaitArgs(tc.in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.err || (err == nil && (d != tc.timeout || strings.Join(names, " ") != tc.names)) {
			t.Errorf("parseWaitArgs(%q) = %v, %q, %q", tc.in, d, names, got)
		}
	}
}

func FuzzParseWaitArgs(f *testing.F) {
	for _, s := range []string{"", "--timeout 30s a b", "-t 1e3", "--timeout=NaN", "--timeout=-0", "--timeout 1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, names, err := parseWaitArgs(s)
		if err == nil && d < 0 {
			t.Fatalf("%q: negative timeout %v", s, d)
		}
		for _, n := range names {
			if n == "" || strings.HasPrefix(n, "-") {
				t.Fatalf("%q: name %q", s, n)
			}
		}
	})
}
