package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"supervisord/internal/pycompat"
)

// names maps the %(name)s expansions available to one option to their
// values, each a string or an int (process_num, numprocs).
type names map[string]any

func (n names) clone() names {
	c := make(names, len(n)+8)
	for k, v := range n {
		c[k] = v
	}
	return c
}

func (n names) sorted() []string {
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// expandError is a failed expansion; missing is set when a name was not
// available.
type expandError struct {
	missing string
	msg     string
}

// expandString applies Python's "s % mapping" to s, which is how
// Supervisor expands option values. what names the option in messages,
// like the reference's "program:web.command".
func expandString(s string, n names, what string) (string, error) {
	out, e := pyFormat(s, n)
	if e == nil {
		return out, nil
	}
	if e.missing != "" || e.msg == "" {
		return "", fmt.Errorf("Format string %s for %s contains names (%s) which cannot be expanded. Available names: %s",
			pyRepr(s), pyRepr(what), pyRepr(e.missing), strings.Join(n.sorted(), ", "))
	}
	return "", fmt.Errorf("Format string %s for %s is badly formatted: %s", pyRepr(s), pyRepr(what), e.msg)
}

// pyFormat implements Python's printf-style formatting with a mapping
// argument, for the conversions that make sense with string and integer
// values.
func pyFormat(s string, n names) (string, *expandError) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			i++
			continue
		}
		i++
		if i >= len(s) {
			return "", &expandError{msg: "incomplete format"}
		}
		var val any
		keyed := false
		if s[i] == '(' {
			depth := 1
			j := i + 1
			for j < len(s) && depth > 0 {
				switch s[j] {
				case '(':
					depth++
				case ')':
					depth--
				}
				j++
			}
			if depth > 0 {
				return "", &expandError{msg: "incomplete format key"}
			}
			key := s[i+1 : j-1]
			v, ok := n[key]
			if !ok {
				return "", &expandError{missing: key}
			}
			val, keyed = v, true
			i = j
		}
		flags := ""
		for i < len(s) && strings.IndexByte("-+ #0", s[i]) >= 0 {
			if !strings.Contains(flags, string(s[i])) {
				flags += string(s[i])
			}
			i++
		}
		width, prec := "", ""
		if i < len(s) && s[i] == '*' {
			return "", &expandError{msg: "* wants int"}
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			width += string(s[i])
			i++
		}
		hasPrec := false
		if i < len(s) && s[i] == '.' {
			hasPrec = true
			i++
			if i < len(s) && s[i] == '*' {
				return "", &expandError{msg: "* wants int"}
			}
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				prec += string(s[i])
				i++
			}
			if prec == "" {
				prec = "0"
			}
		}
		for i < len(s) && (s[i] == 'h' || s[i] == 'l' || s[i] == 'L') {
			i++
		}
		if i >= len(s) {
			return "", &expandError{msg: "incomplete format"}
		}
		conv, size := utf8.DecodeRuneInString(s[i:])
		at := utf8.RuneCountInString(s[:i])
		i += size
		if conv == '%' {
			b.WriteByte('%')
			continue
		}
		if !keyed {
			if strings.ContainsRune("sradiuoxXeEfFgGc", conv) {
				return "", &expandError{msg: "format requires a mapping key, like %(name)s"}
			}
		}
		spec := "%" + flags + width
		if hasPrec {
			spec += "." + prec
		}
		noZero := "%" + strings.ReplaceAll(flags, "0", "") + width
		if hasPrec {
			noZero += "." + prec
		}
		switch conv {
		case 's', 'r', 'a':
			var str string
			switch v := val.(type) {
			case string:
				str = v
				if conv != 's' {
					str = pyRepr(v)
				}
			case int:
				str = strconv.Itoa(v)
			}
			b.WriteString(fmt.Sprintf(noZero+"s", str))
		case 'd', 'i', 'u', 'x', 'X', 'o', 'e', 'E', 'f', 'F', 'g', 'G':
			iv, ok := val.(int)
			if !ok {
				if strings.ContainsRune("xXo", conv) {
					return "", &expandError{msg: fmt.Sprintf("%%%c format: an integer is required, not str", conv)}
				}
				return "", &expandError{msg: fmt.Sprintf("%%%c format: a real number is required, not str", conv)}
			}
			switch conv {
			case 'd', 'i', 'u':
				b.WriteString(fmt.Sprintf(spec+"d", iv))
			case 'o':
				verb := "o"
				if strings.Contains(flags, "#") {
					verb = "O"
					spec = strings.ReplaceAll(spec, "#", "")
				}
				b.WriteString(fmt.Sprintf(spec+verb, iv))
			case 'x', 'X':
				b.WriteString(fmt.Sprintf(spec+string(conv), iv))
			default:
				if !hasPrec {
					spec += ".6"
				}
				b.WriteString(fmt.Sprintf(spec+string(conv), float64(iv)))
			}
		case 'c':
			switch v := val.(type) {
			case int:
				b.WriteString(fmt.Sprintf(noZero+"c", rune(v)))
			case string:
				if utf8.RuneCountInString(v) != 1 {
					return "", &expandError{msg: "%c requires an int or a unicode character, not a string of length " + strconv.Itoa(utf8.RuneCountInString(v))}
				}
				b.WriteString(fmt.Sprintf(noZero+"s", v))
			}
		default:
			return "", &expandError{msg: fmt.Sprintf("unsupported format character %s (0x%x) at index %d", pyRepr(string(conv)), conv, at)}
		}
	}
	return b.String(), nil
}

// pyRepr quotes s the way Python's repr() quotes a str, so messages that
// mirror the reference's read the same.
func pyRepr(s string) string { return pycompat.Repr(s) }
