package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"supervisord/internal/config"
)

var syscall_EADDRINUSE = syscall.EADDRINUSE

// listenUnix creates the socket of a [unix_http_server]. An existing
// socket file that a live server answers on is an error; a stale one is
// removed. The socket is created under a temporary name, given its mode
// and owner, and only then moved into place, so that it is never
// reachable with looser permissions.
func listenUnix(u config.UnixHTTPServer) (*listener, error) {
	path := u.File
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("[%s]: %s exists and is not a socket", u.Section, path)
		}
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("[%s]: another program is already listening on %s", u.Section, path)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("[%s]: cannot remove stale socket: %w", u.Section, err)
		}
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+strconv.Itoa(os.Getpid())+".tmp")
	os.Remove(tmp)
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, fmt.Errorf("[%s]: cannot listen on %s: %w", u.Section, path, err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	fail := func(err error) (*listener, error) {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	mode := u.Chmod
	if mode == 0 {
		mode = 0o700
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return fail(fmt.Errorf("[%s]: chmod %s: %w", u.Section, path, err))
	}
	if u.Chown != nil {
		if err := os.Chown(tmp, int(u.Chown.Uid), int(u.Chown.Gid)); err != nil {
			return fail(fmt.Errorf("[%s]: not permitted to chown %s to uid/gid %d/%d: %w",
				u.Section, path, u.Chown.Uid, u.Chown.Gid, err))
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(fmt.Errorf("[%s]: cannot move socket into place at %s: %w", u.Section, path, err))
	}
	return &listener{ln: ln, section: u.Section, socket: path, path: path,
		auth: accountsOf(u.Username, u.Password, u.ReadOnly)}, nil
}
