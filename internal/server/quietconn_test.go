package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// quietPair returns a quiet server side and a plain client side of a
// connection on network ("unix" or "tcp").
func quietPair(t *testing.T, network string) (srv net.Conn, cli net.Conn) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "s")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	cli, err = net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	srv = quiet(c)
	if _, ok := srv.(*quietConn); !ok {
		t.Fatalf("quiet(%T) left it as it was", c)
	}
	t.Cleanup(func() { srv.Close(); cli.Close() })
	return srv, cli
}

func TestQuietConnCarriesBothWays(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			srv, cli := quietPair(t, network)

			// A read waits in the poller until the peer writes.
			got := make(chan []byte, 1)
			go func() {
				b := make([]byte, 64)
				n, err := srv.Read(b)
				if err != nil {
					t.Error(err)
				}
				got <- b[:n]
			}()
			if _, err := cli.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			if b := <-got; string(b) != "ping" {
				t.Fatalf("read %q, want ping", b)
			}

			// A write many times the socket's buffer waits for room and
			// arrives whole and in order.
			big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
			werr := make(chan error, 1)
			go func() {
				n, err := srv.Write(big)
				if err == nil && n != len(big) {
					err = io.ErrShortWrite
				}
				werr <- err
			}()
			back := make([]byte, len(big))
			if _, err := io.ReadFull(cli, back); err != nil {
				t.Fatal(err)
			}
			if err := <-werr; err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back, big) {
				t.Fatal("the big write arrived changed")
			}

			// The peer's close is EOF.
			cli.Close()
			if n, err := srv.Read(make([]byte, 8)); n != 0 || err != io.EOF {
				t.Fatalf("read after the peer closed: %d, %v; want 0, EOF", n, err)
			}
		})
	}
}

// net/http aborts its background read with a read deadline in the past
// and tells a timeout from a failure by net.Error; both must hold.
func TestQuietConnDeadlineAndClose(t *testing.T) {
	srv, _ := quietPair(t, "unix")

	done := make(chan error, 1)
	go func() {
		_, err := srv.Read(make([]byte, 8))
		done <- err
	}()
	// Nothing was sent: parked in the poller or not yet, the read ends at a
	// deadline in the past.
	srv.SetReadDeadline(time.Unix(1, 0))
	err := <-done
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v; want a timeout", err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "read" {
		t.Fatalf("read past its deadline: %#v; want a net.OpError for read", err)
	}

	srv.SetReadDeadline(time.Time{})
	go func() {
		_, err := srv.Read(make([]byte, 8))
		done <- err
	}()
	srv.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read on a closed connection: %v; want net.ErrClosed", err)
	}
	if _, err := srv.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write on a closed connection: %v; want net.ErrClosed", err)
	}
}

// A write to a peer that has gone reports the system's error as the net
// package does.
func TestQuietConnWriteToGonePeer(t *testing.T) {
	srv, cli := quietPair(t, "tcp")
	cli.(*net.TCPConn).SetLinger(0) // close with a reset
	cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		_, err := srv.Write([]byte("hello"))
		if err == nil {
			continue // the reset may not have arrived yet
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "write" {
			t.Fatalf("write to a reset peer: %#v; want a net.OpError for write", err)
		}
		var se *os.SyscallError
		if !errors.As(err, &se) {
			t.Fatalf("write to a reset peer: %v; want the system call's error inside", err)
		}
		return
	}
	t.Fatal("writes to a reset peer kept succeeding")
}

// A read from a peer that reset the connection reports nothing read and
// the system's error as the net package does.
func TestQuietConnReadFromResetPeer(t *testing.T) {
	srv, cli := quietPair(t, "tcp")
	cli.(*net.TCPConn).SetLinger(0) // close with a reset
	cli.Close()
	n, err := srv.Read(make([]byte, 8))
	if n != 0 {
		t.Fatalf("read from a reset peer returned %d bytes", n)
	}
	var oe *net.OpError
	var se *os.SyscallError
	if !errors.As(err, &oe) || oe.Op != "read" || !errors.As(err, &se) {
		t.Fatalf("read from a reset peer: %#v; want a net.OpError for read around the system call's error", err)
	}
}
