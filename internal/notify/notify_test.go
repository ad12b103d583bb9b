package notify

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func listen(t *testing.T, capacity int) (*Socket, chan Message) {
	t.Helper()
	ch := make(chan Message, capacity)
	s, err := Listen(ch)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, ch
}

func dial(t *testing.T, s *Socket) *net.UnixConn {
	t.Helper()
	if !strings.HasPrefix(s.Addr(), "@supervisord-notify-") {
		t.Fatalf("address %q", s.Addr())
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: s.Addr(), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func receive(t *testing.T, ch chan Message) Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
	}
	return Message{}
}

func TestMessageCarriesTheSendersCredentials(t *testing.T) {
	s, ch := listen(t, 4)
	c := dial(t, s)
	if _, err := c.Write([]byte("READY=1\nSTATUS=Serving 3 clients\n")); err != nil {
		t.Fatal(err)
	}
	m := receive(t, ch)
	if m.Pid != os.Getpid() || m.Uid != os.Getuid() || m.Err != nil {
		t.Fatalf("message %+v", m)
	}
	if v, _ := m.Get("READY"); v != "1" {
		t.Fatalf("READY %q", v)
	}
	if v, _ := m.Get("STATUS"); v != "Serving 3 clients" {
		t.Fatalf("STATUS %q", v)
	}
	if m.Lineage[0] != os.Getpid() {
		t.Fatalf("lineage %v", m.Lineage)
	}
}

func TestGarbageAndOversizedMessages(t *testing.T) {
	s, ch := listen(t, 4)
	c := dial(t, s)
	c.Write([]byte("STATUS=ok\nthis is not an assignment\nREADY=1"))
	m := receive(t, ch)
	if m.Err == nil || len(m.Fields) != 1 || m.Fields[0].Key != "STATUS" {
		t.Fatalf("garbage message %+v", m)
	}
	c.Write([]byte("STATUS=" + strings.Repeat("x", MaxMessage)))
	if m := receive(t, ch); !errors.Is(m.Err, ErrTooLong) || len(m.Fields) != 0 {
		t.Fatalf("oversized message %+v", m)
	}
	// The socket still works after garbage.
	c.Write([]byte("READY=1"))
	if m := receive(t, ch); m.Err != nil {
		t.Fatalf("%+v", m)
	}
}

func TestPassedDescriptorsAreClosed(t *testing.T) {
	s, ch := listen(t, 4)
	c := dial(t, s)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	before := openFDs(t)
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	raw.Write(func(fd uintptr) bool {
		serr = syscall.Sendmsg(int(fd), []byte("FDSTORE=1"), syscall.UnixRights(int(r.Fd()), int(w.Fd())), nil, 0)
		return true
	})
	if serr != nil {
		t.Fatal(serr)
	}
	receive(t, ch)
	if after := openFDs(t); after != before {
		t.Fatalf("%d descriptors open before, %d after receiving two", before, after)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	return len(ents)
}

func TestFloodLosesNothingAndCloseNeverHangs(t *testing.T) {
	s, ch := listen(t, 2)
	c := dial(t, s)
	const n = 2000
	sent := make(chan error, 1)
	go func() {
		// A sender faster than the reader waits in its own send once the
		// socket's queue is full.
		for range n {
			if _, err := c.Write([]byte("STATUS=flood")); err != nil {
				sent <- err
				return
			}
		}
		_, err := c.Write([]byte("READY=1"))
		sent <- err
	}()
	for i := range n {
		if m := receive(t, ch); len(m.Fields) != 1 || m.Fields[0] != (Field{"STATUS", "flood"}) {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
	if m := receive(t, ch); len(m.Fields) != 1 || m.Fields[0] != (Field{"READY", "1"}) {
		t.Fatalf("last message: %+v", m)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	// A reader blocked on a full queue that nobody takes from still
	// stops when the socket is closed.
	for range 4 {
		c.Write([]byte("STATUS=more"))
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung with a reader waiting on a full queue")
	}
}

func TestLineageOfAChild(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
	got := Lineage(cmd.Process.Pid)
	if got[0] != cmd.Process.Pid || !slices.Contains(got, os.Getpid()) {
		t.Fatalf("lineage %v: want the child then us (%d)", got, os.Getpid())
	}
	if got := Lineage(1 << 30); len(got) != 1 {
		t.Fatalf("lineage of a missing pid %v", got)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		keys string
		err  bool
	}{
		{"READY=1", "READY", false},
		{"READY=1\n\nSTATUS=a=b\n", "READY STATUS", false},
		{"", "", false},
		{"=1", "", true},
		{"ready=1", "", true},
		{"READY=1\nREADY", "READY", true},
		{"STATUS=\xff", "", true},
		{"STATUS=a\x00b", "", true},
		{strings.Repeat("A=1\n", 65), strings.TrimSpace(strings.Repeat("A ", 64)), true},
	} {
		fields, err := Parse([]byte(tc.in))
		var keys []string
		for _, f := range fields {
			keys = append(keys, f.Key)
		}
		if strings.Join(keys, " ") != tc.keys || (err != nil) != tc.err {
			t.Errorf("Parse(%q) = %v, %v", tc.in, keys, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"READY=1", "STATUS=x\nREADY=1\n", "MAINPID=4\nERRNO=2", "=", "\n\n", "A"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, err := Parse(b)
		if len(fields) > maxFields {
			t.Fatalf("%d fields", len(fields))
		}
		for _, fl := range fields {
			if fl.Key == "" || strings.ContainsAny(fl.Key+fl.Value, "\n\x00") {
				t.Fatalf("bad field %+v", fl)
			}
		}
		if len(b) > MaxMessage && err == nil {
			t.Fatal("oversized accepted")
		}
	})
}
