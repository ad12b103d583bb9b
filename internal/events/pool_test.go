package events

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"supervisord/internal/process"
)

// header parses the header line of an envelope into its fields.
func header(t *testing.T, data []byte) map[string]string {
	t.Helper()
	line, _, ok := strings.Cut(string(data), "\n")
	if !ok {
		t.Fatalf("envelope without header line: %q", data)
	}
	h := map[string]string{}
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, ":")
		h[k] = v
	}
	return h
}

func writes(effs []Effect) []Write {
	var ws []Write
	for _, e := range effs {
		if w, ok := e.(Write); ok {
			ws = append(ws, w)
		}
	}
	return ws
}

func logs(effs []Effect, level Level) []string {
	var ls []string
	for _, e := range effs {
		if l, ok := e.(Log); ok && l.Level == level {
			ls = append(ls, l.Msg)
		}
	}
	return ls
}

// startMembers walks members through STARTING and RUNNING and has them
// say READY, returning the effects of the last step.
func startMembers(t *testing.T, p *Pool, idx ...int) []Effect {
	t.Helper()
	var effs []Effect
	for _, i := range idx {
		p.ProcessState(i, process.Starting, t0)
		effs = append(effs, p.ProcessState(i, process.Running, t0)...)
		effs = append(effs, p.Feed(i, []byte(ReadyToken), t0)...)
	}
	return effs
}

func newTestPool(t *testing.T, members, buffer int, types ...Type) *Pool {
	t.Helper()
	var names []string
	for i := range members {
		names = append(names, fmt.Sprintf("l_%d", i))
	}
	p, err := NewPool("pool", PoolOptions{BufferSize: buffer, Events: types, Members: names})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func remote(i int) *Event { return RemoteCommunicationEvent("t", fmt.Sprint(i)) }

// ack has member i answer OK and say READY again.
func ack(p *Pool, i int, result string) []Effect {
	return p.Feed(i, []byte(fmt.Sprintf("RESULT %d\n%sREADY\n", len(result), result)), t0)
}

func TestPoolFirstReadyGetsEachEvent(t *testing.T) {
	p := newTestPool(t, 3, 10, TypeRemoteCommunication)
	startMembers(t, p, 0, 1, 2)
	var got []int
	for i := range 4 {
		for _, w := range writes(p.Publish(remote(i), t0)) {
			got = append(got, w.Index)
		}
	}
	if fmt.Sprint(got) != "[0 1 2]" || p.Len() != 1 {
		t.Fatalf("events went to %v with %d buffered; want [0 1 2] and 1", got, p.Len())
	}
	// Member 1 finishes first and gets the buffered event.
	ws := writes(ack(p, 1, "OK"))
	if len(ws) != 1 || ws[0].Index != 1 || header(t, ws[0].Data)["serial"] != "3" {
		t.Fatalf("after member 1 acked: %+v", ws)
	}
	if ws := writes(ack(p, 0, "OK")); len(ws) != 0 {
		t.Fatalf("nothing buffered but wrote %+v", ws)
	}
	if ws := writes(p.Publish(remote(9), t0)); len(ws) != 1 || ws[0].Index != 0 {
		t.Fatalf("next event should go to the first ready member: %+v", ws)
	}
}

func TestPoolSerials(t *testing.T) {
	b := NewBus("myhost")
	a, err := b.AddPool("a", PoolOptions{Events: []Type{TypeProcessState}, Members: []string{"la"}})
	if err != nil {
		t.Fatal(err)
	}
	bp, err := b.AddPool("b", PoolOptions{Events: []Type{TypeTick, TypeProcessStateRunning}, Members: []string{"lb"}})
	if err != nil {
		t.Fatal(err)
	}
	running := ProcessStateChange{Name: "w", Group: "w", From: process.Starting, To: process.Running, Pid: 9}
	exited := ProcessStateChange{Name: "w", Group: "w", From: process.Running, To: process.Exited, Pid: 9}
	tick, _ := TickEvent(5, 1700000005)
	b.Publish(tick, t0)
	b.ProcessStateChange(running, t0)
	b.Publish(remote(1), t0) // no subscriber: takes no serial
	b.ProcessStateChange(exited, t0)
	b.Publish(SupervisorRunningEvent(), t0) // no subscriber either

	want := map[*Pool][]string{
		a:  {"serial:1 pool:a poolserial:0 eventname:PROCESS_STATE_RUNNING", "serial:2 pool:a poolserial:1 eventname:PROCESS_STATE_EXITED"},
		bp: {"serial:0 pool:b poolserial:0 eventname:TICK_5", "serial:1 pool:b poolserial:1 eventname:PROCESS_STATE_RUNNING"},
	}
	for p, lines := range want {
		effs := startMembers(t, p, 0) // the first event goes out on READY
		for i, line := range lines {
			if i > 0 {
				effs = ack(p, 0, "OK")
			}
			ws := writes(effs)
			if len(ws) != 1 {
				t.Fatalf("pool %s event %d: %d writes", p.Name(), i, len(ws))
			}
			if !strings.Contains(string(ws[0].Data), "ver:3.0 server:myhost "+line+" len:") {
				t.Errorf("pool %s event %d: header %q, want %q", p.Name(), i, ws[0].Data, line)
			}
		}
	}
}

func TestPoolOverflowDropsOldest(t *testing.T) {
	p := newTestPool(t, 1, 3, TypeRemoteCommunication)
	var errs []string
	for i := range 5 {
		errs = append(errs, logs(p.Publish(remote(i), t0), LevelError)...)
	}
	want := []string{
		"pool pool event buffer overflowed, discarding event 0",
		"pool pool event buffer overflowed, discarding event 1",
	}
	if fmt.Sprint(errs) != fmt.Sprint(want) {
		t.Fatalf("errors %q, want %q", errs, want)
	}
	var serials []string
	effs := startMembers(t, p, 0)
	for range 3 {
		ws := writes(effs)
		if len(ws) != 1 {
			t.Fatalf("want one write, got %d", len(ws))
		}
		serials = append(serials, header(t, ws[0].Data)["serial"])
		effs = ack(p, 0, "OK")
	}
	if fmt.Sprint(serials) != "[2 3 4]" {
		t.Fatalf("sent serials %v, want [2 3 4]", serials)
	}
}

func TestPoolFailIsResent(t *testing.T) {
	p := newTestPool(t, 1, 10, TypeRemoteCommunication)
	startMembers(t, p, 0)
	first := writes(p.Publish(remote(0), t0))
	p.Publish(remote(1), t0)
	effs := ack(p, 0, "FAIL")
	ws := writes(effs)
	if len(ws) != 1 || string(ws[0].Data) != string(first[0].Data) {
		t.Fatalf("rejected event not resent first: %+v", ws)
	}
	if l := logs(effs, LevelDebug); !strings.Contains(strings.Join(l, "\n"), "rebuffering event 0 for pool pool (buf size=1, max=10)") {
		t.Errorf("debug logs %q lack the rebuffer line", l)
	}
	if l := logs(effs, LevelWarn); fmt.Sprint(l) != "[l_0: event was rejected]" {
		t.Errorf("warnings %q", l)
	}
	ws = writes(ack(p, 0, "OK"))
	if len(ws) != 1 || header(t, ws[0].Data)["serial"] != "1" || header(t, ws[0].Data)["poolserial"] != "1" {
		t.Fatalf("second event: %+v", ws)
	}
}

func TestPoolListenerDiesWhileBusy(t *testing.T) {
	p := newTestPool(t, 2, 10, TypeRemoteCommunication)
	startMembers(t, p, 0)
	sent := writes(p.Publish(remote(0), t0))
	if len(sent) != 1 || sent[0].Index != 0 {
		t.Fatalf("first send %+v", sent)
	}
	// Member 0 dies before answering: the event waits for another member.
	if ws := writes(p.ProcessState(0, process.Exited, t0)); len(ws) != 0 || p.Len() != 1 {
		t.Fatalf("after crash: writes %+v, buffered %d", ws, p.Len())
	}
	ws := writes(startMembers(t, p, 1))
	if len(ws) != 1 || ws[0].Index != 1 || string(ws[0].Data) != string(sent[0].Data) {
		t.Fatalf("event not resent to member 1: %+v", ws)
	}
	// Member 0 restarts as a new listener that must say READY again.
	p.ProcessState(0, process.Starting, t0)
	if s := p.Listener(0).State(); s != ListenerAcknowledged {
		t.Fatalf("respawned listener is %s", s)
	}
	p.Feed(0, []byte(ReadyToken), t0)
	if ws := writes(p.Publish(remote(1), t0)); len(ws) != 0 {
		t.Fatalf("STARTING listener got an event: %+v", ws)
	}
	if ws := writes(p.ProcessState(0, process.Running, t0)); len(ws) != 1 || ws[0].Index != 0 {
		t.Fatalf("RUNNING listener did not get the buffered event: %+v", ws)
	}
}

func TestPoolProtocolViolation(t *testing.T) {
	p := newTestPool(t, 1, 10, TypeRemoteCommunication)
	startMembers(t, p, 0)
	effs := p.Feed(0, []byte("I am not speaking the protocol\n"), t0)
	if p.Listener(0).State() != ListenerUnknown {
		t.Fatalf("state %s", p.Listener(0).State())
	}
	if w := logs(effs, LevelWarn); len(w) != 1 || !strings.Contains(w[0], "l_0: has entered the UNKNOWN state") {
		t.Fatalf("warnings %q", w)
	}
	if ws := writes(p.Publish(remote(0), t0)); len(ws) != 0 || p.Len() != 1 {
		t.Fatalf("UNKNOWN listener got %+v", ws)
	}
	// A bad result line while busy hands the event back.
	p2 := newTestPool(t, 1, 10, TypeRemoteCommunication)
	startMembers(t, p2, 0)
	p2.Publish(remote(0), t0)
	p2.Feed(0, []byte("RESULT two\n"), t0)
	if p2.Len() != 1 || p2.Listener(0).State() != ListenerUnknown {
		t.Fatalf("bad result: buffered %d, state %s", p2.Len(), p2.Listener(0).State())
	}
}

func TestPoolWriteFailed(t *testing.T) {
	p := newTestPool(t, 2, 10, TypeRemoteCommunication)
	startMembers(t, p, 0, 1)
	ws := writes(p.Publish(remote(0), t0))
	effs := p.WriteFailed(ws[0].Index, t0)
	again := writes(effs)
	if len(again) != 1 || again[0].Index != 1 || string(again[0].Data) != string(ws[0].Data) {
		t.Fatalf("event not moved to member 1: %+v", again)
	}
	if d := logs(effs, LevelDebug); !strings.Contains(strings.Join(d, "\n"), "epipe occurred while sending event 0 to listener l_0") {
		t.Errorf("debug logs %q", d)
	}
	ack(p, 1, "OK")
	if ws := writes(p.Publish(remote(1), t0)); len(ws) != 1 || ws[0].Index != 1 {
		t.Fatalf("member with closed stdin chosen: %+v", ws)
	}
}

func TestPoolOverlappingSubscriptionsBufferTwice(t *testing.T) {
	p := newTestPool(t, 1, 10, TypeProcessState, TypeProcessStateRunning, TypeTick)
	p.Publish(ProcessStateEvent(ProcessStateChange{To: process.Running}), t0)
	if p.Len() != 2 {
		t.Fatalf("buffered %d copies, want 2 as the reference", p.Len())
	}
}

func TestBusTicks(t *testing.T) {
	b := NewBus("")
	if _, ok := b.NextTick(t0); ok {
		t.Fatal("NextTick wanted with no pools")
	}
	p, err := b.AddPool("ticks", PoolOptions{Events: []Type{TypeTick60}, Members: []string{"l"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000012, 5e8) // 12.5 s past a minute boundary
	next, ok := b.NextTick(now)
	if !ok || !next.Equal(time.Unix(1700000040, 0)) {
		t.Fatalf("NextTick = %v, %v; want the next minute", next, ok)
	}
	if effs := b.Tick(now.Add(10 * time.Second)); len(effs) != 0 || p.Len() != 0 {
		t.Fatalf("tick before the boundary published %v", effs)
	}
	b.Tick(next.Add(time.Millisecond))
	if p.Len() != 1 {
		t.Fatalf("buffered %d after the boundary", p.Len())
	}
	ws := writes(startMembers(t, p, 0))
	if len(ws) != 1 || !strings.HasSuffix(string(ws[0].Data), "eventname:TICK_60 len:15\nwhen:1700000040") ||
		!strings.Contains(string(ws[0].Data), "serial:0 ") {
		t.Fatalf("tick envelope %q", ws[0].Data)
	}
	if next, _ := b.NextTick(next.Add(time.Millisecond)); !next.Equal(time.Unix(1700000100, 0)) {
		t.Fatalf("following tick at %v", next)
	}
	// Several periods rolling over at once come out shortest first.
	b2 := NewBus("")
	p2, _ := b2.AddPool("all", PoolOptions{Events: []Type{TypeTick}, Members: []string{"l"}, BufferSize: 5})
	b2.Tick(time.Unix(3599, 0))
	b2.Tick(time.Unix(3600, 0))
	var names []string
	effs := startMembers(t, p2, 0)
	for range 3 {
		for _, w := range writes(effs) {
			names = append(names, header(t, w.Data)["eventname"])
		}
		effs = ack(p2, 0, "OK")
	}
	if fmt.Sprint(names) != "[TICK_5 TICK_60 TICK_3600]" {
		t.Fatalf("tick order %v", names)
	}
}

func TestSerialWraps(t *testing.T) {
	s := Serial{last: 1<<63 - 1, used: true}
	if n := s.Next(); n != 0 {
		t.Fatalf("after max: %d", n)
	}
	var fresh Serial
	if a, b := fresh.Next(), fresh.Next(); a != 0 || b != 1 {
		t.Fatalf("fresh serials %d, %d", a, b)
	}
}

func TestPoolOptionsFor(t *testing.T) {
	o, err := PoolOptionsFor([]string{"process_state", "TICK_5"}, 0, "supervisor.dispatchers:default_handler", []string{"a"})
	if err != nil || len(o.Events) != 2 || o.ResultHandler == nil {
		t.Fatalf("%+v, %v", o, err)
	}
	if _, err := PoolOptionsFor([]string{"NOPE"}, 0, "", nil); err == nil {
		t.Fatal("unknown event accepted")
	}
	if _, err := PoolOptionsFor([]string{"EVENT"}, 0, "my.module:handler", nil); err == nil {
		t.Fatal("python result handler accepted")
	}
}
