package xmlrpc

import (
	"encoding/base64"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// readLimited reads all of r, failing with ErrTooLarge once more than
// lim.MaxBytes bytes have arrived.
func readLimited(r io.Reader, lim Limits) ([]byte, error) {
	if lim.MaxBytes <= 0 {
		return io.ReadAll(r)
	}
	return AppendLimited(nil, r, lim.MaxBytes)
}

// AppendLimited appends all of r to buf, failing with ErrTooLarge once
// more than max bytes have been read; a caller that keeps buf between
// messages reads each into the same memory.
func AppendLimited(buf []byte, r io.Reader, max int64) ([]byte, error) {
	start := len(buf)
	buf = slices.Grow(buf, 512) // as io.ReadAll begins
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case int64(len(buf)-start) > max:
			return buf, ErrTooLarge
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf, err
		}
	}
}

// DecodeCall reads a <methodCall>. A call without <params> has no
// parameters. Text must be valid UTF-8.
func DecodeCall(r io.Reader, lim Limits) (method string, params []any, err error) {
	data, err := readLimited(r, lim)
	if err != nil {
		return "", nil, err
	}
	return DecodeCallBytes(data, lim)
}

// DecodeCallBytes is DecodeCall of a message already read. Nothing it
// returns refers to data, which the caller may reuse.
func DecodeCallBytes(data []byte, lim Limits) (method string, params []any, err error) {
	if lim.MaxBytes > 0 && int64(len(data)) > lim.MaxBytes {
		return "", nil, ErrTooLarge
	}
	var sc scanner
	s := &sc
	s.init(data, lim, true)
	var open [8]string
	s.open = open[:0]
	if err := s.expectStart("methodCall"); err != nil {
		return "", nil, err
	}
	params = []any{}
	seenName := false
	for {
		t, err := s.nextSkipSpace()
		if err != nil {
			return "", nil, err
		}
		if t.kind == tokEnd {
			break
		}
		if t.kind != tokStart {
			return "", nil, s.errorf(t.off, "unexpected text in <methodCall>")
		}
		switch t.name {
		case "methodName":
			text, err := s.textUntilEnd("methodName")
			if err != nil {
				return "", nil, err
			}
			method, seenName = text, true
		case "params":
			params, err = s.params()
			if err != nil {
				return "", nil, err
			}
		default:
			return "", nil, s.errorf(t.off, "unexpected <"+t.name+"> in <methodCall>")
		}
	}
	if err := s.expectEOF(); err != nil {
		return "", nil, err
	}
	if !seenName || method == "" {
		return "", nil, ErrNoMethod
	}
	return method, params, nil
}

// DecodeResponse reads a <methodResponse> and returns its value, or a
// *Fault error for a fault response. Invalid UTF-8 in text is replaced
// with U+FFFD, since a client cannot ask for a better reply.
func DecodeResponse(r io.Reader, lim Limits) (any, error) {
	data, err := readLimited(r, lim)
	if err != nil {
		return nil, err
	}
	s := newScanner(data, lim, false)
	if err := s.expectStart("methodResponse"); err != nil {
		return nil, err
	}
	t, err := s.nextSkipSpace()
	if err != nil {
		return nil, err
	}
	if t.kind != tokStart {
		return nil, s.errorf(t.off, "expected <params> or <fault>")
	}
	var result any
	var fault *Fault
	switch t.name {
	case "params":
		params, err := s.params()
		if err != nil {
			return nil, err
		}
		if len(params) != 1 {
			return nil, s.errorf(t.off, "response must have exactly one parameter")
		}
		result = params[0]
	case "fault":
		if err := s.expectStart("value"); err != nil {
			return nil, err
		}
		v, err := s.value()
		if err != nil {
			return nil, err
		}
		if err := s.expectEnd("fault"); err != nil {
			return nil, err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, s.errorf(t.off, "fault value is not a struct")
		}
		code, ok1 := m["faultCode"].(int)
		str, ok2 := m["faultString"].(string)
		if !ok1 || !ok2 {
			return nil, s.errorf(t.off, "fault struct lacks faultCode or faultString")
		}
		fault = &Fault{Code: code, String: str}
	default:
		return nil, s.errorf(t.off, "unexpected <"+t.name+"> in <methodResponse>")
	}
	if err := s.expectEnd("methodResponse"); err != nil {
		return nil, err
	}
	if err := s.expectEOF(); err != nil {
		return nil, err
	}
	if fault != nil {
		return nil, fault
	}
	return result, nil
}

// nextSkipSpace returns the next token that is not whitespace text.
func (s *scanner) nextSkipSpace() (token, error) {
	for {
		t, err := s.next()
		if err != nil {
			return t, err
		}
		if t.kind == tokText && strings.TrimLeft(t.text, " \t\n") == "" {
			continue
		}
		return t, nil
	}
}

func (s *scanner) expectStart(name string) error {
	t, err := s.nextSkipSpace()
	if err != nil {
		return err
	}
	if t.kind != tokStart || t.name != name {
		return s.errorf(t.off, "expected <"+name+">")
	}
	return nil
}

func (s *scanner) expectEnd(name string) error {
	t, err := s.nextSkipSpace()
	if err != nil {
		return err
	}
	if t.kind != tokEnd || t.name != name {
		return s.errorf(t.off, "expected </"+name+">")
	}
	return nil
}

func (s *scanner) expectEOF() error {
	t, err := s.nextSkipSpace()
	if err != nil {
		return err
	}
	if t.kind != tokEOF {
		return s.errorf(t.off, "unexpected content after the root element")
	}
	return nil
}

// textUntilEnd reads the character data of an element whose start tag
// was just consumed, up to its end tag. Child elements are an error.
func (s *scanner) textUntilEnd(name string) (string, error) {
	var text strings.Builder
	for {
		t, err := s.next()
		if err != nil {
			return "", err
		}
		switch t.kind {
		case tokText:
			text.WriteString(t.text)
		case tokEnd:
			return text.String(), nil
		default:
			return "", s.errorf(t.off, "unexpected element in <"+name+">")
		}
	}
}

// params reads <param> elements up to </params>.
func (s *scanner) params() ([]any, error) {
	params := []any{}
	for {
		t, err := s.nextSkipSpace()
		if err != nil {
			return nil, err
		}
		if t.kind == tokEnd {
			return params, nil
		}
		if t.kind != tokStart || t.name != "param" {
			return nil, s.errorf(t.off, "expected <param>")
		}
		if err := s.expectStart("value"); err != nil {
			return nil, err
		}
		v, err := s.value()
		if err != nil {
			return nil, err
		}
		if err := s.expectEnd("param"); err != nil {
			return nil, err
		}
		params = append(params, v)
	}
}

// value reads the content of a <value> whose start tag was just consumed,
// through its end tag.
func (s *scanner) value() (any, error) {
	var text strings.Builder
	for {
		t, err := s.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tokText:
			text.WriteString(t.text)
			continue
		case tokEnd:
			// An untyped value is a string, whitespace and all.
			return text.String(), nil
		}
		if strings.TrimLeft(text.String(), " \t\n") != "" {
			return nil, s.errorf(t.off, "text mixed with a typed value")
		}
		v, err := s.typed(t)
		if err != nil {
			return nil, err
		}
		if err := s.expectEnd("value"); err != nil {
			return nil, err
		}
		return v, nil
	}
}

// typed reads a typed value whose start tag t was just consumed.
func (s *scanner) typed(t token) (any, error) {
	switch t.name {
	case "array":
		return s.array()
	case "struct":
		return s.structure()
	case "nil":
		if err := s.expectEnd("nil"); err != nil {
			return nil, err
		}
		return nil, nil
	}
	text, err := s.textUntilEnd(t.name)
	if err != nil {
		return nil, err
	}
	switch t.name {
	case "int", "i4", "i8":
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
		if err != nil || int64(int(n)) != n {
			return nil, s.errorf(t.off, "invalid integer "+strconv.Quote(text))
		}
		return int(n), nil
	case "boolean":
		// The reference server treats anything but "1" as false.
		return text == "1", nil
	case "string":
		return text, nil
	case "double":
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil {
			return nil, s.errorf(t.off, "invalid double "+strconv.Quote(text))
		}
		return f, nil
	case "dateTime.iso8601":
		tm, err := parseDateTime(strings.TrimSpace(text))
		if err != nil {
			return nil, s.errorf(t.off, "invalid dateTime.iso8601 "+strconv.Quote(text))
		}
		return tm, nil
	case "base64":
		b, err := decodeBase64(text)
		if err != nil {
			return nil, s.errorf(t.off, "invalid base64")
		}
		return b, nil
	}
	return nil, s.errorf(t.off, "unknown value type <"+t.name+">")
}

func parseDateTime(text string) (time.Time, error) {
	for _, layout := range []string{"20060102T15:04:05", "2006-01-02T15:04:05", "20060102T150405"} {
		if tm, err := time.ParseInLocation(layout, text, time.UTC); err == nil {
			return tm, nil
		}
	}
	return time.ParseInLocation(time.RFC3339, text, time.UTC)
}

func decodeBase64(text string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, text)
	if b, err := base64.StdEncoding.DecodeString(clean); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "="))
}

func (s *scanner) array() ([]any, error) {
	t, err := s.nextSkipSpace()
	if err != nil {
		return nil, err
	}
	if t.kind == tokEnd { // <array/> or <array></array>
		return []any{}, nil
	}
	if t.kind != tokStart || t.name != "data" {
		return nil, s.errorf(t.off, "expected <data>")
	}
	items := []any{}
	for {
		t, err := s.nextSkipSpace()
		if err != nil {
			return nil, err
		}
		if t.kind == tokEnd {
			break
		}
		if t.kind != tokStart || t.name != "value" {
			return nil, s.errorf(t.off, "expected <value> in <data>")
		}
		v, err := s.value()
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
	if err := s.expectEnd("array"); err != nil {
		return nil, err
	}
	return items, nil
}

func (s *scanner) structure() (map[string]any, error) {
	m := map[string]any{}
	for {
		t, err := s.nextSkipSpace()
		if err != nil {
			return nil, err
		}
		if t.kind == tokEnd {
			return m, nil
		}
		if t.kind != tokStart || t.name != "member" {
			return nil, s.errorf(t.off, "expected <member> in <struct>")
		}
		var name string
		var val any
		var haveName, haveValue bool
		for {
			t, err := s.nextSkipSpace()
			if err != nil {
				return nil, err
			}
			if t.kind == tokEnd {
				break
			}
			if t.kind != tokStart {
				return nil, s.errorf(t.off, "unexpected text in <member>")
			}
			switch {
			case t.name == "name" && !haveName:
				if name, err = s.textUntilEnd("name"); err != nil {
					return nil, err
				}
				haveName = true
			case t.name == "value" && !haveValue:
				if val, err = s.value(); err != nil {
					return nil, err
				}
				haveValue = true
			default:
				return nil, s.errorf(t.off, "unexpected <"+t.name+"> in <member>")
			}
		}
		if !haveName || !haveValue {
			return nil, s.errorf(t.off, "<member> needs a <name> and a <value>")
		}
		m[name] = val
	}
}
