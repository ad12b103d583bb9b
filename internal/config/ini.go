package config

import (
	"strings"
	"unicode/utf8"

	"supervisord/internal/pycompat"
)

// iniValue is one option as read from a file, before any expansion.
type iniValue struct {
	text string
	pos  Pos
	dir  string // absolute directory of the file that set the value
}

// iniSection is one [section], merged over every place it appears.
type iniSection struct {
	name  string
	pos   Pos // the first header that opened it
	keys  map[string]*iniValue
	order []string // keys in first-seen order
}

func newSection(name string, pos Pos) *iniSection {
	return &iniSection{name: name, pos: pos, keys: map[string]*iniValue{}}
}

func (s *iniSection) set(key string, v *iniValue) {
	if _, ok := s.keys[key]; !ok {
		s.order = append(s.order, key)
	}
	s.keys[key] = v
}

// iniDoc is what Python's RawConfigParser (as Supervisor configures it)
// holds after reading one or more files: sections in first-seen order and
// the DEFAULT section whose keys every section inherits.
type iniDoc struct {
	sections map[string]*iniSection
	order    []string
	defaults *iniSection
	notes    []*Error // lines that look like broken section headers
}

func newDoc() *iniDoc {
	return &iniDoc{sections: map[string]*iniSection{}, defaults: newSection("DEFAULT", Pos{})}
}

// lookup finds key in sec, then in each fallback, then in DEFAULT.
func (d *iniDoc) lookup(sec *iniSection, key string, fallbacks ...*iniSection) *iniValue {
	if sec != nil {
		if v, ok := sec.keys[key]; ok {
			return v
		}
	}
	for _, f := range fallbacks {
		if f == nil {
			continue
		}
		if v, ok := f.keys[key]; ok {
			return v
		}
	}
	return d.defaults.keys[key]
}

// pyIsSpace reports whether Python's str.isspace would accept r.
func pyIsSpace(r rune) bool { return pycompat.IsSpace(r) }

func pyStrip(s string) string { return pycompat.Strip(s) }

// parseINI reads one file's text into doc with configparser's rules:
// full-line and inline (after whitespace) ';' and '#' comments, '=' and ':'
// delimiters, lower-cased keys, indented continuation lines, blank lines
// kept inside values, and repeated sections or keys merged with the last
// one winning. It returns the problems found; a line before any section
// header stops the file, as in the reference.
func parseINI(doc *iniDoc, file, dir, text string) []*Error {
	var errs []*Error
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	type pending struct {
		v     *iniValue
		parts []string
	}
	var all []*pending
	var cur *iniSection
	var opt *pending
	indent := 0
	for i, line := range lines {
		lineno := i + 1
		commentStart := inlineComment(line)
		stripped := pyStrip(line)
		if strings.HasPrefix(stripped, "#") || strings.HasPrefix(stripped, ";") {
			commentStart = 0
		}
		value := line
		if commentStart >= 0 {
			value = line[:commentStart]
		}
		value = pyStrip(value)
		if value == "" {
			if commentStart < 0 && cur != nil && opt != nil {
				opt.parts = append(opt.parts, "")
			}
			continue
		}
		curIndent := 0
		for _, r := range line {
			if !pyIsSpace(r) {
				break
			}
			curIndent++
		}
		if cur != nil && opt != nil && curIndent > indent {
			opt.parts = append(opt.parts, value)
			continue
		}
		indent = curIndent
		doc.noteHeaderLike(file, lineno, value, cur)
		if value[0] == '[' {
			if end := strings.LastIndexByte(value, ']'); end >= 2 {
				name := value[1:end]
				switch {
				case name == "DEFAULT":
					cur = doc.defaults
				case doc.sections[name] != nil:
					cur = doc.sections[name]
				default:
					cur = newSection(name, Pos{File: file, Line: lineno})
					doc.sections[name] = cur
					doc.order = append(doc.order, name)
				}
				opt = nil
				continue
			}
		}
		if cur == nil {
			errs = append(errs, &Error{Pos: Pos{File: file, Line: lineno},
				Msg: "file contains no section header before " + pyRepr(line)})
			return errs
		}
		d := strings.IndexAny(value, "=:")
		if d < 0 {
			errs = append(errs, &Error{Pos: Pos{File: file, Line: lineno}, Section: cur.name,
				Msg: "cannot parse line " + pyRepr(line) + ` (expected "key = value")`})
			continue
		}
		key := strings.ToLower(strings.TrimRightFunc(value[:d], pyIsSpace))
		if key == "" {
			errs = append(errs, &Error{Pos: Pos{File: file, Line: lineno}, Section: cur.name,
				Msg: "cannot parse line " + pyRepr(line) + " (empty key)"})
		}
		p := &pending{v: &iniValue{pos: Pos{File: file, Line: lineno}, dir: dir},
			parts: []string{pyStrip(value[d+1:])}}
		all = append(all, p)
		cur.set(key, p.v)
		opt = p
	}
	for _, p := range all {
		p.v.text = strings.TrimRightFunc(strings.Join(p.parts, "\n"), pyIsSpace)
	}
	return errs
}

func minPos(a, b int) int {
	if a < 0 || b < a {
		return b
	}
	return a
}

// inlineComment returns where an inline comment starts in line, or -1.
// It follows configparser's scan exactly: all prefixes advance one
// occurrence per round and the scan stops at the first round in which some
// occurrence is at the line start or after whitespace.
func inlineComment(line string) int {
	idx := map[byte]int{';': -1, '#': -1}
	order := []byte{';', '#'}
	start := -1
	for start < 0 && len(order) > 0 {
		var next []byte
		for _, p := range order {
			from := idx[p] + 1
			if from > len(line) {
				continue
			}
			j := strings.IndexByte(line[from:], p)
			if j < 0 {
				continue
			}
			j += from
			idx[p] = j
			next = append(next, p)
			if j == 0 {
				start = minPos(start, j)
				continue
			}
			if r, _ := utf8.DecodeLastRuneInString(line[:j]); pyIsSpace(r) {
				start = minPos(start, j)
			}
		}
		order = next
	}
	return start
}
