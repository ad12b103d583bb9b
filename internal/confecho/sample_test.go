package confecho

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"supervisord/internal/config"
)

const referencePython = "/usr/bin/python3"

// requireReference skips (or, with SUPERVISORD_REQUIRE_REFERENCE=1, fails)
// when the reference's sample generator or Python module is missing.
func requireReference(t *testing.T) {
	t.Helper()
	_, errEcho := os.Stat("/usr/bin/echo_supervisord_conf")
	errPy := exec.Command(referencePython, "-c", "import supervisor.options").Run()
	if errEcho == nil && errPy == nil {
		return
	}
	if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") == "1" {
		t.Fatalf("reference not available: %v %v", errEcho, errPy)
	}
	t.Skipf("reference not available: %v %v", errEcho, errPy)
}

func referenceSample(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("/usr/bin/echo_supervisord_conf").Output()
	if err != nil {
		t.Fatalf("echo_supervisord_conf: %v", err)
	}
	return string(out)
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var (
	sectionRe = regexp.MustCompile(`^;?\[([^\]]+)\]`)
	optionRe  = regexp.MustCompile(`^;?([a-z_.]+)\s*=\s*(.*)$`)
)

// shape lists the sections and options of a sample, active or commented
// out, as "section" and "section key" lines; active options also carry
// their value (inline comment removed).
func shape(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if m := sectionRe.FindStringSubmatch(line); m != nil {
			out = append(out, "["+m[1]+"] active="+boolStr(!strings.HasPrefix(line, ";")))
			continue
		}
		m := optionRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		entry := "  " + m[1]
		if !strings.HasPrefix(line, ";") {
			value := m[2]
			if i := strings.Index(value, " ;"); i >= 0 {
				value = value[:i]
			}
			entry += "=" + strings.TrimSpace(value)
		} else {
			// A commented option: the example value must match too.
			value := m[2]
			if i := strings.Index(value, " ;"); i >= 0 {
				value = value[:i]
			}
			entry += " (example " + strings.TrimSpace(value) + ")"
		}
		out = append(out, entry)
	}
	return out
}

func boolStr(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// TestSameShapeAsReference checks that the sample has the reference's
// sections and options, commented the same way, with the same values.
func TestSameShapeAsReference(t *testing.T) {
	requireReference(t)
	ref := referenceSample(t)
	if got, want := strings.Join(shape(Sample()), "\n"), strings.Join(shape(ref), "\n"); got != want {
		t.Fatalf("shape differs.\nours:\n%s\n\nreference:\n%s", got, want)
	}
	// The explanations are our own: no comment text of any length is shared.
	refComments := map[string]bool{}
	for _, c := range comments(ref) {
		refComments[c] = true
	}
	for _, c := range comments(Sample()) {
		if len(c) > 24 && refComments[c] {
			t.Errorf("comment copied from the reference: %q", c)
		}
	}
}

// comments returns the explanatory text of a sample: inline comments and
// whole-line comments that are not commented-out settings.
func comments(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, " ;"); i >= 0 && !strings.HasPrefix(line, "; ") {
			out = append(out, strings.TrimSpace(line[i+2:]))
			continue
		}
		if strings.HasPrefix(line, "; ") {
			out = append(out, strings.TrimSpace(line[2:]))
		}
	}
	return out
}

// TestReferenceLoadsSameSettings loads our sample and the reference's with
// the reference's own option parser and compares what they yield.
func TestReferenceLoadsSameSettings(t *testing.T) {
	requireReference(t)
	dump := func(path string) string {
		cmd := exec.Command(referencePython, "testdata/dump.py", path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("dump.py %s: %v\n%s", path, err, out)
		}
		return string(out)
	}
	ours := dump(writeFile(t, "ours.conf", Sample()))
	theirs := dump(writeFile(t, "theirs.conf", referenceSample(t)))
	if ours != theirs {
		t.Fatalf("reference reads different settings.\nours:\n%s\ntheirs:\n%s", ours, theirs)
	}
}

// TestOurLoaderReadsIt loads the sample with this project's loader.
func TestOurLoaderReadsIt(t *testing.T) {
	cfg, err := config.Load(writeFile(t, "supervisord.conf", Sample()), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Supervisord
	if s.Logfile != "/tmp/supervisord.log" || s.LogfileMaxBytes != 50<<20 || s.LogfileBackups != 10 ||
		s.Loglevel != config.LevelInfo || s.Pidfile != "/tmp/supervisord.pid" || s.Nodaemon ||
		s.Minfds != 1024 || s.Minprocs != 200 || s.Identifier != "supervisor" {
		t.Errorf("[supervisord] read as %+v", s)
	}
	if len(cfg.UnixServers) != 1 || cfg.UnixServers[0].File != "/tmp/supervisor.sock" || len(cfg.InetServers) != 0 {
		t.Errorf("servers read as %+v %+v", cfg.UnixServers, cfg.InetServers)
	}
	if cfg.Supervisorctl.ServerURL != "unix:///tmp/supervisor.sock" {
		t.Errorf("[supervisorctl] read as %+v", cfg.Supervisorctl)
	}
	if len(cfg.Groups) != 0 {
		t.Errorf("groups %v", cfg.Groups)
	}

	// When the reference is installed, its sample must read the same.
	if _, err := os.Stat("/usr/bin/echo_supervisord_conf"); err != nil {
		return
	}
	refCfg, err := config.Load(writeFile(t, "supervisord.conf", referenceSample(t)), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*config.Config{cfg, refCfg} {
		c.File, c.Files, c.Warnings = "", nil, nil
	}
	if !reflect.DeepEqual(cfg, refCfg) {
		t.Errorf("our loader reads the samples differently:\nours %+v\nref  %+v", cfg, refCfg)
	}
}
