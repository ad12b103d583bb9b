//go:build linux

package deploy_test

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// dockerStage is one FROM ... of a Dockerfile: its instructions with
// continuation lines joined.
type dockerStage struct {
	from, name string
	steps      [][2]string // instruction, arguments
}

func parseDockerfile(t *testing.T, path string) []*dockerStage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []*dockerStage
	sc := bufio.NewScanner(f)
	var cont string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || line == "" && cont == "" {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cont += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line, cont = cont+line, ""
		instr, args, _ := strings.Cut(line, " ")
		instr = strings.ToUpper(instr)
		args = strings.TrimSpace(args)
		if instr == "FROM" {
			f := strings.Fields(args)
			st := &dockerStage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			continue // ARGs before the first FROM only parameterise FROM
		}
		stages[len(stages)-1].steps = append(stages[len(stages)-1].steps, [2]string{instr, args})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

// TestDockerfileBuildSteps runs the build stage of the Dockerfile as
// plain commands, without a container engine: its WORKDIR becomes a
// directory of the test, COPY copies from the repository (the build
// context), ARG takes the value `docker build --build-arg` would be given,
// RUN runs in sh. The final stage's COPY must then find what it copies, and
// the binary must be static, stripped, built with -trimpath, and print the
// version stamped from the VCS.
func TestDockerfileBuildSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release binary")
	}
	root := moduleRoot(t)
	stages := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	if len(stages) != 2 || stages[0].name != "build" {
		t.Fatalf("want a build stage and a final stage, got %d stages", len(stages))
	}
	version := "test-" + strings.TrimSpace(runOut(t, root, "git", "describe", "--tags", "--always"))
	fs := t.TempDir()
	workdir := fs
	env := append(os.Environ(), "CGO_ENABLED=0")
	for _, st := range stages[0].steps {
		instr, args := st[0], st[1]
		switch instr {
		case "WORKDIR":
			workdir = filepath.Join(fs, args)
			if err := os.MkdirAll(workdir, 0o755); err != nil {
				t.Fatal(err)
			}
		case "COPY":
			f := strings.Fields(args)
			dst := filepath.Join(workdir, f[len(f)-1])
			for _, src := range f[:len(f)-1] {
				target := dst
				if strings.HasSuffix(f[len(f)-1], "/") {
					target = filepath.Join(dst, filepath.Base(src))
				}
				if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
					t.Fatal(err)
				}
				runOut(t, root, "cp", "-a", filepath.Join(root, src), target)
			}
		case "ARG":
			name, def, _ := strings.Cut(args, "=")
			if name == "VERSION" {
				def = version // --build-arg VERSION=...
			}
			env = append(env, name+"="+def)
		case "ENV":
			k, v, _ := strings.Cut(args, "=")
			env = append(env, k+"="+v)
		case "RUN":
			cmd := exec.Command("sh", "-c", args)
			cmd.Dir, cmd.Env = workdir, env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("RUN %s: %v\n%s", args, err, out)
			}
		default:
			t.Fatalf("build stage instruction %s not understood by this test", instr)
		}
	}

	var rootfs string
	for _, st := range stages[1].steps {
		if st[0] == "COPY" && strings.HasPrefix(st[1], "--from=build ") {
			f := strings.Fields(st[1])
			rootfs = filepath.Join(fs, f[1])
			if f[2] != "/" {
				t.Fatalf("final COPY to %s, want /", f[2])
			}
		}
		if st[0] == "ENTRYPOINT" && !strings.Contains(st[1], `"/usr/local/bin/supervisord"`) {
			t.Errorf("ENTRYPOINT %s", st[1])
		}
	}
	if rootfs == "" {
		t.Fatal("final stage copies nothing from the build stage")
	}
	exe := filepath.Join(rootfs, "usr/local/bin/supervisord")
	if got := strings.TrimSpace(runOut(t, root, exe, "version")); got != version {
		t.Errorf("supervisord version = %q, want %q", got, version)
	}
	ef, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("binary has a dynamic loader (not static)")
		}
	}
	if libs, _ := ef.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary needs %v", libs)
	}
	if ef.Section(".symtab") != nil {
		t.Error("binary has a symbol table (not stripped)")
	}
	info := runOut(t, root, "go", "version", "-m", exe)
	// (With -trimpath Go leaves -ldflags out of the build info; the
	// version and the missing symbol table show they were applied.)
	for _, want := range []string{"-trimpath=true", "CGO_ENABLED=0"} {
		if !strings.Contains(info, want) {
			t.Errorf("build info lacks %s:\n%s", want, info)
		}
	}
	if strings.Contains(info, root) {
		t.Errorf("build info names the build directory:\n%s", info)
	}
	for _, tool := range []string{"supervisorctl", "pidproxy", "echo_supervisord_conf"} {
		link := filepath.Join(rootfs, "usr/local/bin", tool)
		if target, err := os.Readlink(link); err != nil || target != "supervisord" {
			t.Errorf("%s: link to %q, %v", tool, target, err)
		}
	}
	if out := runOut(t, root, filepath.Join(rootfs, "usr/local/bin/echo_supervisord_conf")); !strings.Contains(out, "[supervisord]") {
		t.Errorf("echo_supervisord_conf through its link printed %q", out)
	}
}

func runOut(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
