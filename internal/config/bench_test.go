package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLoad1000 loads a config with 1,000 programs.
func BenchmarkLoad1000(b *testing.B) {
	dir := b.TempDir()
	var sb strings.Builder
	sb.WriteString("[supervisord]\nchildlogdir=" + dir + "\n")
	for i := range 1000 {
		fmt.Fprintf(&sb, "[program:p%d]\ncommand=/bin/sleep %d\nstdout_logfile=%%(here)s/%%(program_name)s.log\nenvironment=A=\"1\",B=\"%%(program_name)s\"\n", i, i)
	}
	path := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(path, LoadOptions{Env: testEnv, Hostname: "h"}); err != nil {
			b.Fatal(err)
		}
	}
}
