package spawn

import (
	"supervisord/internal/pycompat"

	"errors"
	"os"
	"path/filepath"
	"testing"

	"supervisord/internal/faults"
)

type resolveCase struct {
	argv0, path string
	want        string
	code        faults.Code
	detail      string
}

func TestResolve(t *testing.T) {
	for _, tt := range resolveCases(t) {
		got, err := Resolve(tt.argv0, tt.path)
		if tt.code == 0 {
			if err != nil || got != tt.want {
				t.Errorf("Resolve(%q, %q) = %q, %v; want %q", tt.argv0, tt.path, got, err, tt.want)
			}
			continue
		}
		var fe *faults.Error
		if !errors.As(err, &fe) || fe.Code != tt.code || fe.Detail != tt.detail {
			t.Errorf("Resolve(%q, %q) = %q, %v; want %s: %s", tt.argv0, tt.path, got, err, tt.code.Name(), tt.detail)
		}
	}
}

// resolveCases builds a tree of commands and the expected lookups in it.
func resolveCases(t *testing.T) []resolveCase {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	other := filepath.Join(dir, "other")
	for _, d := range []string{bin, other, filepath.Join(bin, "adir"), filepath.Join(other, "adir")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path string, mode os.FileMode) {
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(bin, "tool"), 0o755)
	write(filepath.Join(bin, "plain"), 0o644)
	write(filepath.Join(other, "tool"), 0o755)
	write(filepath.Join(other, "late"), 0o755)
	write(filepath.Join(other, "it's"), 0o755)
	if err := os.Symlink(filepath.Join(bin, "tool"), filepath.Join(bin, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(bin, "dangling")); err != nil {
		t.Fatal(err)
	}
	path := bin + ":" + other

	return []resolveCase{
		{"tool", path, bin + "/tool", 0, ""},
		{"late", path, other + "/late", 0, ""},
		{"link", path, bin + "/link", 0, ""},
		{"tool", other + "/:" + bin, other + "/tool", 0, ""},
		{bin + "/tool", "", bin + "/tool", 0, ""},
		{"./bin/../bin/tool", "", "", faults.NoFile, "can't find command './bin/../bin/tool'"},
		{"missing", path, "", faults.NoFile, "can't find command 'missing'"},
		{"dangling", path, "", faults.NoFile, "can't find command 'dangling'"},
		{bin + "/missing", path, "", faults.NoFile, "can't find command '" + bin + "/missing'"},
		{"it's", bin, "", faults.NoFile, `can't find command "it's"`},
		{"it's", other, other + "/it's", 0, ""},
		// The first directory holding the name wins, whatever it is.
		{"adir", path, "", faults.NotExecutable, "command at '" + bin + "/adir' is a directory"},
		{"plain", path, "", faults.NotExecutable, "command at '" + bin + "/plain' is not executable"},
		{bin, path, "", faults.NotExecutable, "command at '" + bin + "' is a directory"},
		{bin + "/plain", "", "", faults.NotExecutable, "command at '" + bin + "/plain' is not executable"},
		// An empty first word joins to the directory itself.
		{"", bin, "", faults.NotExecutable, "command at '" + bin + "/' is a directory"},
	}
}

func TestResolveDefaultPath(t *testing.T) {
	got, err := Resolve("sh", "")
	if err != nil || (got != "/bin/sh" && got != "/usr/bin/sh" && got != "/usr/local/bin/sh") {
		t.Errorf("Resolve(sh) with no PATH = %q, %v", got, err)
	}
	if dirs := SearchDirs(""); len(dirs) != 3 || dirs[0] != "/bin" {
		t.Errorf("SearchDirs(\"\") = %q", dirs)
	}
	if dirs := SearchDirs("a::b"); len(dirs) != 3 || dirs[1] != "" {
		t.Errorf("SearchDirs(a::b) = %q", dirs)
	}
}

func TestResolveNoPermission(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("skipping: root may execute any file with an execute bit")
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "mine")
	if err := os.WriteFile(f, nil, 0o0); err != nil {
		t.Fatal(err)
	}
	os.Chmod(f, 0o601) // others may execute; we, the owner, may not
	_, err := Resolve(f, "")
	var fe *faults.Error
	if !errors.As(err, &fe) || fe.Code != faults.NotExecutable || fe.Detail != "no permission to run command '"+f+"'" {
		t.Errorf("got %v", err)
	}
}

func TestPyRepr(t *testing.T) {
	tests := map[string]string{
		"":           "''",
		"abc":        "'abc'",
		"it's":       `"it's"`,
		`say "hi"`:   `'say "hi"'`,
		`both ' "`:   `'both \' "'`,
		`back\slash`: `'back\\slash'`,
		"tab\tnl\n":  `'tab\tnl\n'`,
		"\x00\x1b":   `'\x00\x1b'`,
		"\x7f":       `'\x7f'`,
		"é ü":        "'é ü'",
		"\u00a0":     `'\xa0'`,
		"\u200b":     `'\u200b'`,
		"\xff":       `'\udcff'`,
		"日本":         "'日本'",
		"\U0001F600": "'\U0001F600'",
		"\U000e0001": `'\U000e0001'`,
	}
	for in, want := range tests {
		if got := pycompat.Repr(in); got != want {
			t.Errorf("pycompat.Repr(%q) = %s, want %s", in, got, want)
		}
	}
}

func FuzzPyRepr(f *testing.F) {
	for _, s := range []string{"", "it's", `"'`, "\xff\x00é", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := pycompat.Repr(s)
		if len(r) < 2 || r[0] != r[len(r)-1] || (r[0] != '\'' && r[0] != '"') {
			t.Fatalf("pycompat.Repr(%q) = %s is not quoted", s, r)
		}
		for _, c := range []byte(r) {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("pycompat.Repr(%q) = %q holds a control byte", s, r)
			}
		}
	})
}
