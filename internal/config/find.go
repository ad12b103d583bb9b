package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Find returns the configuration file supervisord uses when -c is not
// given: supervisord.conf or etc/supervisord.conf in cwd, then
// /etc/supervisord.conf and /etc/supervisor/supervisord.conf, then
// supervisord.conf and etc/supervisord.conf beside the executable exe and
// in its parent directory (where the reference looks for
// ../etc/supervisord.conf).
func Find(cwd, exe string) (string, error) {
	return find(cwd, exe, func(p string) bool {
		_, err := os.Stat(p)
		return err == nil
	})
}

func searchPaths(cwd, exe string) []string {
	paths := []string{
		filepath.Join(cwd, "supervisord.conf"),
		filepath.Join(cwd, "etc", "supervisord.conf"),
		"/etc/supervisord.conf",
		"/etc/supervisor/supervisord.conf",
	}
	if exe != "" {
		dir := filepath.Dir(exe)
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cwd, dir)
		}
		parent := filepath.Dir(dir)
		paths = append(paths,
			filepath.Join(dir, "supervisord.conf"),
			filepath.Join(dir, "etc", "supervisord.conf"),
			filepath.Join(parent, "supervisord.conf"),
			filepath.Join(parent, "etc", "supervisord.conf"))
	}
	return paths
}

func find(cwd, exe string, exists func(string) bool) (string, error) {
	paths := searchPaths(cwd, exe)
	for _, p := range paths {
		if exists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("No config file found at default paths (%s); use the -c option to specify a config file at a different path",
		strings.Join(paths, ", "))
}
