package reaper

import (
	"syscall"
	"testing"
)

func TestDescribe(t *testing.T) {
	tests := []struct {
		status syscall.WaitStatus
		code   int
		text   string
	}{
		{0, 0, "exit status 0"},
		{1 << 8, 1, "exit status 1"},
		{127 << 8, 127, "exit status 127"},
		{255 << 8, 255, "exit status 255"},
		{syscall.WaitStatus(syscall.SIGKILL), -1, "terminated by SIGKILL"},
		{syscall.WaitStatus(syscall.SIGTERM), -1, "terminated by SIGTERM"},
		{syscall.WaitStatus(syscall.SIGSEGV) | 0x80, -1, "terminated by SIGSEGV (core dumped)"},
		{syscall.WaitStatus(syscall.SIGABRT) | 0x80, -1, "terminated by SIGABRT (core dumped)"},
		{syscall.WaitStatus(syscall.SIGIO), -1, "terminated by SIGPOLL"},
		{syscall.WaitStatus(40), -1, "terminated by signal 40"},
		{syscall.WaitStatus(64), -1, "terminated by SIGRTMAX"},
		// Stopped by SIGSTOP: not an exit; Supervisor prints the raw status.
		{syscall.WaitStatus(syscall.SIGSTOP<<8 | 0x7f), -1, "unknown termination cause 0x137f"},
	}
	for _, tt := range tests {
		code, text := Describe(tt.status)
		if code != tt.code || text != tt.text {
			t.Errorf("Describe(%#x) = %d, %q; want %d, %q", uint32(tt.status), code, text, tt.code, tt.text)
		}
	}
}

func TestSignalName(t *testing.T) {
	tests := map[syscall.Signal]string{
		0: "signal 0", 1: "SIGHUP", 6: "SIGABRT", 17: "SIGCHLD", 29: "SIGPOLL",
		31: "SIGSYS", 32: "signal 32", 34: "SIGRTMIN", 35: "signal 35", 64: "SIGRTMAX", 65: "signal 65",
		-3: "signal -3",
	}
	for sig, want := range tests {
		if got := SignalName(sig); got != want {
			t.Errorf("SignalName(%d) = %q, want %q", int(sig), got, want)
		}
	}
}
