package pycompat

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

const referencePython = "/usr/bin/python3"

// reference runs script with the reference's Python and decodes the JSON
// it prints into out. It skips when the reference is absent, unless
// SUPERVISORD_REQUIRE_REFERENCE is set.
func reference(t *testing.T, script string, input, out any) {
	t.Helper()
	if err := exec.Command(referencePython, "-c", "import supervisor.options").Run(); err != nil {
		if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") != "" {
			t.Fatalf("reference Supervisor not usable via %s: %v", referencePython, err)
		}
		t.Skipf("reference Supervisor not available: %v", err)
	}
	in, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(referencePython, "-c", script)
	cmd.Stdin = strings.NewReader(string(in))
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference script: %v", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("reference output %q: %v", b, err)
	}
}

// reprInputs are strings whose repr tells the copies of the rule apart:
// both quotes, controls, C1 controls (0x80-0x9f), no-break space, format
// characters, astral characters, U+FFFD and undecodable bytes.
var reprInputs = []string{
	"", "plain", "it's", `say "hi"`, `both ' and "`, "back\\slash",
	"tab\tnl\nret\r", "\x00\x01\x1b\x7f", "\u0080\u0085\u009f", "\u00a0\u00e9\u00ff",
	"\u200b\u2028\u2029\u3000", "\ufeff\ufffd", "\U0001F600\U000e0001", "caf\u00e9 \u4e2d\u6587",
	"bad \xff\xfe bytes", "\xc3", "/usr/bin/x y",
}

func TestReprMatchesReference(t *testing.T) {
	// Go strings carry bytes; the reference gets them decoded as it decodes
	// file names, with surrogateescape.
	var raw [][]int
	for _, s := range reprInputs {
		b := []int{}
		for _, c := range []byte(s) {
			b = append(b, int(c))
		}
		raw = append(raw, b)
	}
	var want []struct{ Str, Bytes, Decoded string }
	reference(t, `
import json, sys
from supervisor.compat import as_string
out = []
for raw in json.load(sys.stdin):
    data = bytes(raw)
    s = data.decode('utf-8', 'surrogateescape')
    try:
        decoded = as_string(data)
    except UnicodeDecodeError:
        decoded = 'Undecodable: %r' % data
    out.append(dict(Str=repr(s), Bytes=repr(data), Decoded=decoded))
json.dump(out, sys.stdout, ensure_ascii=False)
`, raw, &want)
	for i, s := range reprInputs {
		if got := Repr(s); got != want[i].Str {
			t.Errorf("Repr(%q) = %s, reference %s", s, got, want[i].Str)
		}
		if got := BytesRepr([]byte(s)); got != want[i].Bytes {
			t.Errorf("BytesRepr(%q) = %s, reference %s", s, got, want[i].Bytes)
		}
		if got := DecodeOutput([]byte(s)); got != want[i].Decoded {
			t.Errorf("DecodeOutput(%q) = %s, reference %s", s, got, want[i].Decoded)
		}
	}
}

func TestReprEveryBMPClassMatchesReference(t *testing.T) {
	// One code point in each 0x80 block of the BMP (skipping surrogates),
	// plus every C1 and Latin-1 code point.
	var points []int
	for r := 0x80; r < 0x100; r++ {
		points = append(points, r)
	}
	for r := 0x100; r < 0x10000; r += 0x7f {
		if r >= 0xd800 && r < 0xe000 {
			continue
		}
		points = append(points, r)
	}
	var want []string
	reference(t, `
import json, sys, unicodedata
out = []
for p in json.load(sys.stdin):
    # Characters unassigned in Python's Unicode database may be assigned in
    # Go's newer one; report them as unknown.
    c = chr(p)
    out.append(repr(c) if unicodedata.category(c) != 'Cn' else '')
json.dump(out, sys.stdout)
`, points, &want)
	for i, p := range points {
		if want[i] == "" {
			continue
		}
		if got := Repr(string(rune(p))); got != want[i] {
			t.Errorf("Repr(U+%04X) = %s, reference %s", p, got, want[i])
		}
	}
}

func TestSignalsMatchReference(t *testing.T) {
	inputs := []string{"TERM", "sigterm", " SIGHUP ", "kill", "IOT", "CLD", "POLL", "IO",
		"RTMIN", "RTMAX", "SIG_DFL", "_IGN", "SIG_SETMASK", "BOGUS", "", "SIGSIGTERM",
		"15", " 9 ", "+2", "1_5", "0", "32", "34", "64", "65", "-1", "1__5", "0x0f", "term\n"}
	var want struct {
		Names  map[string]string
		Parsed []struct {
			N   int
			Err string
		}
	}
	reference(t, `
import json, sys
from supervisor.options import signame
from supervisor.datatypes import signal_number
out = dict(Names={str(i): signame(i) for i in range(0, 70)}, Parsed=[])
for s in json.load(sys.stdin):
    try:
        out['Parsed'].append(dict(N=int(signal_number(s)), Err=''))
    except ValueError as e:
        out['Parsed'].append(dict(N=0, Err=str(e)))
json.dump(out, sys.stdout)
`, inputs, &want)
	for i := 0; i < 70; i++ {
		if got, w := SignalName(syscall.Signal(i)), want.Names[itoa(i)]; got != w {
			t.Errorf("SignalName(%d) = %q, reference %q", i, got, w)
		}
	}
	for i, s := range inputs {
		got, err := SignalNumber(s)
		w := want.Parsed[i]
		switch {
		case w.Err != "" && (err == nil || err.Error() != w.Err):
			t.Errorf("SignalNumber(%q) = %d, %v; reference error %q", s, got, err, w.Err)
		case w.Err == "" && (err != nil || int(got) != w.N):
			t.Errorf("SignalNumber(%q) = %d, %v; reference %d", s, got, err, w.N)
		}
	}
}

func TestLevelsMatchReference(t *testing.T) {
	inputs := []string{"critical", "ERROR", "Warn", "info", "debug", "trace", "blather", "warning", "crit", ""}
	var want struct {
		Tags   map[string]string
		Parsed []struct {
			N   int
			Err string
		}
	}
	reference(t, `
import json, sys
from supervisor.loggers import LOG_LEVELS_BY_NUM
from supervisor.datatypes import logging_level
out = dict(Tags={str(k): v for k, v in LOG_LEVELS_BY_NUM.items()}, Parsed=[])
for s in json.load(sys.stdin):
    try:
        out['Parsed'].append(dict(N=logging_level(s), Err=''))
    except ValueError as e:
        out['Parsed'].append(dict(N=0, Err=str(e)))
json.dump(out, sys.stdout)
`, inputs, &want)
	if len(want.Tags) != len(levels) {
		t.Errorf("reference has %d levels, we have %d", len(want.Tags), len(levels))
	}
	for n, tag := range want.Tags {
		var l Level
		for _, e := range levels {
			if itoa(int(e.level)) == n {
				l = e.level
			}
		}
		if l == 0 || l.Tag() != tag {
			t.Errorf("level %s: ours %v tag %q, reference %q", n, l, l.Tag(), tag)
		}
	}
	for i, s := range inputs {
		got, err := ParseLevel(s)
		w := want.Parsed[i]
		switch {
		case w.Err != "" && (err == nil || err.Error() != w.Err):
			t.Errorf("ParseLevel(%q) = %d, %v; reference error %q", s, got, err, w.Err)
		case w.Err == "" && (err != nil || int(got) != w.N):
			t.Errorf("ParseLevel(%q) = %d, %v; reference %d", s, got, err, w.N)
		}
	}
}

func TestNamespecsMatchReference(t *testing.T) {
	inputs := []string{"web", "web:web", "grp:web", "grp:", "grp:*", "grp:a:b", ":x", "", "a*"}
	var want []struct{ Group, Process, Joined string }
	reference(t, `
import json, sys
from supervisor.options import split_namespec, make_namespec
out = []
for s in json.load(sys.stdin):
    g, p = split_namespec(s)
    out.append(dict(Group=g, Process=p or '', Joined=make_namespec(g, p or s)))
json.dump(out, sys.stdout)
`, inputs, &want)
	for i, s := range inputs {
		g, p := SplitNamespec(s)
		if g != want[i].Group || p != want[i].Process {
			t.Errorf("SplitNamespec(%q) = %q, %q; reference %q, %q", s, g, p, want[i].Group, want[i].Process)
		}
		pp := p
		if pp == "" {
			pp = s
		}
		if j := Namespec(g, pp); j != want[i].Joined {
			t.Errorf("Namespec(%q, %q) = %q, reference %q", g, pp, j, want[i].Joined)
		}
	}
}

func TestFaultCodesMatchReference(t *testing.T) {
	var want map[string]int
	reference(t, `
import json, sys
from supervisor.xmlrpc import Faults
json.dump({k: v for k, v in vars(Faults).items() if not k.startswith('_')}, sys.stdout)
`, nil, &want)
	if len(want) != len(faultNames) {
		t.Errorf("reference has %d fault codes, we have %d", len(want), len(faultNames))
	}
	for name, code := range want {
		if got := FaultCode(code).Name(); got != name {
			t.Errorf("fault %d: ours %q, reference %q", code, got, name)
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
