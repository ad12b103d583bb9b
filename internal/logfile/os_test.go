package logfile

import (
	"log/slog"
	"syscall"
)

const syscallNonblock = syscall.O_NONBLOCK

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }

func slogNew(h slog.Handler) *slog.Logger { return slog.New(h) }
