package ctl

import "testing"

// Lines that look like broken section headers are read as configparser
// reads them, not refused.
func TestINIBrokenHeaders(t *testing.T) {
	f, err := parseINI([]byte("[supervisorctl]\nserverurl=unix:///a\n[program:b\ncommand=y\n[a]]\nk=v\n"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.get("supervisorctl", "[program"); v != "b" {
		t.Errorf("[program = %q", v)
	}
	if v, _ := f.get("supervisorctl", "command"); v != "y" {
		t.Errorf("command = %q", v)
	}
	if v, _ := f.get("a]", "k"); v != "v" {
		t.Errorf("[a]] k = %q", v)
	}
}
