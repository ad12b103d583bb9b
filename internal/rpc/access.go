package rpc

import (
	"context"
	"strings"

	"supervisord/internal/authz"
	"supervisord/internal/faults"
)

// readPrefixes name the methods that change nothing: supervisor.get*,
// read*, tail* and list*. Every system.* method only reads too
// (system.multicall is checked call by call, through Call). Anything
// else is a write, so a new method is refused to read-only users unless
// its name says it reads.
var readPrefixes = []string{"get", "read", "tail", "list"}

// IsReadOnly reports whether method changes nothing: the one place that
// classifies methods, for the read-only role and for the audit log.
func IsReadOnly(method string) bool {
	ns, m, ok := strings.Cut(method, ".")
	if !ok {
		return false
	}
	if ns == "system" {
		return true
	}
	for _, p := range readPrefixes {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}

// ForbiddenPrefix starts the fault string of a refused call:
// "FAILED: forbidden: read-only users may not call supervisor.stopProcess".
// The code is FAILED because it is the one code whose string the
// reference's supervisorctl prints as it is for a single process
// (stop, signal); a new code would show as "Unknown result code".
const ForbiddenPrefix = "FAILED: forbidden: "

// allowed refuses a write method to a read-only caller.
func allowed(ctx context.Context, method string) error {
	if authz.FromContext(ctx) == authz.ReadOnly && !IsReadOnly(method) {
		return faults.New(faults.Failed, "forbidden: read-only users may not call "+method)
	}
	return nil
}
