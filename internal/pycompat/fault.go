package pycompat

import "fmt"

// FaultCode is a fault code of the reference's XML-RPC interface.
type FaultCode int

// The reference's fault codes (supervisor.xmlrpc.Faults).
const (
	FaultUnknownMethod        FaultCode = 1
	FaultIncorrectParameters  FaultCode = 2
	FaultBadArguments         FaultCode = 3
	FaultSignatureUnsupported FaultCode = 4
	FaultShutdownState        FaultCode = 6
	FaultBadName              FaultCode = 10
	FaultBadSignal            FaultCode = 11
	FaultNoFile               FaultCode = 20
	FaultNotExecutable        FaultCode = 21
	FaultFailed               FaultCode = 30
	FaultAbnormalTermination  FaultCode = 40
	FaultSpawnError           FaultCode = 50
	FaultAlreadyStarted       FaultCode = 60
	FaultNotRunning           FaultCode = 70
	FaultSuccess              FaultCode = 80
	FaultAlreadyAdded         FaultCode = 90
	FaultStillRunning         FaultCode = 91
	FaultCantReread           FaultCode = 92
)

var faultNames = map[FaultCode]string{
	FaultUnknownMethod:        "UNKNOWN_METHOD",
	FaultIncorrectParameters:  "INCORRECT_PARAMETERS",
	FaultBadArguments:         "BAD_ARGUMENTS",
	FaultSignatureUnsupported: "SIGNATURE_UNSUPPORTED",
	FaultShutdownState:        "SHUTDOWN_STATE",
	FaultBadName:              "BAD_NAME",
	FaultBadSignal:            "BAD_SIGNAL",
	FaultNoFile:               "NO_FILE",
	FaultNotExecutable:        "NOT_EXECUTABLE",
	FaultFailed:               "FAILED",
	FaultAbnormalTermination:  "ABNORMAL_TERMINATION",
	FaultSpawnError:           "SPAWN_ERROR",
	FaultAlreadyStarted:       "ALREADY_STARTED",
	FaultNotRunning:           "NOT_RUNNING",
	FaultSuccess:              "SUCCESS",
	FaultAlreadyAdded:         "ALREADY_ADDED",
	FaultStillRunning:         "STILL_RUNNING",
	FaultCantReread:           "CANT_REREAD",
}

// Name is the code's symbolic name, e.g. "BAD_NAME", or "FAULT_N" for a
// code the reference does not define.
func (c FaultCode) Name() string {
	if n, ok := faultNames[c]; ok {
		return n
	}
	return fmt.Sprintf("FAULT_%d", int(c))
}
