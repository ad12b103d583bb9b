package service

import (
	"fmt"
	"strings"
)

// shQuote makes s one word for a POSIX shell, in single quotes.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// oneLine folds a description onto one line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

// plainPath checks that path can be written into a script unquoted, as
// openrc-run evaluates some variables again.
func plainPath(what, path string) error {
	for _, r := range path {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._+-,:@%=", r)
		if !ok {
			return fmt.Errorf("%s path %q has a character (%q) the init script cannot carry; use a plainer path", what, path, r)
		}
	}
	return nil
}
