// Package modzip checks that the module can be published: the go command
// refuses to zip a module holding a file name some platform cannot use
// (aux.go, con.txt on Windows, names differing only in case), a file too
// large, or a symbolic link. The check runs the go command's own rules
// through golang.org/x/mod/zip.
package modzip

import (
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

func TestModuleZips(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	root := strings.TrimSpace(string(out))
	if _, err := filepath.Abs(root); err != nil || root == "" {
		t.Fatalf("module root %q: %v", root, err)
	}
	// The module's path has no dot, which a published path needs; the
	// file rules do not depend on the path or the version, so both are
	// placeholders here.
	mod := module.Version{Path: "example.com/supervisord", Version: "v0.0.0"}
	files, err := zip.CheckDir(root)
	if err != nil {
		for _, f := range files.Invalid {
			t.Errorf("%s: %v", f.Path, f.Err)
		}
		t.Fatalf("module cannot be zipped: %v", err)
	}
	if len(files.Valid) == 0 {
		t.Fatal("the check found no files in the module")
	}
	if err := zip.CreateFromDir(io.Discard, mod, root); err != nil {
		t.Fatalf("module cannot be zipped: %v", err)
	}
}
