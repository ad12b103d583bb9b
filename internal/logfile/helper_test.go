package logfile

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// The test binary doubles as the child process: with LOGFILE_TEST_CHILD
// set it writes what it is told to stdout and exits.
const childEnv = "LOGFILE_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

func runChild(mode string) int {
	kind, arg, _ := strings.Cut(mode, ":")
	n, _ := strconv.Atoi(arg)
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	defer w.Flush()
	switch kind {
	case "lines": // n numbered lines of varying length
		for i := range n {
			fmt.Fprintf(w, "line %09d %s\n", i, strings.Repeat("x", i%197))
		}
	case "bigline": // n bytes without a newline
		chunk := []byte(strings.Repeat("y", 64<<10))
		for n > 0 {
			c := min(n, len(chunk))
			w.Write(chunk[:c])
			n -= c
		}
	case "bytes": // n bytes of 100-byte lines
		line := []byte(strings.Repeat("z", 99) + "\n")
		for n > 0 {
			c := min(n, len(line))
			w.Write(line[:c])
			n -= c
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown child mode", mode)
		return 2
	}
	return 0
}

// startChild starts the test binary as a child in mode and returns it with
// the read end of its stdout pipe.
func startChild(t testing.TB, mode string) (*exec.Cmd, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	cmd.Stdout = w
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { r.Close() })
	return cmd, r
}
