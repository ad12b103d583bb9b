package rpc

import (
	"math"
	"strconv"
	"strings"

	"supervisord/internal/faults"
)

// errParams is the fault for a wrong number or type of arguments.
func errParams() error { return faults.New(faults.IncorrectParameters, "") }

// arity checks the argument count.
func arity(args []any, lo, hi int) error {
	if len(args) < lo || len(args) > hi {
		return errParams()
	}
	return nil
}

// str accepts a string argument; base64 data counts as a string, as the
// reference server decodes it to one.
func str(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", errParams()
}

// truthy applies Python's truth rules to a decoded XML-RPC value, as the
// reference does for the wait flags.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []byte:
		return len(x) != 0
	case []any:
		return len(x) != 0
	case map[string]any:
		return len(x) != 0
	}
	return true
}

// integer converts an argument the way Python's int() does for the
// values XML-RPC can carry: integers, booleans, doubles (truncated) and
// decimal strings.
func integer(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > math.MaxInt64/2 {
			return 0, errParams()
		}
		return int64(x), nil
	case string, []byte:
		s, _ := str(x)
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return 0, errParams()
		}
		return n, nil
	}
	return 0, errParams()
}

// stateCheck says whether a method refuses to run once the daemon is
// shutting down or restarting.
type stateCheck bool

const (
	anyState   stateCheck = false
	checkState stateCheck = true
)

// decode is the argument decoder every method shares. In the order the
// reference reports failures, it checks the number of arguments (lo to
// hi), converts each argument given into the matching dst (*string:
// a string or base64 data; *bool: Python's truth of the value; *any: the
// value as it came), then, with checkState, the daemon's state. A dst
// without an argument keeps the value it had, which is how optional
// arguments take their defaults.
func (a *API) decode(args []any, lo, hi int, state stateCheck, dst ...any) error {
	if err := arity(args, lo, hi); err != nil {
		return err
	}
	for i, d := range dst {
		if i >= len(args) {
			break
		}
		switch d := d.(type) {
		case *string:
			s, err := str(args[i])
			if err != nil {
				return err
			}
			*d = s
		case *bool:
			*d = truthy(args[i])
		case *any:
			*d = args[i]
		default:
			panic("rpc: decode into unsupported type")
		}
	}
	if state == checkState {
		return a.checkState()
	}
	return nil
}
