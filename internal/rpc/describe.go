package rpc

import (
	"time"

	"supervisord/internal/process"
	"supervisord/internal/xmlrpc"
)

// describe formats the description column of a process row at now, with
// stop times in loc: the reference's text, which process.DescribeIn owns.
func describe(info *process.Info, now int64, loc *time.Location) string {
	i := *info
	i.Now = now
	return process.DescribeIn(i, loc)
}

// descriptionMember appends the description member of a row at now,
// formatted in a buffer on the stack: a reply about 1,000 running processes
// made 1,000 strings with fmt.Sprintf, half of what a call allocated.
func (a *API) descriptionMember(b []byte, info *process.Info, now int64) []byte {
	i := *info
	i.Now = now
	var scratch [96]byte
	return xmlrpc.BytesMember(b, "description", process.AppendDescription(scratch[:0], &i, a.loc))
}
