package spawn

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ownV1Tasks returns a function that moves the calling thread back into
// the v1 cgroups it is in now (read from /proc/thread-self/cgroup).
func ownV1Tasks() (func(), error) {
	f, err := os.Open("/proc/thread-self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var files []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		parts := strings.SplitN(s.Text(), ":", 3)
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
			os.WriteFile(f, tid, 0)
		}
	}, nil
}
