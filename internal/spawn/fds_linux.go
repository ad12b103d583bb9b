package spawn

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// CloseOnExecInherited marks every open descriptor above 2 close-on-exec,
// so that descriptors the daemon inherited from whoever started it do not
// reach its children. Descriptors Go opens are close-on-exec already; call
// this once at start-up.
func CloseOnExecInherited() error {
	dir, err := os.Open("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("spawn: listing open descriptors: %w", err)
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("spawn: listing open descriptors: %w", err)
	}
	for _, name := range names {
		if fd, err := strconv.Atoi(name); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
	return nil
}
