package logfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// growPipe enlarges a pipe's kernel buffer so a fast writer fills fewer,
// larger reads. Failure (not a pipe, over the user's limit) is harmless.
func growPipe(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		unix.FcntlInt(fd, unix.F_SETPIPE_SZ, 1<<20)
	})
}
