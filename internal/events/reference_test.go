package events

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"supervisord/internal/process"
)

// referencePython returns the Python interpreter that has the reference's
// supervisor module, or skips the test (fails it when
// SUPERVISORD_REQUIRE_REFERENCE=1).
func referencePython(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	err := exec.Command(py, "-c", "import supervisor.events, supervisor.childutils").Run()
	if err == nil {
		return py
	}
	if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") == "1" {
		t.Fatalf("reference supervisor module not usable with %s: %v", py, err)
	}
	t.Skipf("reference supervisor module not available (%s: %v)", py, err)
	return ""
}

// refCase is one event, described both for the Go constructors and for
// testdata/serialise.py.
type refCase struct {
	Kind       string `json:"kind"`
	Name       string `json:"name,omitempty"`
	Group      any    `json:"group"` // string or nil (no group)
	From       string `json:"from,omitempty"`
	To         string `json:"to,omitempty"`
	Tries      int    `json:"tries,omitempty"`
	Expected   bool   `json:"expected"`
	Pid        int    `json:"pid,omitempty"`
	Stream     string `json:"stream,omitempty"`
	Data       []byte `json:"data,omitempty"` // base64 in JSON
	Type       string `json:"type,omitempty"`
	Period     int    `json:"period,omitempty"`
	When       int64  `json:"when,omitempty"`
	Pool       string `json:"pool"`
	Identifier string `json:"identifier"`
	Serial     int64  `json:"serial"`
	PoolSerial int64  `json:"poolserial"`
}

var stateByName = map[string]process.State{
	"STOPPED": process.Stopped, "STARTING": process.Starting, "RUNNING": process.Running,
	"BACKOFF": process.Backoff, "STOPPING": process.Stopping, "EXITED": process.Exited,
	"FATAL": process.Fatal, "UNKNOWN": process.Unknown,
}

func (c refCase) group() string {
	if s, ok := c.Group.(string); ok {
		return s
	}
	return ""
}

func (c refCase) stream() Stream {
	if c.Stream == "stderr" {
		return Stderr
	}
	return Stdout
}

// event builds the case with this package's constructors.
func (c refCase) event(t *testing.T) *Event {
	switch c.Kind {
	case "state":
		return ProcessStateEvent(ProcessStateChange{
			Name: c.Name, Group: c.group(), From: stateByName[c.From], To: stateByName[c.To],
			Tries: c.Tries, Expected: c.Expected, Pid: c.Pid,
		})
	case "log":
		return ProcessLogEvent(c.stream(), c.Name, c.group(), c.Pid, c.Data)
	case "comm":
		return ProcessCommunicationEvent(c.stream(), c.Name, c.group(), c.Pid, c.Data)
	case "remote":
		return RemoteCommunicationEvent(c.Type, string(c.Data))
	case "running":
		return SupervisorRunningEvent()
	case "stopping":
		return SupervisorStoppingEvent()
	case "tick":
		ev, ok := TickEvent(c.Period, c.When)
		if !ok {
			t.Fatalf("bad tick period %d", c.Period)
		}
		return ev
	case "added":
		return ProcessGroupAddedEvent(c.group())
	case "removed":
		return ProcessGroupRemovedEvent(c.group())
	}
	t.Fatalf("unknown case kind %q", c.Kind)
	return nil
}

func referenceCases() []refCase {
	var cs []refCase
	env := func(c refCase) refCase {
		if c.Pool == "" {
			c.Pool, c.Identifier, c.Serial, c.PoolSerial = "listeners", "supervisor", 7, 3
		}
		return c
	}
	froms := map[string]string{
		"STOPPED": "STOPPING", "STARTING": "BACKOFF", "RUNNING": "STARTING", "BACKOFF": "STARTING",
		"STOPPING": "RUNNING", "EXITED": "RUNNING", "FATAL": "BACKOFF", "UNKNOWN": "STOPPED",
	}
	for _, to := range []string{"STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL", "UNKNOWN"} {
		cs = append(cs, env(refCase{Kind: "state", Name: "web_01", Group: "web", From: froms[to], To: to,
			Tries: 2, Expected: true, Pid: 4242}))
	}
	cs = append(cs,
		env(refCase{Kind: "state", Name: "cat", Group: "cat", From: "RUNNING", To: "EXITED", Expected: false, Pid: 99}),
		env(refCase{Kind: "state", Name: "wëb", Group: nil, From: "STOPPED", To: "STARTING", Tries: 0}),
		env(refCase{Kind: "log", Name: "cat", Group: "cat", Pid: 12, Stream: "stdout", Data: []byte("hello\nworld\n")}),
		env(refCase{Kind: "log", Name: "cat", Group: "g", Pid: 12, Stream: "stderr", Data: []byte("ünïcode ✓\n")}),
		env(refCase{Kind: "log", Name: "cat", Group: "g", Pid: 12, Stream: "stdout", Data: []byte("bad \xff\xfe 'q' \"d\" \\ \t\r\n\x00\x7f")}),
		env(refCase{Kind: "log", Name: "cat", Group: "g", Pid: 12, Stream: "stdout", Data: []byte("it's \x80")}),
		env(refCase{Kind: "log", Name: "cat", Group: "g", Pid: 12, Stream: "stdout", Data: []byte("\xed\xa0\x80 surrogate")}),
		env(refCase{Kind: "log", Name: "cat", Group: nil, Pid: 0, Stream: "stdout", Data: nil}),
		env(refCase{Kind: "comm", Name: "x", Group: "y", Pid: 5, Stream: "stdout", Data: []byte("<msg>a</msg>")}),
		env(refCase{Kind: "comm", Name: "x", Group: "y", Pid: 5, Stream: "stderr", Data: []byte("é\xc3")}),
		env(refCase{Kind: "remote", Type: "mytype", Data: []byte("some data\nmore ✓")}),
		env(refCase{Kind: "remote", Type: "", Data: nil}),
		env(refCase{Kind: "running"}),
		env(refCase{Kind: "stopping"}),
		env(refCase{Kind: "tick", Period: 5, When: 1700000005}),
		env(refCase{Kind: "tick", Period: 60, When: 1700000040}),
		env(refCase{Kind: "tick", Period: 3600, When: 1699999200}),
		env(refCase{Kind: "added", Group: "newgroup"}),
		env(refCase{Kind: "removed", Group: "oldgroup"}),
		refCase{Kind: "running", Pool: "pööl", Identifier: "my-host", Serial: 0, PoolSerial: 0},
		refCase{Kind: "tick", Period: 5, When: 5, Pool: "p", Identifier: "id", Serial: 9223372036854775807, PoolSerial: 12345678901},
	)
	return cs
}

// TestEnvelopesMatchReference serialises the same events with the reference
// and with this package and compares the envelopes byte for byte.
func TestEnvelopesMatchReference(t *testing.T) {
	py := referencePython(t)
	cases := referenceCases()
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "testdata/serialise.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("serialise.py: %v\n%s", err, stderr.Bytes())
	}
	var got []struct{ Name, Envelope string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cases) {
		t.Fatalf("reference returned %d results for %d cases", len(got), len(cases))
	}
	for i, c := range cases {
		want, err := base64.StdEncoding.DecodeString(got[i].Envelope)
		if err != nil {
			t.Fatal(err)
		}
		ev := c.event(t)
		if ev.Type.String() != got[i].Name {
			t.Errorf("case %d (%s): type %s, reference %s", i, c.Kind, ev.Type, got[i].Name)
		}
		have := Envelope(c.Identifier, c.Pool, c.Serial, c.PoolSerial, ev)
		if !bytes.Equal(have, want) {
			t.Errorf("case %d (%s %s):\n got  %q\n want %q", i, c.Kind, c.To, have, want)
		}
	}
}
