package spawn

import (
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ownV1Tasks returns a function that moves the calling thread back into
// the v1 cgroups it is in now (read from /proc/thread-self/cgroup). It
// uses system calls alone, as everything the spawner thread runs must
// (see spawner_linux.go).
func ownV1Tasks() (func(), error) {
	b, err := readRaw("/proc/thread-self/cgroup")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || parts[1] == "" {
			continue
		}
		for _, ctl := range []string{"memory", "cpu", "pids"} {
			for _, c := range strings.Split(parts[1], ",") {
				if c == ctl {
					files = append(files, filepath.Join("/sys/fs/cgroup", ctl, parts[2], "tasks"))
				}
			}
		}
	}
	return func() {
		tid := []byte(strconv.Itoa(syscall.Gettid()))
		for _, f := range files {
			if fd, err := syscall.Open(f, syscall.O_WRONLY|syscall.O_CLOEXEC, 0); err == nil {
				syscall.Write(fd, tid)
				syscall.Close(fd)
			}
		}
	}, nil
}

// readRaw reads a small file with system calls alone.
func readRaw(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := syscall.Read(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return out, nil
		}
		out = append(out, buf[:n]...)
	}
}
