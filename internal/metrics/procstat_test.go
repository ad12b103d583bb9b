package metrics

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/procfs"
)

// TestReadProcUsageAgreesWithProcfs reads live processes both ways: ours
// and procfs's full parse of the same file, the library it replaced.
func TestReadProcUsageAgreesWithProcfs(t *testing.T) {
	// A child whose command name has a space and parentheses, which a
	// parse that splits the line on spaces from its start gets wrong.
	dir := t.TempDir()
	odd := dir + "/a (b) c"
	if err := os.Symlink("/bin/sleep", odd); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(odd, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	for _, pid := range []int{os.Getpid(), cmd.Process.Pid, 1} {
		ours, err := ReadProcUsage(pid)
		if err != nil {
			t.Fatalf("pid %d: %v", pid, err)
		}
		p, err := procfs.NewProc(pid)
		if err != nil {
			t.Fatal(err)
		}
		st, err := p.Stat()
		if err != nil {
			t.Fatal(err)
		}
		if pid == cmd.Process.Pid && !strings.Contains(st.Comm, "(b)") {
			t.Errorf("child's comm is %q, want one with parentheses", st.Comm)
		}
		// CPU time is read twice, and this process may run between the two.
		if pid != os.Getpid() && ours.CPUSeconds != st.CPUTime() {
			t.Errorf("pid %d: cpu %v, procfs %v", pid, ours.CPUSeconds, st.CPUTime())
		}
		if pid != os.Getpid() && ours.RSSBytes != uint64(st.ResidentMemory()) {
			t.Errorf("pid %d: rss %v, procfs %v", pid, ours.RSSBytes, st.ResidentMemory())
		}
		if pid == os.Getpid() && (ours.CPUSeconds > st.CPUTime() || ours.RSSBytes == 0) {
			t.Errorf("self: cpu %v (procfs later %v), rss %v", ours.CPUSeconds, st.CPUTime(), ours.RSSBytes)
		}
	}
}

func TestReadProcUsageOfNoProcess(t *testing.T) {
	cmd := exec.Command("/bin/true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	// The reaped child's pid is free (and not reused this quickly).
	_, err := ReadProcUsage(cmd.Process.Pid)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid)) {
		t.Errorf("err = %v, want one naming the file", err)
	}
}

func TestParseProcStat(t *testing.T) {
	fields := func(comm string) string {
		// Fields 3 to 52, each its own number so a field taken from the
		// wrong place shows: field k holds 1000+k.
		var b strings.Builder
		fmt.Fprintf(&b, "42 (%s)", comm)
		for k := 3; k <= 52; k++ {
			if k == 3 {
				b.WriteString(" S")
				continue
			}
			fmt.Fprintf(&b, " %d", 1000+k)
		}
		b.WriteString("\n")
		return b.String()
	}
	for _, tt := range []struct {
		line         string
		ticks, pages uint64
		ok           bool
	}{
		{fields("sleep"), 1014 + 1015, 1024, true},
		{fields("a (b) c"), 1014 + 1015, 1024, true},
		{fields(") ) )"), 1014 + 1015, 1024, true},
		{fields(""), 1014 + 1015, 1024, true},
		{"42 (x) S 1 2 3 4 5 6 7 8 9 10 11 12\n", 0, 0, false},                            // cut before rss
		{"42 (x) S 1 2 3 4 5 6 7 8 9 10 x 12 13 14 15 16 17 18 19 20 21 22", 0, 0, false}, // utime not a number
		{"42 x) S", 0, 0, false},
		{"no parentheses at all", 0, 0, false},
		{"", 0, 0, false},
		{strings.Replace(fields("x"), " 1024", " -1", 1), 1014 + 1015, 0, true},
		{strings.Replace(fields("x"), " ", "  ", 1), 1014 + 1015, 1024, true}, // before the ')': any spacing
		{strings.Replace(fields("x"), ") S", ")  S", 1), 0, 0, false},
	} {
		ticks, pages, err := parseProcStat([]byte(tt.line))
		if (err == nil) != tt.ok || ticks != tt.ticks || pages != tt.pages {
			t.Errorf("parseProcStat(%.60q) = %d, %d, %v; want %d, %d, ok %v", tt.line, ticks, pages, err, tt.ticks, tt.pages, tt.ok)
		}
	}
}

func FuzzParseProcStat(f *testing.F) {
	if b, err := os.ReadFile("/proc/self/stat"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("1 (a (b) c) S 0 1 1 0 -1 4194560 1 2 0 0 3 4 0 0 20 0 1 0 5 6 7 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"))
	f.Add([]byte("))(("))
	f.Fuzz(func(t *testing.T, line []byte) {
		ticks, pages, err := parseProcStat(line)
		if err != nil {
			if ticks != 0 || pages != 0 {
				t.Errorf("error %v with values %d, %d", err, ticks, pages)
			}
			return
		}
		// What parsed has a '(' and a ')' after it, and the fields were
		// numbers in the line.
		end := strings.LastIndexByte(string(line), ')')
		if end < 0 || !strings.Contains(string(line[:end]), "(") {
			t.Errorf("parsed %q without a command name", line)
		}
	})
}

// BenchmarkReadProcUsage reads this process's usage, as a scrape does for
// every live process.
func BenchmarkReadProcUsage(b *testing.B) {
	b.ReportAllocs()
	pid := os.Getpid()
	for b.Loop() {
		if _, err := ReadProcUsage(pid); err != nil {
			b.Fatal(err)
		}
	}
}
