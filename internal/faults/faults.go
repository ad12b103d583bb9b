// Package faults names the failures the control API can report, with the
// numeric codes Supervisor 4.x uses on the wire. The supervisor returns
// *Error values; the RPC layer turns them into XML-RPC faults in one place.
package faults

import "fmt"

// Code is a Supervisor fault code.
type Code int

// Supervisor 4.2.5's fault codes.
const (
	UnknownMethod        Code = 1
	IncorrectParameters  Code = 2
	BadArguments         Code = 3
	SignatureUnsupported Code = 4
	ShutdownState        Code = 6
	BadName              Code = 10
	BadSignal            Code = 11
	NoFile               Code = 20
	NotExecutable        Code = 21
	Failed               Code = 30
	AbnormalTermination  Code = 40
	SpawnError           Code = 50
	AlreadyStarted       Code = 60
	NotRunning           Code = 70
	Success              Code = 80
	AlreadyAdded         Code = 90
	StillRunning         Code = 91
	CantReread           Code = 92
)

var names = map[Code]string{
	UnknownMethod:        "UNKNOWN_METHOD",
	IncorrectParameters:  "INCORRECT_PARAMETERS",
	BadArguments:         "BAD_ARGUMENTS",
	SignatureUnsupported: "SIGNATURE_UNSUPPORTED",
	ShutdownState:        "SHUTDOWN_STATE",
	BadName:              "BAD_NAME",
	BadSignal:            "BAD_SIGNAL",
	NoFile:               "NO_FILE",
	NotExecutable:        "NOT_EXECUTABLE",
	Failed:               "FAILED",
	AbnormalTermination:  "ABNORMAL_TERMINATION",
	SpawnError:           "SPAWN_ERROR",
	AlreadyStarted:       "ALREADY_STARTED",
	NotRunning:           "NOT_RUNNING",
	Success:              "SUCCESS",
	AlreadyAdded:         "ALREADY_ADDED",
	StillRunning:         "STILL_RUNNING",
	CantReread:           "CANT_REREAD",
}

// Name returns the symbolic name of a code, e.g. "BAD_NAME".
func (c Code) Name() string {
	if n, ok := names[c]; ok {
		return n
	}
	return fmt.Sprintf("FAULT_%d", int(c))
}

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
