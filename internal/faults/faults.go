// Package faults names the failures the control API can report, with the
// numeric codes Supervisor 4.x uses on the wire. The supervisor returns
// *Error values; the RPC layer turns them into XML-RPC faults in one place.
package faults

import (
	"fmt"

	"supervisord/internal/pycompat"
)

// Code is a Supervisor fault code; the codes and their names live in
// pycompat with the reference's other wire rules.
type Code = pycompat.FaultCode

// Supervisor 4.2.5's fault codes, under the names the daemon's code uses.
const (
	UnknownMethod        = pycompat.FaultUnknownMethod
	IncorrectParameters  = pycompat.FaultIncorrectParameters
	BadArguments         = pycompat.FaultBadArguments
	SignatureUnsupported = pycompat.FaultSignatureUnsupported
	ShutdownState        = pycompat.FaultShutdownState
	BadName              = pycompat.FaultBadName
	BadSignal            = pycompat.FaultBadSignal
	NoFile               = pycompat.FaultNoFile
	NotExecutable        = pycompat.FaultNotExecutable
	Failed               = pycompat.FaultFailed
	AbnormalTermination  = pycompat.FaultAbnormalTermination
	SpawnError           = pycompat.FaultSpawnError
	AlreadyStarted       = pycompat.FaultAlreadyStarted
	NotRunning           = pycompat.FaultNotRunning
	Success              = pycompat.FaultSuccess
	AlreadyAdded         = pycompat.FaultAlreadyAdded
	StillRunning         = pycompat.FaultStillRunning
	CantReread           = pycompat.FaultCantReread
)

// Error is a failure with a Supervisor fault code. Detail is the text after
// the code name on the wire: Fault{Code: 10, String: "BAD_NAME: web"} has
// Detail "web". An empty Detail gives just the name.
type Error struct {
	Code   Code
	Detail string
}

// New returns an *Error for code with the given detail.
func New(code Code, detail string) *Error { return &Error{Code: code, Detail: detail} }

// Newf returns an *Error for code with a formatted detail.
func Newf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// FaultString is the faultString Supervisor sends: "NAME" or "NAME: detail".
func (e *Error) FaultString() string {
	if e.Detail == "" {
		return e.Code.Name()
	}
	return e.Code.Name() + ": " + e.Detail
}

func (e *Error) Error() string { return e.FaultString() }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, faults.New(faults.BadName, "")) matches any BAD_NAME.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}
