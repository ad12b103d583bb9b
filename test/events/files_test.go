//go:build linux

package events_test

import (
	"context"
	"os"
	"time"
)

func removeAll(dir string) { _ = os.RemoveAll(dir) }

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
