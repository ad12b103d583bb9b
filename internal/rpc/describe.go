package rpc

import (
	"time"

	"supervisord/internal/process"
)

// describe formats the description column of a process row at now, with
// stop times in loc: the reference's text, which process.DescribeIn owns.
func describe(info *process.Info, now int64, loc *time.Location) string {
	i := *info
	i.Now = now
	return process.DescribeIn(i, loc)
}
