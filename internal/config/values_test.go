package config

import (
	"reflect"
	"syscall"
	"testing"
)

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestParseBool(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
		err  string
	}{
		{"yes", true, ""}, {"TRUE", true, ""}, {"On", true, ""}, {"1", true, ""},
		{"no", false, ""}, {"false", false, ""}, {"OFF", false, ""}, {"0", false, ""},
		{"maybe", false, "not a valid boolean value: 'maybe'"},
		{"", false, "not a valid boolean value: ''"},
	} {
		got, err := parseBool(tc.in)
		if got != tc.want || errString(err) != tc.err {
			t.Errorf("parseBool(%q) = %v, %q; want %v, %q", tc.in, got, errString(err), tc.want, tc.err)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"0", 0, ""}, {"1024", 1024, ""}, {"1KB", 1024, ""}, {"2kb", 2048, ""},
		{"50MB", 50 << 20, ""}, {"1Gb", 1 << 30, ""}, {" 3 MB", 3 << 20, ""}, {"1_000", 1000, ""},
		{"1M", 0, `invalid byte size "1M" (want an integer with an optional KB, MB or GB suffix)`},
		{"MB", 0, `invalid byte size "MB" (want an integer with an optional KB, MB or GB suffix)`},
		{"1.5MB", 0, `invalid byte size "1.5MB" (want an integer with an optional KB, MB or GB suffix)`},
	} {
		got, err := parseByteSize(tc.in)
		if got != tc.want || errString(err) != tc.err {
			t.Errorf("parseByteSize(%q) = %v, %q; want %v, %q", tc.in, got, errString(err), tc.want, tc.err)
		}
	}
}

func TestParseSignal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want syscall.Signal
		err  string
	}{
		{"TERM", syscall.SIGTERM, ""}, {"sigkill", syscall.SIGKILL, ""}, {" hup ", syscall.SIGHUP, ""},
		{"9", syscall.SIGKILL, ""}, {"USR2", syscall.SIGUSR2, ""}, {"SIGRTMIN", 34, ""},
		{"FOO", 0, "value 'FOO' is not a valid signal name"},
		{"40", 0, "value '40' is not a valid signal number"},
		{"-1", 0, "value '-1' is not a valid signal number"},
	} {
		got, err := parseSignal(tc.in)
		if got != tc.want || errString(err) != tc.err {
			t.Errorf("parseSignal(%q) = %v, %q; want %v, %q", tc.in, got, errString(err), tc.want, tc.err)
		}
	}
}

func TestParseExitCodes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  string
	}{
		{"0", []int{0}, ""}, {"0, 2,255", []int{0, 2, 255}, ""}, {"", []int{}, ""},
		{"1,x", nil, "not a valid list of exit codes: '1,x'"},
		{"256", nil, "not a valid list of exit codes: '256'"},
	} {
		got, err := parseExitCodes(tc.in)
		if !reflect.DeepEqual(got, tc.want) || errString(err) != tc.err {
			t.Errorf("parseExitCodes(%q) = %v, %q; want %v, %q", tc.in, got, errString(err), tc.want, tc.err)
		}
	}
}

func TestParseOctal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint32
		err  string
	}{
		{"022", 0o22, ""}, {"0o755", 0o755, ""}, {"777", 0o777, ""},
		{"8", 0, "8 can not be converted to an octal type"},
		{"abc", 0, "abc can not be converted to an octal type"},
	} {
		got, err := parseOctal(tc.in)
		if uint32(got) != tc.want || errString(err) != tc.err {
			t.Errorf("parseOctal(%q) = %o, %q; want %o, %q", tc.in, got, errString(err), tc.want, tc.err)
		}
	}
}

func TestParseMisc(t *testing.T) {
	if _, err := parseLevel("loud"); errString(err) != "bad logging level name 'loud'" {
		t.Errorf("parseLevel: %v", err)
	}
	if l, _ := parseLevel("BLATHER"); l != LevelBlather {
		t.Errorf("parseLevel(BLATHER) = %v", l)
	}
	if _, err := parseAutoRestart("Sometimes"); errString(err) != "invalid 'autorestart' value 'sometimes'" {
		t.Errorf("parseAutoRestart: %v", err)
	}
	if r, _ := parseAutoRestart("true"); r != RestartAlways {
		t.Errorf("autorestart true = %v", r)
	}
	if _, err := checkName("a b"); errString(err) != "Invalid name: 'a b' because of character: ' '" {
		t.Errorf("checkName: %v", err)
	}
	if _, err := lookupUser("no-such-user-xyz"); errString(err) != "Invalid user name no-such-user-xyz" {
		t.Errorf("lookupUser: %v", err)
	}
	if u, err := lookupUser("0"); err != nil || u.Uid != 0 || u.Name != "root" {
		t.Errorf("lookupUser(0) = %+v, %v", u, err)
	}
	if u, err := parseUserGroup("root"); err != nil || u.Gid != KeepID {
		t.Errorf("parseUserGroup(root) = %+v, %v", u, err)
	}
}

func TestParseInetAddress(t *testing.T) {
	for _, tc := range []struct {
		in, host string
		port     int
		err      string
	}{
		{"127.0.0.1:9001", "127.0.0.1", 9001, ""},
		{":9001", "", 9001, ""},
		{"*:9001", "", 9001, ""},
		{"9001", "", 9001, ""},
		{"LocalHost:80", "localhost", 80, ""},
		{"host:", "", 0, "no port number specified in 'host:'"},
		{"abc", "", 0, "not a valid port number: 'abc'"},
		{"h:70000", "", 0, "70000 is above upper bound (65535)"},
		{"h:0", "", 0, "0 is below lower bound (1)"},
	} {
		h, p, err := parseInetAddress(tc.in)
		if h != tc.host || p != tc.port || errString(err) != tc.err {
			t.Errorf("parseInetAddress(%q) = %q, %d, %q; want %q, %d, %q", tc.in, h, p, errString(err), tc.host, tc.port, tc.err)
		}
	}
}

func TestParseKeyValuePairs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []EnvVar
		err  string
	}{
		{`A=1,B=2`, []EnvVar{{"A", "1"}, {"B", "2"}}, ""},
		{`A="x, y",B='z'`, []EnvVar{{"A", "x, y"}, {"B", "z"}}, ""},
		{`PATH=/usr/bin:/bin,HOME=/root`, []EnvVar{{"PATH", "/usr/bin:/bin"}, {"HOME", "/root"}}, ""},
		{`A=1,A=2,B=3`, []EnvVar{{"A", "2"}, {"B", "3"}}, ""},
		{"", nil, ""},
		{`A=1 B=2`, nil, "Unexpected end of key/value pairs in value 'A=1 B=2'"},
		{`A`, nil, "Unexpected end of key/value pairs in value 'A'"},
		{`A="open`, nil, "No closing quotation"},
	} {
		got, err := parseKeyValuePairs(tc.in)
		if !reflect.DeepEqual(got, tc.want) || errString(err) != tc.err {
			t.Errorf("parseKeyValuePairs(%q) = %v, %q; want %v, %q", tc.in, got, errString(err), tc.want, tc.err)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{`/bin/echo hi`, []string{"/bin/echo", "hi"}, ""},
		{`sh -c 'echo "a b"'`, []string{"sh", "-c", `echo "a b"`}, ""},
		{`echo "a \"q\" \n" x\ y ''`, []string{"echo", `a "q" \n`, "x y", ""}, ""},
		{`echo 'open`, nil, "No closing quotation"},
		{`echo \`, nil, "No escaped character"},
	} {
		got, err := splitCommand(tc.in)
		if !reflect.DeepEqual(got, tc.want) || errString(err) != tc.err {
			t.Errorf("splitCommand(%q) = %q, %q; want %q, %q", tc.in, got, errString(err), tc.want, tc.err)
		}
	}
}

func TestExpandString(t *testing.T) {
	n := names{"here": "/etc", "program_name": "web", "process_num": 3, "numprocs": 4, "ENV_X": "x"}
	for _, tc := range []struct {
		in, want, err string
	}{
		{"%(here)s/a", "/etc/a", ""},
		{"%(program_name)s_%(process_num)02d", "web_03", ""},
		{"%(process_num)d of %(numprocs)d", "3 of 4", ""},
		{"%(process_num)s|%(process_num)5d|%(process_num)-3d|", "3|    3|3  |", ""},
		{"%(process_num)x %(process_num)#o", "3 0o3", ""},
		{"%(ENV_X)s 100%%", "x 100%", ""},
		{"%(program_name)r", "'web'", ""},
		{"no percent", "no percent", ""},
		{"%(nope)s", "", "Format string '%(nope)s' for 'program:web.command' contains names ('nope') which cannot be expanded. Available names: ENV_X, here, numprocs, process_num, program_name"},
		{"%(program_name)d", "", "Format string '%(program_name)d' for 'program:web.command' is badly formatted: %d format: a real number is required, not str"},
		{"50%", "", "Format string '50%' for 'program:web.command' is badly formatted: incomplete format"},
		{"%(here", "", "Format string '%(here' for 'program:web.command' is badly formatted: incomplete format key"},
		{"%(here)z", "", "Format string '%(here)z' for 'program:web.command' is badly formatted: unsupported format character 'z' (0x7a) at index 7"},
		{"a %s", "", "Format string 'a %s' for 'program:web.command' is badly formatted: format requires a mapping key, like %(name)s"},
	} {
		got, err := expandString(tc.in, n, "program:web.command")
		if got != tc.want || errString(err) != tc.err {
			t.Errorf("expandString(%q) = %q, %q; want %q, %q", tc.in, got, errString(err), tc.want, tc.err)
		}
	}
}

func TestParseDotEnv(t *testing.T) {
	got, errs := parseDotEnv("x.env", "# c\nexport A=1\nB=\"two\\nlines\"\nC='lit # x'\nD=v # comment\nbad line\n")
	want := []EnvVar{{"A", "1"}, {"B", "two\nlines"}, {"C", "lit # x"}, {"D", "v"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseDotEnv = %q, want %q", got, want)
	}
	if len(errs) != 1 || errs[0].Error() != `x.env:6: invalid line "bad line" (want KEY=VALUE)` {
		t.Errorf("errors = %v", errs)
	}
}

func TestFind(t *testing.T) {
	exists := func(set ...string) func(string) bool {
		return func(p string) bool {
			for _, s := range set {
				if s == p {
					return true
				}
			}
			return false
		}
	}
	for _, tc := range []struct {
		present []string
		want    string
	}{
		{[]string{"/w/supervisord.conf", "/etc/supervisord.conf"}, "/w/supervisord.conf"},
		{[]string{"/w/etc/supervisord.conf", "/etc/supervisord.conf"}, "/w/etc/supervisord.conf"},
		{[]string{"/etc/supervisor/supervisord.conf", "/opt/sv/bin/supervisord.conf"}, "/etc/supervisor/supervisord.conf"},
		{[]string{"/opt/sv/bin/etc/supervisord.conf"}, "/opt/sv/bin/etc/supervisord.conf"},
		{[]string{"/opt/sv/etc/supervisord.conf"}, "/opt/sv/etc/supervisord.conf"},
	} {
		got, err := find("/w", "/opt/sv/bin/supervisord", exists(tc.present...))
		if got != tc.want || err != nil {
			t.Errorf("find with %v = %q, %v; want %q", tc.present, got, err, tc.want)
		}
	}
	_, err := find("/w", "", exists())
	want := "No config file found at default paths (/w/supervisord.conf, /w/etc/supervisord.conf, /etc/supervisord.conf, /etc/supervisor/supervisord.conf); use the -c option to specify a config file at a different path"
	if errString(err) != want {
		t.Errorf("find error = %q", errString(err))
	}
}
