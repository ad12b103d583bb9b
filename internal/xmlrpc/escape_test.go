package xmlrpc

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// escapeByRune is appendEscaped written the plain way, one rune at a
// time: the table-driven version must write exactly what it writes.
func escapeByRune(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString("\uFFFD")
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\r':
			b.WriteString("&#13;")
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

var escapeCases = []string{
	"",
	"plain",
	"/var/log/supervisor/web-stdout---supervisor-x1y2z3.log",
	"a&b<c>d\re",
	"&<>\r",
	"héllo wörld ✓",
	"bad \xff byte",
	"\xe2\x82",                // a truncated rune
	"\xed\xa0\x80",            // a surrogate, invalid in UTF-8
	"tail & \xf0\x9f\x98\x80", // a four-byte rune after an escape
	"\x00\x01\t\n",
}

func TestAppendEscapedMatchesRuneByRune(t *testing.T) {
	for _, s := range escapeCases {
		got := string(appendEscaped([]byte("prefix:"), s))
		if want := "prefix:" + escapeByRune(s); got != want {
			t.Errorf("appendEscaped(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzAppendEscaped(f *testing.F) {
	for _, s := range escapeCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := string(appendEscaped(nil, s))
		if want := escapeByRune(s); got != want {
			t.Fatalf("appendEscaped(%q) = %q, want %q", s, got, want)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("appendEscaped(%q) = %q: not UTF-8", s, got)
		}
	})
}

// BenchmarkAppendEscaped escapes the strings of one getAllProcessInfo
// row: names, a description and two log file paths, none needing care.
func BenchmarkAppendEscaped(b *testing.B) {
	row := []string{
		"web", "web_01", "pid 12345, uptime 1:02:03",
		"/var/log/supervisor/web_01-stdout---supervisor-abc123.log",
		"/var/log/supervisor/web_01-stderr---supervisor-def456.log",
	}
	n := 0
	for _, s := range row {
		n += len(s)
	}
	b.SetBytes(int64(n))
	buf := make([]byte, 0, 1024)
	for b.Loop() {
		buf = buf[:0]
		for _, s := range row {
			buf = appendEscaped(buf, s)
		}
	}
}
