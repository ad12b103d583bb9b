package events

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"supervisord/internal/process"
)

type scenarioPool struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
	Buffer  int      `json:"buffer"`
	Events  []string `json:"events"`
}

type scenarioOp struct {
	Op    string `json:"op"`
	Event string `json:"event,omitempty"`
	N     int    `json:"n,omitempty"`
	Pool  string `json:"pool,omitempty"`
	Proc  string `json:"proc,omitempty"`
}

type scenario struct {
	Pools []scenarioPool `json:"pools"`
	Ops   []scenarioOp   `json:"ops"`
}

// runScenario plays a scenario on a Bus and returns the envelopes written,
// as "pool process base64" lines.
func runScenario(t *testing.T, sc scenario) []string {
	b := NewBus("supervisor")
	for _, sp := range sc.Pools {
		var types []Type
		for _, n := range sp.Events {
			ty, ok := Lookup(n)
			if !ok {
				t.Fatalf("bad type %s", n)
			}
			types = append(types, ty)
		}
		if _, err := b.AddPool(sp.Name, PoolOptions{BufferSize: sp.Buffer, Events: types, Members: sp.Members}); err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	record := func(effs []Effect) {
		for _, w := range writes(effs) {
			out = append(out, fmt.Sprintf("%s %s %s", w.Pool, w.Process, base64.StdEncoding.EncodeToString(w.Data)))
		}
	}
	now := time.Unix(0, 0)
	for _, op := range sc.Ops {
		if op.Op == "publish" {
			if op.Event == "tick5" {
				ev, _ := TickEvent(5, int64(op.N))
				record(b.Publish(ev, now))
			} else {
				record(b.Publish(RemoteCommunicationEvent("t", strconv.Itoa(op.N)), now))
			}
			continue
		}
		p := b.Pool(op.Pool)
		i, ok := p.Index(op.Proc)
		if !ok {
			t.Fatalf("no member %s", op.Proc)
		}
		switch op.Op {
		case "spawn":
			record(p.ProcessState(i, process.Starting, now))
			record(p.ProcessState(i, process.Running, now))
		case "ready":
			record(p.Feed(i, []byte(ReadyToken), now))
		case "ok":
			record(p.Feed(i, []byte("RESULT 2\nOK"), now))
		case "fail":
			record(p.Feed(i, []byte("RESULT 4\nFAIL"), now))
		case "die":
			record(p.ProcessState(i, process.Exited, now))
		default:
			t.Fatalf("bad op %s", op.Op)
		}
	}
	return out
}

// TestPoolsMatchReference plays the same scenario through the reference's
// EventListenerPool and through Bus/Pool and compares every envelope
// written, in order: who gets which event, with which serials.
func TestPoolsMatchReference(t *testing.T) {
	py := referencePython(t)
	sc := scenario{
		Pools: []scenarioPool{
			{Name: "a", Members: []string{"a0", "a1", "a2"}, Buffer: 3, Events: []string{"REMOTE_COMMUNICATION"}},
			{Name: "b", Members: []string{"b0"}, Buffer: 10, Events: []string{"TICK", "EVENT"}},
			{Name: "c", Members: []string{"c0"}, Buffer: 2, Events: []string{"TICK_5"}},
		},
	}
	op := func(o, pool, proc string) { sc.Ops = append(sc.Ops, scenarioOp{Op: o, Pool: pool, Proc: proc}) }
	pub := func(ev string, n int) { sc.Ops = append(sc.Ops, scenarioOp{Op: "publish", Event: ev, N: n}) }
	// Events before anyone is ready; pool a overflows.
	for n := range 5 {
		pub("remote", n)
	}
	pub("tick5", 5)
	for _, m := range []string{"a0", "a1", "a2"} {
		op("spawn", "a", m)
	}
	op("spawn", "b", "b0")
	op("spawn", "c", "c0")
	op("ready", "a", "a1")
	op("ready", "a", "a0")
	op("ready", "b", "b0")
	op("fail", "a", "a1") // rejected: re-buffered at the head
	op("ready", "a", "a2")
	op("ready", "a", "a1")
	pub("tick5", 10)
	op("ok", "b", "b0")
	op("ready", "b", "b0")
	op("die", "a", "a0") // dies while busy
	op("ok", "a", "a2")
	op("ready", "a", "a2")
	op("ready", "c", "c0")
	for n := 20; n < 24; n++ {
		pub("remote", n)
	}
	op("ok", "a", "a1")
	op("ready", "a", "a1")
	op("spawn", "a", "a0")
	op("ready", "a", "a0")
	op("ok", "b", "b0")
	op("ready", "b", "b0")
	op("ok", "b", "b0")
	op("ready", "b", "b0")

	in, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "testdata/pools.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	refOut, err := cmd.Output()
	if err != nil {
		t.Fatalf("pools.py: %v\n%s", err, stderr.Bytes())
	}
	want := strings.Split(strings.TrimSpace(string(refOut)), "\n")
	got := runScenario(t, sc)
	if len(want) < 10 {
		t.Fatalf("reference wrote only %d envelopes: %q", len(want), want)
	}
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = decodeLine(got[i])
		}
		if i < len(want) {
			w = decodeLine(want[i])
		}
		if g != w {
			t.Errorf("write %d:\n got  %q\n want %q", i, g, w)
		}
	}
}

func decodeLine(l string) string {
	f := strings.Fields(l)
	if len(f) != 3 {
		return l
	}
	b, _ := base64.StdEncoding.DecodeString(f[2])
	return f[0] + " " + f[1] + " " + string(b)
}
