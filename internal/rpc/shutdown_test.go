package rpc

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"supervisord/internal/process"
)

// statusFake is a Backend that can also exit with a chosen status.
type statusFake struct{ *fakeBackend }

func (s statusFake) ShutdownWithStatus(status int) error {
	return s.record(fmt.Sprintf("ShutdownWithStatus %d", status))
}

func TestShutdownStatus(t *testing.T) {
	tests := []struct {
		name     string
		plain    bool // backend without StatusShutdowner
		stopping bool
		args     []any
		fault    string
		calls    []string
	}{
		{name: "no argument", args: nil, calls: []string{"Shutdown"}},
		{name: "zero is a plain shutdown", args: []any{0}, calls: []string{"Shutdown"}},
		{name: "status", args: []any{3}, calls: []string{"ShutdownWithStatus 3"}},
		{name: "status as string", args: []any{"5"}, calls: []string{"ShutdownWithStatus 5"}},
		{name: "highest", args: []any{255}, calls: []string{"ShutdownWithStatus 255"}},
		{name: "too high", args: []any{256}, fault: "2: INCORRECT_PARAMETERS"},
		{name: "negative", args: []any{-1}, fault: "2: INCORRECT_PARAMETERS"},
		{name: "not a number", args: []any{"x"}, fault: "2: INCORRECT_PARAMETERS"},
		{name: "two arguments", args: []any{1, 2}, fault: "2: INCORRECT_PARAMETERS"},
		{name: "already stopping", stopping: true, args: []any{3}, fault: "6: SHUTDOWN_STATE"},
		{name: "backend without status", plain: true, args: []any{3}, fault: "30: FAILED"},
		{name: "backend without status, no argument", plain: true, calls: []string{"Shutdown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			if tt.stopping {
				f.state = process.SupervisorShutdown
			}
			var b Backend = statusFake{f}
			if tt.plain {
				b = f
			}
			v, err := New(b, Options{}).Call(context.Background(), "supervisor.shutdown", tt.args)
			if tt.fault != "" {
				if err == nil {
					t.Fatalf("got %v, want fault %s", v, tt.fault)
				}
				fl := Fault(err)
				if got := fmt.Sprintf("%d: %s", fl.Code, fl.String); !strings.HasPrefix(got, tt.fault) {
					t.Fatalf("fault %q, want %q", got, tt.fault)
				}
				if len(f.Calls()) != 0 {
					t.Fatalf("backend called: %v", f.Calls())
				}
				return
			}
			if err != nil || v != true {
				t.Fatalf("got %v, %v", v, err)
			}
			if got := f.Calls(); !reflect.DeepEqual(got, tt.calls) {
				t.Fatalf("calls %v, want %v", got, tt.calls)
			}
		})
	}
}

func TestShutdownSignatureIsTheReferences(t *testing.T) {
	a := New(newFake(), Options{})
	sig, err := a.Call(context.Background(), "system.methodSignature", []any{"supervisor.shutdown"})
	if err != nil || !reflect.DeepEqual(sig, []string{"boolean"}) {
		t.Fatalf("signature %#v, %v", sig, err)
	}
	help, _ := a.Call(context.Background(), "system.methodHelp", []any{"supervisor.shutdown"})
	if !strings.Contains(help.(string), "@param int status") {
		t.Fatalf("help does not document the status: %q", help)
	}
}
