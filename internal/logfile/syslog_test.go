package logfile

import (
	"bufio"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"supervisord/internal/config"
)

var fixedNow = func() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC) }

func syslogStream(t *testing.T, outs *Outputs, target config.LogTarget, ch Channel) *Stream {
	t.Helper()
	cfg := StreamConfig{Process: "web", Channel: ch,
		Log:            config.StreamLog{Targets: []config.LogTarget{target}},
		SyslogFacility: "local3", SyslogTag: "webapp"}
	if ch == Stderr {
		cfg.SyslogPriority = "warning"
	}
	s, err := OpenStream(cfg, StreamOptions{Outputs: outs})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSyslogUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	outs := NewOutputs(io.Discard, io.Discard, OutputsOptions{Now: fixedNow})
	defer outs.Close(time.Second)
	target := config.LogTarget{Kind: config.LogSyslogRemote, Network: "udp", Path: pc.LocalAddr().String()}
	s := syslogStream(t, outs, target, Stdout)
	s.Capture(strings.NewReader("hello\nworld"), 77)
	es := syslogStream(t, outs, target, Stderr)
	es.Capture(strings.NewReader("oops\n"), 78)

	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2048)
	var got []string
	for range 3 {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(buf[:n]))
	}
	// local3 = 19: info (6) is 158, warning (4) is 156.
	host := outs.LocalSyslog().hostname
	want := []string{
		"<158>1 2024-05-06T07:08:09.000000Z " + host + " webapp 77 - - hello",
		"<158>1 2024-05-06T07:08:09.000000Z " + host + " webapp 77 - - world",
		"<156>1 2024-05-06T07:08:09.000000Z " + host + " webapp 78 - - oops",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestSyslogTCPOctetCounting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	msgs := make(chan string, 10)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			lenStr, err := r.ReadString(' ')
			if err != nil {
				return
			}
			n, _ := strconv.Atoi(strings.TrimSpace(lenStr))
			b := make([]byte, n)
			if _, err := io.ReadFull(r, b); err != nil {
				return
			}
			msgs <- string(b)
		}
	}()
	outs := NewOutputs(io.Discard, io.Discard, OutputsOptions{Now: fixedNow})
	defer outs.Close(time.Second)
	s := syslogStream(t, outs, config.LogTarget{Kind: config.LogSyslogRemote, Network: "tcp", Path: ln.Addr().String()}, Stderr)
	s.Capture(strings.NewReader("first\nsecond\n"), 9)
	for _, w := range []string{"first", "second"} {
		select {
		case m := <-msgs:
			if !strings.HasPrefix(m, "<156>1 2024-05-06T07:08:09.000000Z ") || !strings.HasSuffix(m, " webapp 9 - - "+w) {
				t.Errorf("got %q, want a local3.warning message %q", m, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no message over tcp")
		}
	}
}

func TestLocalSyslogAndStreamSyslogOption(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log.sock")
	pc, err := net.ListenPacket("unixgram", sock)
	if err != nil {
		t.Skip("unixgram:", err)
	}
	defer pc.Close()
	outs := NewOutputs(io.Discard, io.Discard, OutputsOptions{Now: fixedNow, LocalSyslogPaths: []string{sock}})
	defer outs.Close(time.Second)
	// stdout_syslog=true: the reference's "name line" at user.info, ident supervisord.
	cfg := StreamConfig{Process: "web", Channel: Stdout, Log: config.StreamLog{Syslog: true}}
	s, err := OpenStream(cfg, StreamOptions{Outputs: outs})
	if err != nil {
		t.Fatal(err)
	}
	s.Capture(strings.NewReader("a line\n"), 5)
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1024)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(buf[:n]), "<14>May  6 07:08:09 supervisord: web a line"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLocalSyslogMissingIsCountedNotFatal(t *testing.T) {
	var warned syncBuffer
	outs := NewOutputs(io.Discard, io.Discard, OutputsOptions{
		LocalSyslogPaths: []string{filepath.Join(t.TempDir(), "absent")},
		Logger:           slogNew(NewHandler(LevelInfo, &warned)),
	})
	defer outs.Close(time.Second)
	s := syslogStream(t, outs, config.LogTarget{Kind: config.LogSyslog}, Stdout)
	if err := s.Capture(strings.NewReader("x\ny\n"), 1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for outs.LocalSyslog().Stats().Dropped < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("drops not counted: %+v", outs.LocalSyslog().Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(warned.String(), "WARN syslog: messages are being dropped") {
		t.Errorf("no warning logged: %q", warned.String())
	}
}

func TestParseSyslogNames(t *testing.T) {
	cases := []struct {
		fac, sev     string
		wantF, wantS int
		errF, errS   bool
	}{
		{"", "", 1, 6, false, false},
		{"LOCAL7", "LOG_ERR", 23, 3, false, false},
		{"log_daemon", "warning", 3, 4, false, false},
		{"bogus", "loud", 0, 0, true, true},
	}
	for _, c := range cases {
		f, err := ParseFacility(c.fac, 1)
		if (err != nil) != c.errF || (!c.errF && f != c.wantF) {
			t.Errorf("ParseFacility(%q) = %d, %v", c.fac, f, err)
		}
		s, err := ParseSeverity(c.sev, 6)
		if (err != nil) != c.errS || (!c.errS && s != c.wantS) {
			t.Errorf("ParseSeverity(%q) = %d, %v", c.sev, s, err)
		}
	}
}
