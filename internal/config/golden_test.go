package config

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/config")

// testEnv is the environment every golden load sees, so dumps are stable.
var testEnv = map[string]string{"HOME": "/home/tester", "USER": "tester", "GREETING": "hello"}

var autoSuffix = regexp.MustCompile(`---([^-"/]+)-[a-z0-9_]{8}\.log`)

// dump renders cfg as stable JSON: the test directory becomes $HERE and
// the random part of AUTO log names becomes XXXXXXXX.
func dump(t *testing.T, cfg *Config, here string) string {
	t.Helper()
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), here, "$HERE")
	s = strings.ReplaceAll(s, os.TempDir()+"/", "$TMP/")
	if home := os.Getenv("HOME"); home != "" && home != "/" {
		s = strings.ReplaceAll(s, `"`+home+`/`, `"$USERHOME/`)
	}
	s = autoSuffix.ReplaceAllString(s, "---$1-XXXXXXXX.log")
	return s + "\n"
}

func goldenDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("..", "..", "testdata", "config"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestGolden(t *testing.T) {
	root := goldenDir(t)
	cases := []string{"debian/supervisord.conf", "sample/supervisord.conf", "goera/supervisord.conf"}
	for _, c := range cases {
		t.Run(filepath.Dir(c), func(t *testing.T) {
			path := filepath.Join(root, c)
			cfg, err := Load(path, LoadOptions{Env: testEnv, Hostname: "testhost"})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got := dump(t, cfg, filepath.Dir(path))
			golden := strings.TrimSuffix(path, ".conf") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if got != string(want) {
				t.Errorf("dump differs from %s (run with -update to accept):\n%s", golden, got)
			}
		})
	}
}
