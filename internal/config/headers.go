package config

import (
	"fmt"
	"strings"
)

// noteHeaderLike records a warning when a line that is not a well-formed
// section header looks like one that was mistyped: "[program:b" (no
// closing bracket), "[program:b]]" (a bracket inside the name),
// "program:b]" (no opening bracket) or "[program:b] x" (text after the
// header). The line is still read exactly as configparser reads it, which
// is what the warning says, so that nothing changes meaning silently.
// value is the line without its comment and surrounding space; cur is the
// section it falls in (nil before the first header).
func (d *iniDoc) noteHeaderLike(file string, line int, value string, cur *iniSection) {
	where := "before any section"
	if cur != nil {
		where = "in [" + cur.name + "]"
	}
	var msg string
	switch {
	case value[0] == '[' && strings.LastIndexByte(value, ']') >= 2:
		end := strings.LastIndexByte(value, ']')
		name := value[1:end]
		switch {
		case strings.ContainsAny(name, "[]"):
			msg = fmt.Sprintf("section header %s has a bracket inside its name: read as section [%s]", pyRepr(value), name)
		case pyStrip(value[end+1:]) != "":
			msg = fmt.Sprintf("section header %s has text after its closing bracket: read as section [%s], the text ignored", pyRepr(value), name)
		}
	case value[0] == '[':
		msg = fmt.Sprintf("line %s looks like a section header without its closing bracket: %s", pyRepr(value), readAs(value, where))
	case value[len(value)-1] == ']' && !strings.ContainsAny(value, "= \t"):
		msg = fmt.Sprintf("line %s looks like a section header without its opening bracket: %s", pyRepr(value), readAs(value, where))
	}
	if msg != "" {
		d.notes = append(d.notes, &Error{Pos: Pos{File: file, Line: line}, Msg: msg})
	}
}

// readAs says how configparser reads a line that is not a header.
func readAs(value, where string) string {
	i := strings.IndexAny(value, "=:")
	if i < 0 {
		return "not readable as an option either"
	}
	key := strings.ToLower(strings.TrimRightFunc(value[:i], pyIsSpace))
	return fmt.Sprintf("read as option %s = %s %s", pyRepr(key), pyRepr(pyStrip(value[i+1:])), where)
}

// headerWarnings passes the notes of every file read on as warnings.
func (l *loader) headerWarnings() {
	for _, e := range l.doc.notes {
		l.warns = append(l.warns, e.Error())
	}
}
