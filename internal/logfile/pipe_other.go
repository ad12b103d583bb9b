//go:build !linux

package logfile

import "os"

func growPipe(*os.File) {}
