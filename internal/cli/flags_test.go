package cli

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseDaemonFlags(t *testing.T) {
	cases := []struct {
		args      []string
		config    string
		daemonize bool
		overrides map[string]string
		err       string
		help      bool
	}{
		{args: []string{"-?"}, help: true, overrides: map[string]string{}},
		{args: []string{"-n?"}, help: true, overrides: map[string]string{"nodaemon": "true"}},
		{args: []string{"-c", "a.conf", "-n"}, config: "a.conf", overrides: map[string]string{"nodaemon": "true"}},
		{args: []string{"-nca.conf"}, config: "a.conf", overrides: map[string]string{"nodaemon": "true"}},
		{args: []string{"--configuration=a.conf", "--loglevel", "debug"}, config: "a.conf", overrides: map[string]string{"loglevel": "debug"}},
		// The older Go port's usage: a -d ending the line means daemonize.
		{args: []string{"-c", "a.conf", "-d"}, config: "a.conf", daemonize: true, overrides: map[string]string{}},
		// Otherwise -d keeps the reference's meaning: a directory.
		{args: []string{"-d", "/srv", "-c", "a.conf"}, config: "a.conf", overrides: map[string]string{"directory": "/srv"}},
		{args: []string{"-e", "warn", "-j", "/run/x.pid", "-q", "/tmp", "-k", "-t", "--minprocs=300", "-a", "2048"}, overrides: map[string]string{
			"loglevel": "warn", "pidfile": "/run/x.pid", "childlogdir": "/tmp", "nocleanup": "true",
			"strip_ansi": "true", "minprocs": "300", "minfds": "2048"}},
		{args: []string{"--badflag"}, err: "option --badflag not recognized"},
		{args: []string{"-x"}, err: "option -x not recognized"},
		{args: []string{"-c"}, err: "option -c requires argument"},
		{args: []string{"--nodaemon=yes"}, err: "must not have an argument"},
		{args: []string{"extra"}, err: "positional arguments are not supported"},
	}
	for _, tc := range cases {
		f, err := parseDaemonFlags(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if f.help != tc.help {
			t.Errorf("%q: help %v, want %v", tc.args, f.help, tc.help)
		}
		if f.config != tc.config || f.daemonize != tc.daemonize {
			t.Errorf("%q: config %q daemonize %v", tc.args, f.config, f.daemonize)
		}
		if tc.overrides != nil && !reflect.DeepEqual(f.overrides, tc.overrides) {
			t.Errorf("%q: overrides %v, want %v", tc.args, f.overrides, tc.overrides)
		}
	}
}

func FuzzParseDaemonFlags(f *testing.F) {
	f.Add("-c\x00a.conf\x00-n")
	f.Add("--loglevel=debug\x00-d")
	f.Add("-nkt\x00--minprocs\x0010")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		fl, err := parseDaemonFlags(args)
		if err == nil && fl == nil {
			t.Fatal("no flags and no error")
		}
	})
}
