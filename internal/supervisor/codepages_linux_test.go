package supervisor

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
)

// exeResidentKB sums the Rss of this process's read-only mappings of its
// executable, from /proc/self/smaps.
func exeResidentKB(t *testing.T) int {
	t.Helper()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	kb, in := 0, false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) >= 5 && strings.Contains(f[0], "-") {
			_, _, ok := codeMapping([]byte(line), exe)
			in = ok
			continue
		}
		if in && len(f) >= 2 && f[0] == "Rss:" {
			n, _ := strconv.Atoi(f[1])
			kb += n
		}
	}
	return kb
}

// TestDropCodePages: the executable's read-only pages leave the RSS, and
// the code keeps running from them (it faults back what it uses).
func TestDropCodePages(t *testing.T) {
	before := exeResidentKB(t)
	released := dropCodePages()
	after := exeResidentKB(t)
	t.Logf("executable's read-only pages resident: %d KiB before, %d KiB after; %d KiB of mappings released", before, after, released>>10)
	if released <= 0 {
		t.Fatal("nothing released")
	}
	if after > before/2 {
		t.Errorf("resident %d KiB after the drop, %d KiB before", after, before)
	}
	// Still running, through code not yet faulted back.
	if got := strconv.Quote("é\x00"); got != `"é\x00"` {
		t.Errorf("strconv.Quote after the drop: %s", got)
	}
}

func TestCodeMappingSkipsWritableAndOthers(t *testing.T) {
	exe := "/usr/bin/supervisord"
	for line, want := range map[string]bool{
		"00400000-00aec000 r-xp 00000000 fd:01 123 /usr/bin/supervisord\n": true,
		"00aec000-01288000 r--p 006ec000 fd:01 123 /usr/bin/supervisord\n": true,
		"01288000-012fe000 rw-p 00e88000 fd:01 123 /usr/bin/supervisord\n": false,
		"00400000-00aec000 r-xs 00000000 fd:01 123 /usr/bin/supervisord\n": false,
		"00400000-00aec000 r-xp 00000000 fd:01 123 /usr/bin/other\n":       false,
		"7f0000000000-7f0000001000 r--p 00000000 00:00 0\n":                false,
		"00aec000-00400000 r--p 006ec000 fd:01 123 /usr/bin/supervisord\n": false,
	} {
		if _, _, ok := codeMapping([]byte(line), exe); ok != want {
			t.Errorf("%q: %v, want %v", line, ok, want)
		}
	}
}
