package config

import (
	"fmt"
	"strings"
)

// parseDotEnv reads a .env file: KEY=VALUE lines, optional "export ",
// single quotes (literal), double quotes (with \n, \", \\ escapes),
// blank lines and # comments.
func parseDotEnv(file, text string) ([]EnvVar, []*Error) {
	var out []EnvVar
	var errs []*Error
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		pos := Pos{File: file, Line: i + 1}
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(t, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			t = strings.TrimSpace(rest)
		}
		k, v, ok := strings.Cut(t, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			errs = append(errs, &Error{Pos: pos, Msg: fmt.Sprintf("invalid line %q (want KEY=VALUE)", t)})
			continue
		}
		v = strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(v, "'"):
			end := strings.IndexByte(v[1:], '\'')
			if end < 0 {
				errs = append(errs, &Error{Pos: pos, Msg: "unterminated single quote"})
				continue
			}
			v = v[1 : end+1]
		case strings.HasPrefix(v, `"`):
			var b strings.Builder
			closed := false
			for j := 1; j < len(v); j++ {
				c := v[j]
				if c == '\\' && j+1 < len(v) {
					j++
					switch v[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case '"', '\\', '$':
						b.WriteByte(v[j])
					default:
						b.WriteByte('\\')
						b.WriteByte(v[j])
					}
					continue
				}
				if c == '"' {
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				errs = append(errs, &Error{Pos: pos, Msg: "unterminated double quote"})
				continue
			}
			v = b.String()
		default:
			if j := strings.Index(v, " #"); j >= 0 {
				v = strings.TrimSpace(v[:j])
			}
		}
		out = append(out, EnvVar{Key: k, Value: v})
	}
	return out, errs
}
