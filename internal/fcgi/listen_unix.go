//go:build unix

package fcgi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"syscall"

	"supervisord/internal/config"
)

// listen creates, binds and listens on the socket cfg describes. It uses
// the system calls directly, because the net package neither honours a
// listen backlog nor hands out a blocking descriptor that child processes
// can accept on.
func listen(cfg config.FcgiSocket) (*os.File, error) {
	backlog := cfg.Backlog
	if backlog <= 0 {
		// The kernel caps the backlog at net.core.somaxconn, so this
		// asks for the system maximum.
		backlog = math.MaxUint16
	}
	switch cfg.Network {
	case "tcp":
		return listenTCP(cfg.Address, backlog)
	case "unix":
		return listenUnix(cfg, backlog)
	}
	return nil, fmt.Errorf("unsupported network %q", cfg.Network)
}

func listenTCP(address string, backlog int) (*os.File, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("invalid port %q", portStr)
	}
	// Like Supervisor, only IPv4 is supported: resolve the host to an
	// IPv4 address.
	var ip4 [4]byte
	if host != "" {
		ips, err := net.DefaultResolver.LookupIP(context.Background(), "ip4", host)
		if err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("no IPv4 address for %s", host)
		}
		copy(ip4[:], ips[0].To4())
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("setsockopt", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: port, Addr: ip4}); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("listen", err)
	}
	return os.NewFile(uintptr(fd), "tcp://"+address), nil
}

func listenUnix(cfg config.FcgiSocket, backlog int) (*os.File, error) {
	path := cfg.Address
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	fail := func(err error) (*os.File, error) {
		syscall.Close(fd)
		os.Remove(path)
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	if cfg.Owner != nil {
		if err := os.Chown(path, int(cfg.Owner.Uid), int(cfg.Owner.Gid)); err != nil {
			return fail(fmt.Errorf("could not change ownership of socket file: %w", err))
		}
	}
	mode := cfg.Mode.Perm()
	if mode == 0 {
		mode = 0o700 // Supervisor's default socket_mode
	}
	if err := os.Chmod(path, mode); err != nil {
		return fail(fmt.Errorf("could not change permissions of socket file: %w", err))
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		return fail(os.NewSyscallError("listen", err))
	}
	return os.NewFile(uintptr(fd), "unix://"+path), nil
}
