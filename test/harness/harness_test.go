package harness

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		want Event
	}{
		{"2024-01-02 03:04:05,678 INFO spawned: 'web' with pid 4242", true,
			Event{"INFO", "spawned: 'web' with pid N", "web"}},
		{"2024-01-02 03:04:05,678 WARN exited: web (exit status 1; not expected)", true,
			Event{"WARN", "exited: web (exit status 1; not expected)", "web"}},
		{"2024-01-02 03:04:05,678 INFO success: web entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)", true,
			Event{"INFO", "success: web entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)", "web"}},
		{"2024-01-02 03:04:05,678 INFO gave up: web entered FATAL state, too many start retries too quickly", true,
			Event{"INFO", "gave up: web entered FATAL state, too many start retries too quickly", "web"}},
		{"2024-01-02 03:04:05,678 WARN killing 'web' (77) with SIGKILL", true,
			Event{"WARN", "killing 'web' (N) with SIGKILL", "web"}},
		{"2024-01-02 03:04:05,678 WARN stopped: web (terminated by SIGTERM)", true,
			Event{"WARN", "stopped: web (terminated by SIGTERM)", "web"}},
		{"2024-01-02 03:04:05,678 INFO spawnerr: can't find command 'x'", true,
			Event{"INFO", "spawnerr: can't find command 'x'", ""}},
		{"2024-01-02 03:04:05,678 INFO waiting for a, b to die", true,
			Event{"INFO", "waiting for a, b to die", ""}},
		{"2024-01-02 03:04:05,678 INFO waiting for a to stop", false, Event{}},
		{"2024-01-02 03:04:05,678 INFO supervisord started with pid 1", false, Event{}},
		{"spawned: 'web' with pid 1", false, Event{}},
		{"", false, Event{}},
	}
	for _, tt := range tests {
		got, ok := ParseLine(tt.line)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseLine(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFirstShutdownReport(t *testing.T) {
	evs := ParseLog(strings.Join([]string{
		"2024-01-02 03:04:05,000 INFO waiting for a, b to die",
		"2024-01-02 03:04:05,100 WARN stopped: b (terminated by SIGTERM)",
		"2024-01-02 03:04:08,100 INFO waiting for a to die",
		"2024-01-02 03:04:09,100 WARN stopped: a (terminated by SIGKILL)",
		"2024-01-02 03:04:10,000 INFO spawned: 'a' with pid 9",
		"2024-01-02 03:04:11,000 INFO waiting for a to die",
		"2024-01-02 03:04:14,000 INFO waiting for a to die",
	}, "\n"))
	got := Strings(FirstShutdownReport(evs))
	want := []string{
		"INFO waiting for a, b to die",
		"WARN stopped: b (terminated by SIGTERM)",
		"WARN stopped: a (terminated by SIGKILL)",
		"INFO spawned: 'a' with pid N",
		"INFO waiting for a to die",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSpawnedPids(t *testing.T) {
	log := "2024-01-02 03:04:05,000 INFO spawned: 'a' with pid 12\n" +
		"2024-01-02 03:04:05,000 INFO spawned: 'b' with pid x1\n" +
		"2024-01-02 03:04:05,000 INFO spawned: 'c' with pid 1\n" +
		"2024-01-02 03:04:05,000 INFO spawned: 'd' with pid 345\n"
	if got, want := SpawnedPids(log), []int{12, 345}; !reflect.DeepEqual(got, want) {
		t.Errorf("SpawnedPids = %v, want %v", got, want)
	}
}

func TestDecodeResponse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want any
		err  error
	}{
		{"string", `<?xml version="1.0"?><methodResponse><params><param><value><string>RUNNING</string></value></param></params></methodResponse>`, "RUNNING", nil},
		{"untyped", `<methodResponse><params><param><value>plain</value></param></params></methodResponse>`, "plain", nil},
		{"bool", `<methodResponse><params><param><value><boolean>1</boolean></value></param></params></methodResponse>`, true, nil},
		{"struct in array", `<methodResponse><params><param><value><array><data>
			<value><struct><member><name>pid</name><value><int>42</int></value></member>
			<member><name>name</name><value><string>web</string></value></member></struct></value>
			</data></array></value></param></params></methodResponse>`,
			[]any{map[string]any{"pid": 42, "name": "web"}}, nil},
		{"fault", `<methodResponse><fault><value><struct>
			<member><name>faultCode</name><value><int>10</int></value></member>
			<member><name>faultString</name><value><string>BAD_NAME: x</string></value></member>
			</struct></value></fault></methodResponse>`, nil, &Fault{10, "BAD_NAME: x"}},
	}
	for _, tt := range tests {
		got, err := DecodeResponse([]byte(tt.body))
		if tt.err != nil {
			var f *Fault
			if !errors.As(err, &f) || *f != *tt.err.(*Fault) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %#v, %v; want %#v", tt.name, got, err, tt.want)
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	call, err := EncodeCall("supervisor.stopProcess", "a<b", true, 3, []any{"x"}, map[string]any{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(call)
	for _, want := range []string{"<methodName>supervisor.stopProcess</methodName>", "<string>a&lt;b</string>",
		"<boolean>1</boolean>", "<int>3</int>", "<array><data><value><string>x</string></value></data></array>",
		"<member><name>k</name><value><string>v</string></value></member>"} {
		if !strings.Contains(s, want) {
			t.Errorf("EncodeCall output lacks %s:\n%s", want, s)
		}
	}
	if _, err := EncodeCall("m", 1.5); err == nil {
		t.Error("EncodeCall accepted a float")
	}
}

func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`<methodResponse><params><param><value><array><data><value><i4>1</i4></value></data></array></value></param></params></methodResponse>`))
	f.Add([]byte(`<methodResponse><fault><value><struct></struct></value></fault></methodResponse>`))
	f.Add([]byte(`<value><nil/></value>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeResponse(b) // must not panic or hang
	})
}

func FuzzParseLine(f *testing.F) {
	f.Add("2024-01-02 03:04:05,678 INFO spawned: 'web' with pid 4242")
	f.Add("2024-01-02 03:04:05,678 WARN killing 'a' (1) with SIGKILL")
	f.Fuzz(func(t *testing.T, line string) {
		e, ok := ParseLine(line)
		if ok && !strings.Contains(line, e.Level) {
			t.Errorf("level %q not in %q", e.Level, line)
		}
		_ = SpawnedPids(line)
	})
}
