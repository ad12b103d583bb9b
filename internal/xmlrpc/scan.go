package xmlrpc

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokKind says what a token is.
type tokKind int

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText
)

type token struct {
	kind tokKind
	name string // element name for tokStart and tokEnd
	text string // character data for tokText
	off  int
}

// scanner splits a message into element and text tokens. It understands
// the part of XML that XML-RPC messages use: elements with attributes,
// character and predefined entity references, CDATA sections, comments
// and processing instructions. Document type declarations are refused.
type scanner struct {
	data       []byte
	pos        int
	maxDepth   int
	strictUTF8 bool // reject invalid UTF-8 instead of replacing it

	open    []string // names of the open elements
	pending string   // name of a self-closed element whose end is due
	hasEnd  bool     // pending is set
	rooted  bool     // the root element has been seen
	buf     []byte

	openArr [8]string // open's first elements: a call nests about five deep
}

func newScanner(data []byte, lim Limits, strictUTF8 bool) *scanner {
	s := &scanner{}
	s.init(data, lim, strictUTF8)
	s.open = s.openArr[:0]
	return s
}

// init readies a scanner in place, for a caller that keeps it on its
// stack.
func (s *scanner) init(data []byte, lim Limits, strictUTF8 bool) {
	s.data, s.maxDepth, s.strictUTF8 = data, lim.MaxDepth, strictUTF8
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		s.pos = 3
	}
}

func (s *scanner) errorf(off int, msg string) error {
	return &SyntaxError{Offset: off, Msg: msg}
}

// next consumes and returns the next token.
func (s *scanner) next() (token, error) { return s.read() }

func (s *scanner) read() (token, error) {
	if s.hasEnd {
		s.hasEnd = false
		return token{kind: tokEnd, name: s.pending, off: s.pos}, nil
	}
	for {
		if s.pos >= len(s.data) {
			if len(s.open) > 0 {
				return token{}, s.errorf(s.pos, "unexpected end of message inside <"+s.open[len(s.open)-1]+">")
			}
			if !s.rooted {
				return token{}, s.errorf(s.pos, "empty message")
			}
			return token{kind: tokEOF, off: s.pos}, nil
		}
		if s.data[s.pos] != '<' {
			start := s.pos
			text, err := s.text()
			if err != nil {
				return token{}, err
			}
			if len(s.open) == 0 {
				if strings.TrimLeft(text, " \t\r\n") != "" {
					return token{}, s.errorf(start, "text outside the root element")
				}
				continue
			}
			return token{kind: tokText, text: text, off: start}, nil
		}
		rest := s.data[s.pos:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return token{}, s.errorf(s.pos, "unterminated comment")
			}
			s.pos += 4 + end + 3
			continue
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			if len(s.open) == 0 {
				return token{}, s.errorf(s.pos, "CDATA outside the root element")
			}
			start := s.pos
			text, err := s.text()
			if err != nil {
				return token{}, err
			}
			return token{kind: tokText, text: text, off: start}, nil
		case bytes.HasPrefix(rest, []byte("<!")):
			return token{}, s.errorf(s.pos, "document type declarations are not allowed")
		case bytes.HasPrefix(rest, []byte("<?")):
			end := bytes.Index(rest[2:], []byte("?>"))
			if end < 0 {
				return token{}, s.errorf(s.pos, "unterminated processing instruction")
			}
			s.pos += 2 + end + 2
			continue
		case bytes.HasPrefix(rest, []byte("</")):
			return s.endTag()
		default:
			return s.startTag()
		}
	}
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == ':' || c >= 0x80
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func (s *scanner) name() (string, error) {
	start := s.pos
	for s.pos < len(s.data) && isNameByte(s.data[s.pos]) {
		s.pos++
	}
	if s.pos == start {
		return "", s.errorf(start, "expected a name")
	}
	// The protocol's own element names are taken from a table rather than
	// made anew for every tag (the lookup does not allocate).
	if n, ok := elementNames[string(s.data[start:s.pos])]; ok {
		return n, nil
	}
	return string(s.data[start:s.pos]), nil
}

// elementNames are the names XML-RPC messages are made of.
var elementNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{"methodCall", "methodName", "methodResponse", "params", "param",
		"value", "string", "int", "i4", "i8", "boolean", "double", "dateTime.iso8601", "base64",
		"array", "data", "struct", "member", "name", "nil", "fault"} {
		m[n] = n
	}
	return m
}()

func (s *scanner) startTag() (token, error) {
	off := s.pos
	if s.rooted && len(s.open) == 0 {
		return token{}, s.errorf(off, "more than one root element")
	}
	s.pos++ // '<'
	name, err := s.name()
	if err != nil {
		return token{}, err
	}
	// Attributes are parsed for well-formedness and ignored.
	for {
		for s.pos < len(s.data) && isSpace(s.data[s.pos]) {
			s.pos++
		}
		if s.pos >= len(s.data) {
			return token{}, s.errorf(off, "unterminated tag <"+name+">")
		}
		c := s.data[s.pos]
		if c == '>' {
			s.pos++
			break
		}
		if c == '/' {
			if s.pos+1 >= len(s.data) || s.data[s.pos+1] != '>' {
				return token{}, s.errorf(s.pos, "malformed tag <"+name+">")
			}
			s.pos += 2
			s.pending, s.hasEnd = name, true
			break
		}
		if _, err := s.name(); err != nil {
			return token{}, err
		}
		for s.pos < len(s.data) && isSpace(s.data[s.pos]) {
			s.pos++
		}
		if s.pos >= len(s.data) || s.data[s.pos] != '=' {
			return token{}, s.errorf(s.pos, "attribute without a value")
		}
		s.pos++
		for s.pos < len(s.data) && isSpace(s.data[s.pos]) {
			s.pos++
		}
		if s.pos >= len(s.data) || (s.data[s.pos] != '"' && s.data[s.pos] != '\'') {
			return token{}, s.errorf(s.pos, "attribute value not quoted")
		}
		q := s.data[s.pos]
		end := bytes.IndexByte(s.data[s.pos+1:], q)
		if end < 0 {
			return token{}, s.errorf(s.pos, "unterminated attribute value")
		}
		if bytes.IndexByte(s.data[s.pos+1:s.pos+1+end], '<') >= 0 {
			return token{}, s.errorf(s.pos, "'<' in attribute value")
		}
		s.pos += 1 + end + 1
	}
	s.rooted = true
	if !s.hasEnd {
		if s.maxDepth > 0 && len(s.open) >= s.maxDepth {
			return token{}, ErrTooDeep
		}
		s.open = append(s.open, name)
	}
	return token{kind: tokStart, name: name, off: off}, nil
}

func (s *scanner) endTag() (token, error) {
	off := s.pos
	s.pos += 2
	name, err := s.name()
	if err != nil {
		return token{}, err
	}
	for s.pos < len(s.data) && isSpace(s.data[s.pos]) {
		s.pos++
	}
	if s.pos >= len(s.data) || s.data[s.pos] != '>' {
		return token{}, s.errorf(off, "malformed end tag </"+name+">")
	}
	s.pos++
	if len(s.open) == 0 || s.open[len(s.open)-1] != name {
		return token{}, s.errorf(off, "unexpected end tag </"+name+">")
	}
	s.open = s.open[:len(s.open)-1]
	return token{kind: tokEnd, name: name, off: off}, nil
}

// text reads character data and CDATA sections up to the next tag,
// comment or processing instruction, resolving references.
func (s *scanner) text() (string, error) {
	b := s.buf[:0]
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '<':
			rest := s.data[s.pos:]
			if !bytes.HasPrefix(rest, []byte("<![CDATA[")) {
				return s.finishText(b)
			}
			end := bytes.Index(rest[9:], []byte("]]>"))
			if end < 0 {
				return "", s.errorf(s.pos, "unterminated CDATA section")
			}
			b = appendNormalised(b, rest[9:9+end])
			s.pos += 9 + end + 3
		case c == '&':
			r, n, err := s.reference()
			if err != nil {
				return "", err
			}
			b = utf8.AppendRune(b, r)
			s.pos += n
		case c == '\r':
			// XML turns CR LF and lone CR into LF.
			b = append(b, '\n')
			s.pos++
			if s.pos < len(s.data) && s.data[s.pos] == '\n' {
				s.pos++
			}
		default:
			start := s.pos
			for s.pos < len(s.data) {
				c := s.data[s.pos]
				if c == '<' || c == '&' || c == '\r' {
					break
				}
				s.pos++
			}
			b = append(b, s.data[start:s.pos]...)
		}
	}
	return s.finishText(b)
}

func appendNormalised(b, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\r' {
			b = append(b, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			continue
		}
		b = append(b, raw[i])
	}
	return b
}

func (s *scanner) finishText(b []byte) (string, error) {
	s.buf = b
	if !utf8.Valid(b) {
		if s.strictUTF8 {
			return "", s.errorf(s.pos, "invalid UTF-8 in text")
		}
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	return string(b), nil
}

// reference decodes the entity or character reference at s.pos and
// returns the rune and the length of the reference.
func (s *scanner) reference() (rune, int, error) {
	rest := s.data[s.pos:]
	end := bytes.IndexByte(rest, ';')
	if end < 0 || end > 12 {
		return 0, 0, s.errorf(s.pos, "malformed entity reference")
	}
	ref := string(rest[1:end])
	switch ref {
	case "lt":
		return '<', end + 1, nil
	case "gt":
		return '>', end + 1, nil
	case "amp":
		return '&', end + 1, nil
	case "quot":
		return '"', end + 1, nil
	case "apos":
		return '\'', end + 1, nil
	}
	if len(ref) > 1 && ref[0] == '#' {
		var n uint64
		var err error
		if ref[1] == 'x' {
			n, err = strconv.ParseUint(ref[2:], 16, 32)
		} else {
			n, err = strconv.ParseUint(ref[1:], 10, 32)
		}
		if err == nil && n <= utf8.MaxRune && utf8.ValidRune(rune(n)) {
			return rune(n), end + 1, nil
		}
		return 0, 0, s.errorf(s.pos, "invalid character reference &"+ref+";")
	}
	return 0, 0, s.errorf(s.pos, "undefined entity &"+ref+";")
}
