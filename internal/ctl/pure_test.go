package ctl

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGetopt(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		opts    string
		rest    string
		wantErr string
	}{
		{[]string{"-c", "f", "status"}, "-c=f", "status", ""},
		{[]string{"-cf", "-is", "http://x", "a", "-b"}, "-c=f -i= -s=http://x", "a -b", ""},
		{[]string{"--conf=f", "--serverurl", "u"}, "--configuration=f --serverurl=u", "", ""},
		{[]string{"--history-file", "h"}, "--history_file=h", "", ""},
		{[]string{"--", "-x"}, "", "-x", ""},
		{[]string{"-x"}, "", "", "option -x not recognized"},
		{[]string{"-s"}, "", "", "option -s requires argument"},
		{[]string{"--h"}, "", "", "option --h not a unique prefix"},
		{[]string{"--nope"}, "", "", "option --nope not recognized"},
		{[]string{"--help=1"}, "", "", "option --help must not have an argument"},
		{[]string{"--user"}, "", "", "option --username requires argument"},
	} {
		opts, rest, err := getopt(tt.args)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%q: err %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		var got []string
		for _, o := range opts {
			got = append(got, o.display+"="+o.arg)
		}
		if strings.Join(got, " ") != tt.opts || strings.Join(rest, " ") != tt.rest || err != nil {
			t.Errorf("%q: got %q %q %v", tt.args, got, rest, err)
		}
	}
}

func TestLooksLikeURL(t *testing.T) {
	for in, want := range map[string]bool{
		"http://localhost:9001": true, "unix:///tmp/s": true, "localhost:9001": true,
		"foo": false, "http://": false, "": false, "1http://x": false,
	} {
		if got := looksLikeURL(in); got != want {
			t.Errorf("looksLikeURL(%q) = %v", in, got)
		}
	}
}

func TestPyRepr(t *testing.T) {
	for in, want := range map[string]string{
		"foo": `'foo'`, "it's": `"it's"`, `a'b"c`: `'a\'b"c'`, "a\nb\t": `'a\nb\t'`,
		"\x01": `'\x01'`, "é": `'é'`, `back\slash`: `'back\\slash'`,
	} {
		if got := pyRepr(in); got != want {
			t.Errorf("pyRepr(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestColumnizeTopics(t *testing.T) {
	want := []string{
		"add    exit      open  reload  restart   start   tail   ",
		"avail  fg        pid   remove  shutdown  status  update ",
		"clear  maintail  quit  reread  signal    stop    version",
	}
	got := columnize(topicOrder, 79)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s", strings.Join(got, "\n"))
	}
	if got := columnize([]string{strings.Repeat("x", 50), strings.Repeat("y", 50)}, 79); len(got) != 2 {
		t.Errorf("wide words: %q", got)
	}
}

func TestParseLine(t *testing.T) {
	for _, tt := range []struct{ in, cmd, arg string }{
		{"  status  a b ", "status", "a b"},
		{"?start", "help", "start"},
		{"stat-us", "stat", "-us"},
		{"foo:bar", "foo", ":bar"},
	} {
		cmd, arg, _, ok := parseLine(tt.in)
		if !ok || cmd != tt.cmd || arg != tt.arg {
			t.Errorf("parseLine(%q) = %q %q %v", tt.in, cmd, arg, ok)
		}
	}
	if _, _, _, ok := parseLine("!ls"); ok {
		t.Error("shell escape accepted")
	}
}

func TestSplitNamespec(t *testing.T) {
	for _, tt := range []struct {
		in, group, proc string
		whole           bool
	}{
		{"web", "web", "web", false}, {"g:web", "g", "web", false},
		{"g:*", "g", "", true}, {"g:", "g", "", true}, {"g:a:b", "g", "a:b", false},
	} {
		g, p, w := splitNamespec(tt.in)
		if g != tt.group || p != tt.proc || w != tt.whole {
			t.Errorf("splitNamespec(%q) = %q %q %v", tt.in, g, p, w)
		}
	}
}

func TestPyExpand(t *testing.T) {
	exp := map[string]string{"here": "/h", "ENV_X": "x"}
	for _, tt := range []struct{ in, want, err string }{
		{"unix://%(here)s/s", "unix:///h/s", ""},
		{"%(ENV_X)s%%", "x%", ""},
		{"%(nope)s", "", "contains names ('nope') which cannot be expanded. Available names: ENV_X, here"},
		{"50%", "", "badly formatted"},
	} {
		got, err := pyExpand(tt.in, exp, "supervisorctl.serverurl")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v", tt.in, err)
			}
		} else if got != tt.want || err != nil {
			t.Errorf("%q: %q %v", tt.in, got, err)
		}
	}
}

func TestReadCtlSection(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "s.conf")
	os.WriteFile(conf, []byte(`[DEFAULT]
prompt = dflt
[supervisorctl]
SERVERURL = unix://%(here)s/../sock ; comment
username: %(ENV_WHO)s
history_file = ~/hist
[supervisorctl]
password = p#not-a-comment
`), 0o644)
	env := Env{Cwd: dir, Getenv: func(k string) string { return map[string]string{"HOME": "/home/u"}[k] },
		Environ: func() []string { return []string{"WHO=bob"} }}
	sec, err := readCtlSection(conf, env)
	if err != nil {
		t.Fatal(err)
	}
	if sec.serverURL != "unix://"+filepath.Dir(dir)+"/sock" || sec.prompt != "dflt" ||
		*sec.username != "bob" || *sec.password != "p#not-a-comment" || sec.historyFile != "/home/u/hist" {
		t.Errorf("got %+v user=%q pass=%q", sec, *sec.username, *sec.password)
	}
}

func TestCompletions(t *testing.T) {
	c := &controller{complete: []map[string]any{
		{"group": "web", "name": "web"}, {"group": "pool", "name": "p0"}, {"group": "pool", "name": "p1"},
	}}
	for _, tt := range []struct{ line, text, want string }{
		{"", "", "help add avail clear exit fg maintail open pid quit reload remove reread restart shutdown signal start status stop tail update version"},
		{"st", "st", "start status stop"},
		{"start ", "", "web pool:p0 pool:* pool:p1"},
		{"start pool:", "pool:", "pool:p0 pool:* pool:p1"},
		{"start w", "w", "web"},
		{"add p", "p", "pool"},
		{"help re", "re", "reload remove reread restart"},
		{"version ", "", ""},
	} {
		got := strings.TrimSpace(strings.Join(c.completions(tt.line, tt.text), ""))
		want := strings.Join(strings.Fields(tt.want), " ")
		if strings.Join(strings.Fields(got), " ") != want {
			t.Errorf("complete %q: got %q, want %q", tt.line, got, want)
		}
	}
}

// TestOfflineCommands runs in-process the commands that need no server.
func TestOfflineCommands(t *testing.T) {
	for _, tt := range []struct {
		args []string
		out  string
		code int
	}{
		{[]string{"foo"}, "*** Unknown syntax: foo\n", 1},
		{[]string{"help", "help"}, helpTexts["help"] + "\n", 0},
		{[]string{"quit"}, "\n", 0},
		{[]string{"open", "ftp://x"}, "ERROR: url must be http:// or unix://\n", 1},
		{[]string{"-s", "http://127.0.0.1:1", "status"}, "http://127.0.0.1:1 refused connection\n", 4},
		{[]string{"-s", "unix:///nonexistent/x", "start", "a"}, "unix:///nonexistent/x no such file\n", 7},
	} {
		var out, errb bytes.Buffer
		code := Run("supervisorctl", tt.args, strings.NewReader(""), &out, &errb, Env{Cwd: t.TempDir()})
		if out.String() != tt.out || code != tt.code {
			t.Errorf("%q: got %q exit %d, want %q exit %d (stderr %q)", tt.args, out.String(), code, tt.out, tt.code, errb.String())
		}
	}
}

func FuzzParseINI(f *testing.F) {
	f.Add([]byte("[supervisorctl]\nserverurl = unix:///x ; c\n  more\n"))
	f.Add([]byte("[a]\nb:c\n[DEFAULT]\nx=1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ini, err := parseINI(data)
		if err == nil && ini == nil {
			t.Fatal("nil file without error")
		}
	})
}

func FuzzGetopt(f *testing.F) {
	f.Add("-c f -is http://x status")
	f.Add("--conf=x --hist y -- a")
	f.Fuzz(func(t *testing.T, line string) {
		opts, rest, err := getopt(strings.Fields(line))
		// A word gives at most one result per character (clustered short
		// options such as -hhh each count), plus an option's argument.
		if err == nil && len(opts)+len(rest) > len(line)+1 {
			t.Fatalf("more results than input: %v %v", opts, rest)
		}
	})
}

func FuzzPyExpand(f *testing.F) {
	f.Add("%(here)s/%%/%(ENV_X)s")
	f.Fuzz(func(t *testing.T, s string) {
		out, err := pyExpand(s, map[string]string{"here": "/h"}, "x")
		if err == nil && !strings.Contains(s, "%") && out != s {
			t.Fatalf("plain text changed: %q -> %q", s, out)
		}
	})
}
