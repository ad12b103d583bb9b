//go:build linux

package events_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"supervisord/test/harness"
)

// subscribed is every event type the recording listener asks for.
const subscribed = "PROCESS_STATE,REMOTE_COMMUNICATION,PROCESS_LOG,PROCESS_GROUP,TICK_5,SUPERVISOR_STATE_CHANGE,PROCESS_COMMUNICATION"

// programs is the scenario's configuration after the header; %[1]s is the
// scenario's directory, %[2]s the listener script.
const programs = `
[eventlistener:listener]
command=/usr/bin/python3 %[2]s %[1]s/events.jsonl
events=` + subscribed + `
buffer_size=100

; started, then stopped over XML-RPC
[program:steady]
command=sleep 300
startsecs=1

; reaches RUNNING, crashes once, is restarted and stays up
[program:crasher]
command=sh -c 'if [ -e %[1]s/crashed ]; then exec sleep 300; fi; touch %[1]s/crashed; sleep 0.5; exit 2'
startsecs=0
autorestart=true

; exits too quickly every time: BACKOFF, then FATAL. The reference looks
; at the clock before it reaps, so a loop held up for startsecs on a
; loaded machine takes the dead child for RUNNING: startsecs=5 keeps
; that out of reach (it was seen with 1).
[program:quick]
command=sh -c 'exit 3'
startsecs=5
startretries=1

; its stdout becomes PROCESS_LOG_STDOUT events
[program:talker]
command=sh -c 'echo hello; echo world; exec sleep 300'
stdout_events_enabled=true

; what it writes between the capture tokens becomes one
; PROCESS_COMMUNICATION_STDOUT event
[program:capturer]
command=sh -c 'printf "before\n<!--XSUPERVISOR:BEGIN-->captured data<!--XSUPERVISOR:END-->after\n"; exec sleep 300'
stdout_capture_maxbytes=1MB
`

// record is one event as the listener saw it.
type record struct {
	Event   string `json:"event"`
	Payload string `json:"payload"`
	Result  string `json:"result"`
}

// run drives one daemon through every scenario and returns what the
// listener recorded. Both daemons are driven by this same function.
func run(t *testing.T, bin string) []record {
	t.Helper()
	listener, err := filepath.Abs("testdata/listener.py")
	if err != nil {
		t.Fatal(err)
	}
	p := harness.TempPaths(t)
	dir := p.Dir
	d := harness.Launch(t, harness.Spec{Bin: bin, Paths: p, Config: p.Header() + fmt.Sprintf(programs, dir, listener)})
	file := filepath.Join(dir, "events.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	waitFor := func(what string, cond func([]record) bool) {
		t.Helper()
		var recs []record
		d.WaitFor(t, bin+": "+what, func() bool {
			recs = readRecords(t, file)
			return cond(recs)
		}, func() string { return "recorded:\n" + dump(recs) })
	}
	has := func(event, sub string) func([]record) bool {
		return func(recs []record) bool { return countOf(recs, event, sub) > 0 }
	}

	// Start, the crash, BACKOFF to FATAL, output and capture events.
	waitFor("steady RUNNING", has("PROCESS_STATE_RUNNING", "processname:steady "))
	waitFor("quick FATAL", has("PROCESS_STATE_FATAL", "processname:quick "))
	waitFor("crasher restarted", func(recs []record) bool {
		return countOf(recs, "PROCESS_STATE_RUNNING", "processname:crasher ") >= 2
	})
	waitFor("talker's output", func(recs []record) bool {
		return strings.Contains(logData(recs, "talker"), "hello\nworld\n")
	})
	waitFor("the captured data", has("PROCESS_COMMUNICATION_STDOUT", "processname:capturer "))

	// Remote communication, and an event the listener rejects once.
	c := d.RPC()
	if _, err := c.Call(ctx, "supervisor.sendRemoteCommEvent", "greeting", "hello there"); err != nil {
		t.Fatalf("%s: sendRemoteCommEvent: %v", bin, err)
	}
	waitFor("the greeting", has("REMOTE_COMMUNICATION", "type:greeting"))
	if _, err := c.Call(ctx, "supervisor.sendRemoteCommEvent", "failme", "again"); err != nil {
		t.Fatalf("%s: sendRemoteCommEvent: %v", bin, err)
	}
	waitFor("the rejected event, sent again", func(recs []record) bool {
		return countOf(recs, "REMOTE_COMMUNICATION", "type:failme") >= 2
	})

	// A TICK_5 comes within 5 s of any moment (allow 6 s).
	d.WaitUntil(t, bin+": a TICK_5 within 6 s", 6*time.Second, func() bool {
		return countOf(readRecords(t, file), "TICK_5", "") > 0
	})

	// A stop over XML-RPC.
	if _, err := c.Call(ctx, "supervisor.stopProcess", "steady", true); err != nil {
		t.Fatalf("%s: stopProcess: %v", bin, err)
	}
	waitFor("steady STOPPED", has("PROCESS_STATE_STOPPED", "processname:steady "))

	// Shutdown.
	if _, err := c.Call(ctx, "supervisor.shutdown"); err != nil {
		t.Fatalf("%s: shutdown: %v", bin, err)
	}
	d.WaitExit(t, 40*time.Second)
	return readRecords(t, file)
}

func readRecords(t *testing.T, file string) []record {
	t.Helper()
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			break // a line being written
		}
		recs = append(recs, r)
	}
	return recs
}

func countOf(recs []record, event, sub string) int {
	n := 0
	for _, r := range recs {
		if r.Event == event && strings.Contains(r.Payload, sub) {
			n++
		}
	}
	return n
}

// logData concatenates the data of a process's PROCESS_LOG events.
func logData(recs []record, name string) string {
	var b strings.Builder
	for _, r := range recs {
		if strings.HasPrefix(r.Event, "PROCESS_LOG") && strings.Contains(r.Payload, "processname:"+name+" ") {
			_, data, _ := strings.Cut(r.Payload, "\n")
			b.WriteString(data)
		}
	}
	return b.String()
}

func dump(recs []record) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "%s %q %s\n", r.Event, r.Payload, r.Result)
	}
	return b.String()
}

var (
	pidField  = regexp.MustCompile(`\bpid:\d+`)
	whenField = regexp.MustCompile(`\bwhen:\d+`)
	procField = regexp.MustCompile(`\bprocessname:(\S+)`)
)

// normalize replaces what differs from run to run (pids, times).
func normalize(payload string) string {
	payload = pidField.ReplaceAllString(payload, "pid:N")
	return whenField.ReplaceAllString(payload, "when:T")
}

// split sorts the records into each process's own sequence and the
// daemon-wide events, and returns apart what each process did after
// SUPERVISOR_STATE_CHANGE_STOPPING.
//
// Events of different processes race with one another (which child the
// daemon reaps first, which pipe it reads first), in the reference as in
// ours, so only each process's own sequence has a defined order. The
// daemon-wide events (REMOTE_COMMUNICATION, TICK_5, SUPERVISOR_STATE_CHANGE,
// PROCESS_GROUP) are compared as multisets, with TICK_5 counted once: how
// many ticks arrive depends on how long the run took. A process's
// consecutive PROCESS_LOG events are merged into one, since how output is
// split into reads is up to the pipe.
//
// Once the daemon is stopping, the listener is itself stopped (last, being
// a lower priority), and which of the other processes' STOPPING and STOPPED
// events reach it first is a race in both daemons; those events are
// returned in afterStopping, to be checked for their shape only.
func split(recs []record) (perProcess map[string][]string, global []string, afterStopping map[string][]string) {
	perProcess = map[string][]string{}
	afterStopping = map[string][]string{}
	ticked, stopping := false, false
	for _, r := range recs {
		line := r.Event + " " + normalize(r.Payload) + " → " + r.Result
		m := procField.FindStringSubmatch(r.Payload)
		if r.Event == "SUPERVISOR_STATE_CHANGE_STOPPING" {
			stopping = true
		}
		if stopping && m != nil {
			afterStopping[m[1]] = append(afterStopping[m[1]], line)
			continue
		}
		if m == nil {
			if r.Event == "TICK_5" {
				if ticked {
					continue
				}
				ticked = true
			}
			global = append(global, line)
			continue
		}
		seq := perProcess[m[1]]
		if strings.HasPrefix(r.Event, "PROCESS_LOG") && len(seq) > 0 && strings.HasPrefix(seq[len(seq)-1], r.Event+" ") {
			prevHead, prevData, _ := strings.Cut(strings.TrimSuffix(seq[len(seq)-1], " → "+r.Result), "\n")
			_, data, _ := strings.Cut(normalize(r.Payload), "\n")
			seq[len(seq)-1] = prevHead + "\n" + prevData + data + " → " + r.Result
			continue
		}
		perProcess[m[1]] = append(seq, line)
	}
	slices.Sort(global)
	return perProcess, global, afterStopping
}

// checkStopping checks that what a process did after the daemon began
// stopping is a prefix of a stop from RUNNING.
func checkStopping(t *testing.T, daemon string, after map[string][]string) {
	t.Helper()
	for name, seq := range after {
		want := []string{
			"PROCESS_STATE_STOPPING processname:" + name + " groupname:" + name + " from_state:RUNNING pid:N → OK",
			"PROCESS_STATE_STOPPED processname:" + name + " groupname:" + name + " from_state:STOPPING pid:N → OK",
		}
		if len(seq) > len(want) || !slices.Equal(seq, want[:len(seq)]) {
			t.Errorf("%s: %s after SUPERVISOR_STATE_CHANGE_STOPPING:\n  %s", daemon, name, strings.Join(seq, "\n  "))
		}
	}
}

// groupsAdded is the order of the PROCESS_GROUP_ADDED events, which the
// daemon emits as it adds the configured groups at start: its start order.
func groupsAdded(recs []record) []string {
	var names []string
	for _, r := range recs {
		if r.Event == "PROCESS_GROUP_ADDED" {
			names = append(names, strings.TrimSpace(r.Payload))
		}
	}
	return names
}

func TestEventsMatchReference(t *testing.T) {
	ref := harness.NeedReference(t)
	bin := harness.MustOurs(t)
	var refRecs, ourRecs []record
	var wg sync.WaitGroup
	// Both daemons run at once: the scenario mostly waits on time.
	wg.Add(2)
	t.Run("group", func(t *testing.T) {
		t.Run("reference", func(t *testing.T) { t.Parallel(); defer wg.Done(); refRecs = run(t, ref) })
		t.Run("ours", func(t *testing.T) { t.Parallel(); defer wg.Done(); ourRecs = run(t, bin) })
	})
	wg.Wait()
	if t.Failed() {
		return
	}
	refProcs, refGlobal, refAfter := split(refRecs)
	ourProcs, ourGlobal, ourAfter := split(ourRecs)
	checkStopping(t, "reference", refAfter)
	checkStopping(t, "ours", ourAfter)
	// Groups of equal priority: the reference sorts their configurations
	// by name, so that is the order it adds and starts them in.
	if ref, got := groupsAdded(refRecs), groupsAdded(ourRecs); !slices.Equal(ref, got) {
		t.Errorf("groups added (the start order) differ:\nreference: %v\nours:      %v", ref, got)
	}
	names := map[string]bool{}
	for n := range refProcs {
		names[n] = true
	}
	for n := range ourProcs {
		names[n] = true
	}
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for n := range names {
			if !yield(n) {
				return
			}
		}
	}) {
		if !slices.Equal(refProcs[n], ourProcs[n]) {
			t.Errorf("process %s: events differ\nreference:\n  %s\nours:\n  %s", n,
				strings.Join(refProcs[n], "\n  "), strings.Join(ourProcs[n], "\n  "))
		}
	}
	if !slices.Equal(refGlobal, ourGlobal) {
		t.Errorf("daemon-wide events differ\nreference:\n  %s\nours:\n  %s",
			strings.Join(refGlobal, "\n  "), strings.Join(ourGlobal, "\n  "))
	}
	if t.Failed() {
		t.Logf("reference recorded:\n%s\nours recorded:\n%s", dump(refRecs), dump(ourRecs))
	}
}
