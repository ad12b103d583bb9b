package spawn

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"
)

// Stages of starting a child at which a ChildError can happen.
const (
	StageSetuid = "setuid"
	StageChdir  = "chdir"
	StageExec   = "exec"
)

// ExitStatus is the status the reference's child exits with when it could
// not become the program.
const ExitStatus = 127

// notSpawned is the last line the reference's child writes before exiting.
const notSpawned = "supervisor: child process was not spawned\n"

// ChildError is a failure at a step the reference performs in the forked
// child (user switch, chdir, exec). See the package doc for how the loop
// should present it.
type ChildError struct {
	Stage string // StageSetuid, StageChdir or StageExec
	Err   error  // the underlying errno, when there is one
	// Msg is the reference's message without the "supervisor: " prefix and
	// newline, e.g. "couldn't chdir to /nope: ENOENT". It is empty when the
	// reference writes no message of its own (a failing setuid call).
	Msg string
}

func (e *ChildError) Error() string {
	if e.Msg == "" {
		return "spawn: " + e.Stage + ": " + fmt.Sprint(e.Err)
	}
	return "spawn: " + e.Msg
}

func (e *ChildError) Unwrap() error { return e.Err }

// Output is exactly what the reference's child writes to its fd 2 before
// exiting with ExitStatus.
func (e *ChildError) Output() string {
	if e.Msg == "" {
		return notSpawned
	}
	return "supervisor: " + e.Msg + "\n" + notSpawned
}

// WaitStatus is the wait status of the reference's failed child: a normal
// exit with ExitStatus.
func (e *ChildError) WaitStatus() syscall.WaitStatus {
	return syscall.WaitStatus(ExitStatus << 8)
}

// Operations a SetupError can come from.
const (
	OpPipe = "pipe"
	OpFork = "fork"
)

// SetupError is a failure before any child existed: making its pipes
// (OpPipe) or forking (OpFork).
type SetupError struct {
	Op  string
	Err error
}

func (e *SetupError) Error() string { return "spawn: " + e.Op + ": " + e.Err.Error() }

func (e *SetupError) Unwrap() error { return e.Err }

// Spawnerr is the reference's spawnerr text for this failure while starting
// the process called name.
func (e *SetupError) Spawnerr(name string) string {
	var errno syscall.Errno
	errors.As(e.Err, &errno)
	switch {
	case e.Op == OpCgroup:
		return fmt.Sprintf("cannot place '%s' in its cgroup: %v", name, e.Err)
	case e.Op == OpPipe && errno == syscall.EMFILE:
		return fmt.Sprintf("too many open files to spawn '%s'", name)
	case e.Op == OpPipe:
		return fmt.Sprintf("unknown error making dispatchers for '%s': %s", name, errnoText(e.Err))
	case errno == syscall.EAGAIN:
		return fmt.Sprintf("Too many processes in process table to spawn '%s'", name)
	default:
		return fmt.Sprintf("unknown error during fork for '%s': %s", name, errnoText(e.Err))
	}
}

func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return ErrnoName(errno)
	}
	return err.Error()
}

// ErrnoName is the symbolic name Python's errno.errorcode gives a Linux
// errno (e.g. "ENOENT"), or its number when it has none.
func ErrnoName(e syscall.Errno) string {
	if int(e) > 0 && int(e) < len(errnoNames) && errnoNames[e] != "" {
		return errnoNames[e]
	}
	return strconv.Itoa(int(e))
}

var errnoNames = [...]string{
	1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO",
	7: "E2BIG", 8: "ENOEXEC", 9: "EBADF", 10: "ECHILD", 11: "EAGAIN",
	12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 15: "ENOTBLK", 16: "EBUSY",
	17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR",
	22: "EINVAL", 23: "ENFILE", 24: "EMFILE", 25: "ENOTTY", 26: "ETXTBSY",
	27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE", 30: "EROFS", 31: "EMLINK",
	32: "EPIPE", 33: "EDOM", 34: "ERANGE", 35: "EDEADLOCK",
	36: "ENAMETOOLONG", 37: "ENOLCK", 38: "ENOSYS", 39: "ENOTEMPTY",
	40: "ELOOP", 42: "ENOMSG", 43: "EIDRM", 44: "ECHRNG", 45: "EL2NSYNC",
	46: "EL3HLT", 47: "EL3RST", 48: "ELNRNG", 49: "EUNATCH", 50: "ENOCSI",
	51: "EL2HLT", 52: "EBADE", 53: "EBADR", 54: "EXFULL", 55: "ENOANO",
	56: "EBADRQC", 57: "EBADSLT", 59: "EBFONT", 60: "ENOSTR", 61: "ENODATA",
	62: "ETIME", 63: "ENOSR", 64: "ENONET", 65: "ENOPKG", 66: "EREMOTE",
	67: "ENOLINK", 68: "EADV", 69: "ESRMNT", 70: "ECOMM", 71: "EPROTO",
	72: "EMULTIHOP", 73: "EDOTDOT", 74: "EBADMSG", 75: "EOVERFLOW",
	76: "ENOTUNIQ", 77: "EBADFD", 78: "EREMCHG", 79: "ELIBACC",
	80: "ELIBBAD", 81: "ELIBSCN", 82: "ELIBMAX", 83: "ELIBEXEC",
	84: "EILSEQ", 85: "ERESTART", 86: "ESTRPIPE", 87: "EUSERS",
	88: "ENOTSOCK", 89: "EDESTADDRREQ", 90: "EMSGSIZE", 91: "EPROTOTYPE",
	92: "ENOPROTOOPT", 93: "EPROTONOSUPPORT", 94: "ESOCKTNOSUPPORT",
	95: "ENOTSUP", 96: "EPFNOSUPPORT", 97: "EAFNOSUPPORT",
	98: "EADDRINUSE", 99: "EADDRNOTAVAIL", 100: "ENETDOWN",
	101: "ENETUNREACH", 102: "ENETRESET", 103: "ECONNABORTED",
	104: "ECONNRESET", 105: "ENOBUFS", 106: "EISCONN", 107: "ENOTCONN",
	108: "ESHUTDOWN", 109: "ETOOMANYREFS", 110: "ETIMEDOUT",
	111: "ECONNREFUSED", 112: "EHOSTDOWN", 113: "EHOSTUNREACH",
	114: "EALREADY", 115: "EINPROGRESS", 116: "ESTALE", 117: "EUCLEAN",
	118: "ENOTNAM", 119: "ENAVAIL", 120: "EISNAM", 121: "EREMOTEIO",
	122: "EDQUOT", 123: "ENOMEDIUM", 124: "EMEDIUMTYPE", 125: "ECANCELED",
	126: "ENOKEY", 127: "EKEYEXPIRED", 128: "EKEYREVOKED",
	129: "EKEYREJECTED", 130: "EOWNERDEAD", 131: "ENOTRECOVERABLE",
	132: "ERFKILL",
}
