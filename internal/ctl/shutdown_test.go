package ctl

import "testing"

func TestShutdownStatus(t *testing.T) {
	tests := []struct {
		arg    string
		status int
		ok     bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"3", 3, true},
		{" 7 ", 7, true},
		{"255", 255, true},
		{"256", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"x", 0, false},
		{"1 2", 0, false},
		{"0x1", 0, false},
	}
	for _, tt := range tests {
		status, ok := shutdownStatus(tt.arg)
		if status != tt.status || ok != tt.ok {
			t.Errorf("shutdownStatus(%q) = %d, %v; want %d, %v", tt.arg, status, ok, tt.status, tt.ok)
		}
	}
}

func FuzzShutdownStatus(f *testing.F) {
	for _, s := range []string{"", "0", "255", "256", "-1", " 9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		if status, ok := shutdownStatus(arg); ok && (status < 0 || status > 255) {
			t.Fatalf("shutdownStatus(%q) accepted %d", arg, status)
		}
	})
}
