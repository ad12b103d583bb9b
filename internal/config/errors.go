package config

import (
	"strconv"
	"strings"
)

// Error is one problem found in a configuration, located by file and line.
type Error struct {
	Pos     Pos
	Section string // without brackets; "" when the problem is not in a section
	Key     string // "" when the problem concerns the whole section
	Msg     string
}

// Error formats e as "file:line: [section] key: message".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Pos.File != "" {
		b.WriteString(e.Pos.File)
		if e.Pos.Line > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(e.Pos.Line))
		}
		b.WriteString(": ")
	}
	if e.Section != "" {
		b.WriteString("[" + e.Section + "] ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem Load found, in the order found.
type Errors []*Error

// Error joins the errors one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is and errors.As look at each error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
