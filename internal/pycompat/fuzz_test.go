package pycompat

import (
	"strings"
	"testing"
)

func FuzzSignalNumber(f *testing.F) {
	for _, s := range []string{"TERM", "sighup", " 9 ", "1_5", "SIG_DFL", "64", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := SignalNumber(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "value ") {
				t.Fatalf("SignalNumber(%q): error %q does not name the value", s, err)
			}
			return
		}
		if !validSignal(int64(sig)) {
			t.Fatalf("SignalNumber(%q) = %d, not a signal the reference knows", s, sig)
		}
	})
}

func FuzzParseLevel(f *testing.F) {
	for _, s := range []string{"info", "CRITICAL", "blather", "warning", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLevel(s)
		if err != nil {
			return
		}
		if got, err := ParseLevel(l.String()); err != nil || got != l {
			t.Fatalf("ParseLevel(%q) = %v, which does not round-trip: %v, %v", s, l, got, err)
		}
	})
}

func FuzzRepr(f *testing.F) {
	for _, s := range reprInputs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Repr(s)
		if len(r) < 2 || r[0] != r[len(r)-1] || (r[0] != '\'' && r[0] != '"') {
			t.Fatalf("Repr(%q) = %s is not quoted", s, r)
		}
		for _, c := range r {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("Repr(%q) = %q holds a control character", s, r)
			}
		}
	})
}
