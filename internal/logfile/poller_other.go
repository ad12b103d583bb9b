//go:build !linux

package logfile

import (
	"os"
	"time"
)

// pipeCapture exists only where the shared poller does (Linux).
type pipeCapture struct{}

func (*pipeCapture) expireAt(time.Time) {}

// startPolled is never possible here: every capture has its goroutine.
func (s *Stream) startPolled(*os.File, int, func()) *pipeCapture { return nil }
