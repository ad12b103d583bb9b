package events

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Unix(1700000000, 0)

func TestListenerFeed(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name     string
		busy     bool // send an event first (listener READY -> BUSY)
		handler  ResultHandler
		chunks   []string // fed one after another
		want     ListenerState
		rejected int      // events handed back for re-buffering
		results  []string // bodies the handler saw
		warn     string   // a warning that must be logged
	}{
		{name: "ready", chunks: []string{"READY\n"}, want: ListenerReady},
		{name: "ready split", chunks: []string{"RE", "AD", "Y", "\n"}, want: ListenerReady},
		{name: "partial ready waits", chunks: []string{"READ"}, want: ListenerAcknowledged},
		{name: "garbage instead of ready", chunks: []string{"HELLO\n"}, want: ListenerUnknown,
			warn: "violated the eventlistener protocol"},
		{name: "two readys", chunks: []string{"READY\nREADY\n"}, want: ListenerUnknown},
		{name: "output while ready", chunks: []string{"READY\n", "x"}, want: ListenerUnknown},
		{name: "unknown swallows output", chunks: []string{"nope!!", "READY\n"}, want: ListenerUnknown},
		{name: "ok", busy: true, chunks: []string{"RESULT 2\nOK"}, want: ListenerAcknowledged,
			results: []string{"OK"}},
		{name: "ok then ready in one read", busy: true, chunks: []string{"RESULT 2\nOKREADY\n"},
			want: ListenerReady, results: []string{"OK"}},
		{name: "ok byte by byte", busy: true,
			chunks: strings.Split("RESULT 2\nOKREADY\n", ""), want: ListenerReady, results: []string{"OK"}},
		{name: "fail is rejected", busy: true, chunks: []string{"RESULT 4\nFAIL"}, want: ListenerAcknowledged,
			rejected: 1, results: []string{"FAIL"}, warn: "event was rejected"},
		{name: "body longer than token", busy: true, chunks: []string{"RESULT 5\nhello"},
			want: ListenerAcknowledged, rejected: 1, results: []string{"hello"}},
		{name: "body waits for all bytes", busy: true, chunks: []string{"RESULT 2\nO"}, want: ListenerBusy},
		{name: "bad length", busy: true, chunks: []string{"RESULT x\n"}, want: ListenerUnknown, rejected: 1,
			warn: "bad result line: 'RESULT x'"},
		{name: "negative length", busy: true, chunks: []string{"RESULT -1\n"}, want: ListenerUnknown, rejected: 1},
		{name: "python int syntax", busy: true, chunks: []string{"RESULT  +0_2 \r\nOK"}, want: ListenerAcknowledged,
			results: []string{"OK"}},
		{name: "first seven bytes unchecked", busy: true, chunks: []string{"WHATEV 2\nOK"},
			want: ListenerAcknowledged, results: []string{"OK"}},
		{name: "short result line", busy: true, chunks: []string{"OK\n"}, want: ListenerUnknown, rejected: 1},
		{name: "zero length waits for more output", busy: true, chunks: []string{"RESULT 0\n"}, want: ListenerBusy},
		{name: "zero length completes on next output", busy: true, chunks: []string{"RESULT 0\n", "READY\n"},
			want: ListenerReady, rejected: 1, results: []string{""}},
		{name: "handler error", busy: true, handler: func(*Event, []byte) error { return errBoom },
			chunks: []string{"RESULT 2\nOK"}, want: ListenerUnknown, rejected: 1, results: []string{"OK"},
			warn: "event caused an error"},
		{name: "no line yet", busy: true, chunks: []string{"RESULT 2"}, want: ListenerBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen []string
			h := tt.handler
			if h == nil {
				h = DefaultResultHandler
			}
			l := NewListener("lsn", func(ev *Event, r []byte) error {
				seen = append(seen, string(r))
				return h(ev, r)
			})
			if tt.busy {
				l.Feed([]byte(ReadyToken), t0)
				if err := l.Send(SupervisorRunningEvent(), t0); err != nil {
					t.Fatal(err)
				}
			}
			var effs []Effect
			for _, c := range tt.chunks {
				effs = append(effs, l.Feed([]byte(c), t0)...)
			}
			if l.State() != tt.want {
				t.Errorf("state %s, want %s", l.State(), tt.want)
			}
			rej := 0
			var logs []string
			for _, e := range effs {
				switch e := e.(type) {
				case rejected:
					rej++
				case Log:
					logs = append(logs, e.Msg)
				}
			}
			if rej != tt.rejected {
				t.Errorf("rejected %d events, want %d", rej, tt.rejected)
			}
			if strings.Join(seen, "|") != strings.Join(tt.results, "|") {
				t.Errorf("handler saw %q, want %q", seen, tt.results)
			}
			if tt.warn != "" && !strings.Contains(strings.Join(logs, "\n"), tt.warn) {
				t.Errorf("logs %q lack %q", logs, tt.warn)
			}
			if ev, _ := l.Event(); (ev != nil) != (l.State() == ListenerBusy) {
				t.Errorf("event in flight %v in state %s", ev, l.State())
			}
		})
	}
}

func TestListenerSendRequiresReady(t *testing.T) {
	l := NewListener("x", nil)
	if err := l.Send(SupervisorRunningEvent(), t0); err == nil {
		t.Fatal("Send to an ACKNOWLEDGED listener succeeded")
	}
}

func TestParseResultLen(t *testing.T) {
	tests := []struct {
		in string
		n  int64
		ok bool
	}{
		{"2", 2, true}, {" 2 ", 2, true}, {"+2", 2, true}, {"1_000", 1000, true}, {"-0", 0, true},
		{"\t\v\f12\r", 12, true}, {"", 0, false}, {"_1", 0, false}, {"1_", 0, false}, {"1__0", 0, false},
		{"-1", 0, false}, {"0x10", 0, false}, {"1 2", 0, false}, {"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		n, ok := parseResultLen([]byte(tt.in))
		if n != tt.n || ok != tt.ok {
			t.Errorf("parseResultLen(%q) = %d, %v; want %d, %v", tt.in, n, ok, tt.n, tt.ok)
		}
	}
}

func TestTypes(t *testing.T) {
	tests := []struct {
		t, of Type
		want  bool
	}{
		{TypeProcessStateRunning, TypeProcessState, true},
		{TypeProcessStateRunning, TypeEvent, true},
		{TypeProcessStateRunning, TypeProcessStateRunning, true},
		{TypeProcessStateRunning, TypeProcessStateExited, false},
		{TypeTick60, TypeTick, true},
		{TypeTick60, TypeProcessState, false},
		{TypeProcessLogStderr, TypeProcessLog, true},
		{TypeProcessCommunicationStdout, TypeProcessLog, false},
		{TypeRemoteCommunication, TypeEvent, true},
		{TypeEvent, TypeProcessState, false},
		{TypeProcessGroupAdded, TypeProcessGroup, true},
		{TypeSupervisorStateChangeStopping, TypeSupervisorStateChange, true},
	}
	for _, tt := range tests {
		if got := IsSubtype(tt.t, tt.of); got != tt.want {
			t.Errorf("IsSubtype(%s, %s) = %v", tt.t, tt.of, got)
		}
	}
	names := Names()
	if len(names) != int(numTypes) {
		t.Fatalf("Names() has %d entries", len(names))
	}
	for _, n := range names {
		ty, ok := Lookup(strings.ToLower(n))
		if !ok || ty.String() != n {
			t.Errorf("Lookup(%q) = %v, %v", n, ty, ok)
		}
	}
	if _, ok := Lookup("PROCESS_STATE_BOGUS"); ok {
		t.Error("Lookup accepted a bogus name")
	}
	if !TypeTick.Abstract() || TypeTick5.Abstract() {
		t.Error("Abstract wrong for TICK types")
	}
}

// TestTypesMatchReference checks Names against the reference's EventTypes.
func TestTypesMatchReference(t *testing.T) {
	py := referencePython(t)
	out, err := execOutput(py, "-c", `
from supervisor.events import EventTypes
import inspect
for n, c in sorted(vars(EventTypes).items()):
    if inspect.isclass(c):
        print(n, *sorted(m for m, p in vars(EventTypes).items() if inspect.isclass(p) and issubclass(c, p) and m != n))
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		ty, ok := Lookup(f[0])
		if !ok {
			t.Errorf("reference type %s unknown", f[0])
			continue
		}
		var supers []string
		for _, n := range Names() {
			of, _ := Lookup(n)
			if of != ty && IsSubtype(ty, of) {
				supers = append(supers, n)
			}
		}
		if got, want := strings.Join(sortedCopy(supers), " "), strings.Join(f[1:], " "); got != want {
			t.Errorf("%s: supertypes %q, reference %q", f[0], got, want)
		}
	}
	if n := len(strings.Split(strings.TrimSpace(out), "\n")); n != int(numTypes) {
		t.Errorf("reference has %d types, we have %d", n, numTypes)
	}
}
