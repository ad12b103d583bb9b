// Package notify is the receiving end of the sd_notify protocol for the
// daemon's children: the socket named by NOTIFY_SOCKET, on which a
// program with ready_when=notify says READY=1 and STATUS=…, as systemd
// offers it to Type=notify services (see sd_notify(3)).
//
// There is one datagram socket for every child. The kernel stamps each
// datagram with its sender's credentials (SO_PASSCRED), so a message is
// attributed by pid, never by what it says; a reader goroutine sends each
// message to the supervisor loop without ever blocking on it, and the loop
// never touches the socket.
package notify

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"
)

// MaxMessage is the largest datagram accepted; a longer one is garbage.
// systemd uses the same bound (PIPE_BUF).
const MaxMessage = 4096

// maxFields bounds the assignments taken from one message.
const maxFields = 64

// Field is one KEY=VALUE assignment of a message.
type Field struct{ Key, Value string }

// Message is one datagram received from a child.
type Message struct {
	// Pid and Uid are the sender's, as the kernel reports them.
	Pid, Uid int
	// Lineage lists the pids that may be the supervised process the
	// sender belongs to, nearest first: the sender, its process group
	// leader, then its ancestors. It is read from /proc when the message
	// arrives; a sender that already exited leaves only its own pid.
	Lineage []int
	Fields  []Field
	// Err says why the message is (partly) garbage; the valid fields
	// before the fault are still in Fields.
	Err error
}

// Get returns the value of the last assignment to key.
func (m Message) Get(key string) (string, bool) {
	for i := len(m.Fields) - 1; i >= 0; i-- {
		if m.Fields[i].Key == key {
			return m.Fields[i].Value, true
		}
	}
	return "", false
}

// ErrTooLong is the error of a message longer than MaxMessage.
var ErrTooLong = fmt.Errorf("message longer than %d bytes", MaxMessage)

// Parse reads a message: newline-separated KEY=VALUE assignments (empty
// lines are ignored). It returns the assignments up to the first fault and
// the fault, if any.
func Parse(b []byte) ([]Field, error) {
	if len(b) > MaxMessage {
		return nil, ErrTooLong
	}
	var out []Field
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		if len(out) == maxFields {
			return out, fmt.Errorf("more than %d assignments", maxFields)
		}
		if !utf8.Valid(line) || bytes.IndexByte(line, 0) >= 0 {
			return out, errors.New("not UTF-8 text")
		}
		k, v, ok := bytes.Cut(line, []byte{'='})
		if !ok || len(k) == 0 || !validKey(k) {
			return out, fmt.Errorf("not an assignment: %q", truncate(string(line), 64))
		}
		out = append(out, Field{Key: string(k), Value: string(v)})
	}
	return out, nil
}

// validKey accepts the protocol's variable names: upper-case letters,
// digits and underscores.
func validKey(k []byte) bool {
	for _, c := range k {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Socket is the children's notify socket.
type Socket struct {
	conn *net.UnixConn
	name string
	out  chan<- Message
	stop chan struct{} // closed by Close: the reader stops waiting on out
	once sync.Once
	done chan struct{}
}

// Listen opens a notify socket in the abstract namespace (no file to
// clean up, reachable from any child in the daemon's network namespace)
// and starts its reader, which sends every message to out. The reader
// waits for the loop to take each message rather than drop one (a dropped
// READY=1 would fail a good start): a sender faster than the loop fills
// the socket's queue and then waits in its own send, as with systemd.
func Listen(out chan<- Message) (*Socket, error) {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("@supervisord-notify-%d-%s", os.Getpid(), hex.EncodeToString(rnd[:]))
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	if err := passCred(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("notify socket: SO_PASSCRED: %w", err)
	}
	s := &Socket{conn: conn, name: name, out: out, stop: make(chan struct{}), done: make(chan struct{})}
	go s.read()
	return s, nil
}

func passCred(conn *net.UnixConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_PASSCRED, 1)
	}); err != nil {
		return err
	}
	return serr
}

// Addr is the value of NOTIFY_SOCKET for the children.
func (s *Socket) Addr() string { return s.name }

// Close closes the socket and waits for the reader to end.
func (s *Socket) Close() error {
	var err error
	s.once.Do(func() {
		close(s.stop)
		err = s.conn.Close()
	})
	<-s.done
	return err
}

func (s *Socket) read() {
	defer close(s.done)
	buf := make([]byte, MaxMessage+1)
	// Room for the credentials and for a few descriptors (FDSTORE=1),
	// which are closed: the daemon keeps no descriptors for its children.
	oob := make([]byte, syscall.CmsgSpace(syscall.SizeofUcred)+syscall.CmsgSpace(4*64))
	for {
		n, oobn, flags, _, err := s.conn.ReadMsgUnix(buf, oob)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a transient error on one datagram
		}
		m := Message{Pid: -1, Uid: -1}
		fds := readControl(oob[:oobn], &m)
		switch {
		case flags&syscall.MSG_TRUNC != 0 || n > MaxMessage:
			m.Err = ErrTooLong
		case flags&syscall.MSG_CTRUNC != 0:
			m.Err = errors.New("too many descriptors passed")
		default:
			m.Fields, m.Err = Parse(buf[:n])
		}
		if m.Pid > 0 {
			m.Lineage = Lineage(m.Pid)
		}
		// Closing the descriptors only now answers a BARRIER=1 (what
		// systemd-notify sends before it exits) after the sender's
		// lineage was read, while the sender still waits for it.
		for _, fd := range fds {
			syscall.Close(fd)
		}
		if m.Pid <= 0 {
			continue // no credentials: nobody to attribute it to
		}
		select {
		case s.out <- m:
		case <-s.stop:
			return
		}
	}
}

// readControl takes the sender's credentials and returns the descriptors
// passed along, for the caller to close: the daemon keeps none.
func readControl(oob []byte, m *Message) (fds []int) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	for i := range msgs {
		if cred, err := syscall.ParseUnixCredentials(&msgs[i]); err == nil {
			m.Pid, m.Uid = int(cred.Pid), int(cred.Uid)
			continue
		}
		if passed, err := syscall.ParseUnixRights(&msgs[i]); err == nil {
			fds = append(fds, passed...)
		}
	}
	return fds
}

// maxAncestors bounds the walk up the parent chain.
const maxAncestors = 16

// Lineage is pid, its process group leader and its ancestors, nearest
// first, without repeats and without pid 1.
func Lineage(pid int) []int {
	out := []int{pid}
	seen := map[int]bool{pid: true}
	add := func(p int) {
		if p > 1 && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	ppid, pgrp, ok := stat(pid)
	if !ok {
		return out
	}
	add(pgrp)
	for i := 0; i < maxAncestors && ppid > 1; i++ {
		add(ppid)
		next, _, ok := stat(ppid)
		if !ok {
			break
		}
		ppid = next
	}
	return out
}

// stat reads a process's parent and process group from /proc.
func stat(pid int) (ppid, pgrp int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// The command name is in parentheses and may hold anything; the
	// fields that follow start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 {
		return 0, 0, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgrp, err2 := strconv.Atoi(f[2])
	return ppid, pgrp, err1 == nil && err2 == nil
}
