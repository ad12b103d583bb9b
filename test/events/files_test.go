//go:build linux

package events_test

import "os"

func removeAll(dir string) { _ = os.RemoveAll(dir) }
