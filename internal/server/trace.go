package server

import (
	"context"
	"strconv"

	"supervisord/internal/logfile"
	"supervisord/internal/rpc"
)

// traceCall logs an XML-RPC call and its outcome at trace level, in the
// reference's words, so that a daemon run with loglevel=trace shows which
// methods clients called and which faults they got.
func (s *Server) traceCall(ctx context.Context, method string, call func() (any, error)) (any, error) {
	if !s.logger.Enabled(ctx, logfile.LevelTrace) {
		return call()
	}
	s.logger.Log(ctx, logfile.LevelTrace, "XML-RPC method called: "+method+"()")
	v, err := call()
	if err != nil {
		f := rpc.Fault(err)
		s.logger.Log(ctx, logfile.LevelTrace, "XML-RPC method "+method+"() returned fault: ["+strconv.Itoa(f.Code)+"] "+f.String)
	} else {
		s.logger.Log(ctx, logfile.LevelTrace, "XML-RPC method "+method+"() returned successfully")
	}
	return v, err
}
