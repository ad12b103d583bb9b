// Command capture measures log capture throughput: it starts a real child
// process writing 100-byte lines to a pipe and copies the pipe to a
// rotating log file with the logfile package, then prints the throughput
// and the CPU this process (not the child) spent per GB.
//
// With -writer it is the child instead: it writes -size bytes of lines to
// stdout as fast as it can. bench/capture.sh drives both modes.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/logfile"
)

func main() {
	writer := flag.Bool("writer", false, "be the child: write -size bytes of lines to stdout")
	size := flag.Int64("size", 1<<30, "bytes to write")
	dir := flag.String("dir", "", "directory for the log files (required unless -writer)")
	maxBytes := flag.Int64("maxbytes", 50<<20, "logfile maxbytes")
	backups := flag.Int("backups", 0, "logfile backups (default: enough to keep everything)")
	flag.Parse()
	if *writer {
		if err := write(*size); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			os.Exit(1)
		}
		return
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "capture: -dir is required")
		os.Exit(2)
	}
	if *backups == 0 {
		*backups = int(*size / *maxBytes + 2)
	}
	if err := capture(*size, *dir, *maxBytes, *backups); err != nil {
		fmt.Fprintln(os.Stderr, "capture:", err)
		os.Exit(1)
	}
}

func write(size int64) error {
	w := bufio.NewWriterSize(os.Stdout, 256<<10)
	line := []byte(strings.Repeat("x", 99) + "\n")
	for size > 0 {
		n := min(size, int64(len(line)))
		if _, err := w.Write(line[:n]); err != nil {
			return err
		}
		size -= n
	}
	return w.Flush()
}

func capture(size int64, dir string, maxBytes int64, backups int) error {
	path := filepath.Join(dir, "child.log")
	s, err := logfile.OpenStream(logfile.StreamConfig{
		Process: "child", Channel: logfile.Stdout,
		Log: config.StreamLog{
			Targets:  []config.LogTarget{{Kind: config.LogFile, Path: path}},
			MaxBytes: maxBytes, Backups: backups,
		},
	}, logfile.StreamOptions{})
	if err != nil {
		return err
	}
	defer s.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "-writer", "-size", fmt.Sprint(size))
	cmd.Stdout = w
	cmd.Stderr = os.Stderr

	var before syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	w.Close()
	if err := s.Capture(r, cmd.Process.Pid); err != nil {
		return err
	}
	elapsed := time.Since(start)
	if err := cmd.Wait(); err != nil {
		return err
	}
	var after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := tv(after.Utime) - tv(before.Utime) + tv(after.Stime) - tv(before.Stime)
	st := s.Stats()
	if st.Bytes != size || st.WriteErrors != 0 {
		return fmt.Errorf("captured %d of %d bytes, %d write errors", st.Bytes, size, st.WriteErrors)
	}
	gb := float64(size) / (1 << 30)
	fmt.Printf("bytes=%d seconds=%.3f mb_per_s=%.1f cpu_seconds=%.3f cpu_s_per_gb=%.3f\n",
		size, elapsed.Seconds(), float64(size)/(1<<20)/elapsed.Seconds(), cpu.Seconds(), cpu.Seconds()/gb)
	return nil
}

func tv(t syscall.Timeval) time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
}
