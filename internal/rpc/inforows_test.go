package rpc

import (
	"bytes"
	"testing"
	"time"

	"supervisord/internal/process"
	"supervisord/internal/xmlrpc"
)

// The rows that encode themselves must give exactly the bytes of the
// xmlrpc.Struct tree they replace.
func TestInfoRowsEncodeAsStructs(t *testing.T) {
	a := New(newFake(), Options{Location: time.UTC})
	groups := []GroupSnapshot{
		{Name: "zeta", Processes: []process.Info{
			{Name: "b<&>\r", Group: "zeta", State: process.Running, Pid: 42, Start: 1000, Stop: 900,
				StdoutLogfile: "/l/o", StderrLogfile: "/l/e", Health: "healthy"},
			{Name: "a\xff", Group: "zeta", State: process.Exited, ExitStatus: 3, Start: 1 << 40, Stop: -1 << 40,
				SpawnErr: "no such file"},
		}},
		{Name: "alpha", Processes: []process.Info{{Name: "alpha", Group: "alpha", State: process.Fatal}}},
	}
	now := int64(2000)
	var want, got []byte
	var err error
	if want, err = xmlrpc.AppendResponse(nil, a.AllProcessInfo(groups, now)); err != nil {
		t.Fatal(err)
	}
	if got, err = xmlrpc.AppendResponse(nil, a.allInfoRows(groups, now)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("getAllProcessInfo:\n got %s\nwant %s", got, want)
	}
	if est := a.allInfoRows(groups, now).EncodedSize(); est < len(got) || est > 2*len(got) {
		t.Errorf("size estimate %d for %d bytes", est, len(got))
	}
	for gi := range groups {
		g := &groups[gi]
		for i := range g.Processes {
			want, _ = xmlrpc.AppendResponse(nil, a.info(g, &g.Processes[i], now))
			got, _ = xmlrpc.AppendResponse(nil, infoRow{a: a, g: g, p: &g.Processes[i], now: now})
			if !bytes.Equal(got, want) {
				t.Errorf("getProcessInfo %s:\n got %s\nwant %s", g.Processes[i].Name, got, want)
			}
		}
	}
	// Inside another value (system.multicall) too.
	want, _ = xmlrpc.AppendResponse(nil, []any{a.info(&groups[1], &groups[1].Processes[0], now)})
	got, _ = xmlrpc.AppendResponse(nil, []any{infoRow{a: a, g: &groups[1], p: &groups[1].Processes[0], now: now}})
	if !bytes.Equal(got, want) {
		t.Errorf("in an array:\n got %s\nwant %s", got, want)
	}
}
