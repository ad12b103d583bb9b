package supervisor

import (
	"testing"

	"supervisord/internal/logfile"
)

func TestCoalesceMergesWhatContinuesAnEvent(t *testing.T) {
	ch := make(chan logfile.Event, 8)
	out := func(proc string, pid int, data string) logfile.Event {
		return logfile.Event{Kind: logfile.EventLog, Channel: logfile.Stdout, Process: proc, Group: proc, Pid: pid, Data: []byte(data)}
	}
	ch <- out("a", 1, "b\n")
	ch <- out("a", 1, "c\n")
	ch <- out("x", 2, "other\n")
	ch <- out("a", 1, "d\n")
	ev := out("a", 1, "a\n")
	next, ok := coalesce(&ev, ch)
	if string(ev.Data) != "a\nb\nc\n" || !ok || next.Process != "x" {
		t.Fatalf("merged %q, next %+v (%v)", ev.Data, next, ok)
	}
	next2, ok := coalesce(&next, ch)
	if string(next.Data) != "other\n" || !ok || string(next2.Data) != "d\n" {
		t.Fatalf("second: %q, next %+v (%v)", next.Data, next2, ok)
	}
	if _, ok := coalesce(&next2, ch); ok || string(next2.Data) != "d\n" {
		t.Fatalf("third: %q (%v)", next2.Data, ok)
	}
	// Communication events are never merged, nor are events past the size
	// of the reference's largest read.
	comm := logfile.Event{Kind: logfile.EventCommunication, Process: "a", Pid: 1, Data: []byte("m")}
	ch <- out("a", 1, "z")
	if _, ok := coalesce(&comm, ch); ok || string(comm.Data) != "m" || len(ch) != 1 {
		t.Fatalf("communication event merged: %q", comm.Data)
	}
	<-ch
	big := out("a", 1, string(make([]byte, maxCoalesced)))
	ch <- out("a", 1, "z")
	if next, ok := coalesce(&big, ch); !ok || len(big.Data) != maxCoalesced || string(next.Data) != "z" {
		t.Fatalf("merged past the limit: %d bytes", len(big.Data))
	}
}
