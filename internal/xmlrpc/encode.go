package xmlrpc

import (
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The layout below reproduces Python's xmlrpc.client output byte for
// byte (apart from struct member order, which Python takes from dict
// insertion), so that clients comparing raw responses see no difference.

const xmlHeader = "<?xml version='1.0'?>\n"

// EncodeCall writes a <methodCall>.
func EncodeCall(w io.Writer, method string, params []any) error {
	b := make([]byte, 0, 256)
	b = append(b, xmlHeader...)
	b = append(b, "<methodCall>\n<methodName>"...)
	b = appendEscaped(b, method)
	b = append(b, "</methodName>\n<params>\n"...)
	var err error
	for _, p := range params {
		b = append(b, "<param>\n"...)
		if b, err = appendValue(b, p, 0); err != nil {
			return err
		}
		b = append(b, "</param>\n"...)
	}
	b = append(b, "</params>\n</methodCall>\n"...)
	_, err = w.Write(b)
	return err
}

// EncodeResponse writes a <methodResponse> carrying v. If v cannot be
// encoded nothing is written and the error says why.
func EncodeResponse(w io.Writer, v any) error {
	b, err := AppendResponse(make([]byte, 0, 512), v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// AppendResponse appends the encoding of a <methodResponse> carrying v to
// b, for callers that manage their own buffers.
func AppendResponse(b []byte, v any) ([]byte, error) {
	if sz, ok := v.(Sizer); ok {
		b = slices.Grow(b, len(xmlHeader)+64+sz.EncodedSize())
	}
	b = append(b, xmlHeader...)
	b = append(b, "<methodResponse>\n<params>\n<param>\n"...)
	b, err := appendValue(b, v, 0)
	if err != nil {
		return nil, err
	}
	b = append(b, "</param>\n</params>\n</methodResponse>\n"...)
	return b, nil
}

// EncodeFault writes a fault <methodResponse>.
func EncodeFault(w io.Writer, f *Fault) error {
	_, err := w.Write(AppendFault(make([]byte, 0, 320), f))
	return err
}

// AppendFault appends the encoding of a fault response to b.
func AppendFault(b []byte, f *Fault) []byte {
	b = append(b, xmlHeader...)
	b = append(b, "<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>"...)
	b = strconv.AppendInt(b, int64(f.Code), 10)
	b = append(b, "</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>"...)
	b = appendEscaped(b, f.String)
	b = append(b, "</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n"...)
	return b
}

// maxEncodeDepth stops runaway recursion on cyclic values.
const maxEncodeDepth = 100

func appendValue(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxEncodeDepth {
		return nil, fmt.Errorf("xmlrpc: value nested more than %d levels", maxEncodeDepth)
	}
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, "<value><nil/></value>\n"...), nil
	case string:
		b = append(b, "<value><string>"...)
		b = appendEscaped(b, x)
		return append(b, "</string></value>\n"...), nil
	case int:
		return appendInt(b, int64(x)), nil
	case int64:
		return appendInt(b, x), nil
	case int32:
		return appendInt(b, int64(x)), nil
	case bool:
		if x {
			return append(b, "<value><boolean>1</boolean></value>\n"...), nil
		}
		return append(b, "<value><boolean>0</boolean></value>\n"...), nil
	case float64:
		return appendDouble(b, x), nil
	case float32:
		return appendDouble(b, float64(x)), nil
	case []byte:
		b = append(b, "<value><base64>\n"...)
		b = appendBase64(b, x)
		return append(b, "</base64></value>\n"...), nil
	case time.Time:
		b = append(b, "<value><dateTime.iso8601>"...)
		b = x.AppendFormat(b, "20060102T15:04:05")
		return append(b, "</dateTime.iso8601></value>\n"...), nil
	case Struct:
		b = append(b, "<value><struct>\n"...)
		for _, m := range x {
			if b, err = appendMember(b, m.Name, m.Value, depth); err != nil {
				return nil, err
			}
		}
		return append(b, "</struct></value>\n"...), nil
	case map[string]any:
		b = append(b, "<value><struct>\n"...)
		for _, k := range sortedKeys(x) {
			if b, err = appendMember(b, k, x[k], depth); err != nil {
				return nil, err
			}
		}
		return append(b, "</struct></value>\n"...), nil
	case []any:
		b = append(b, "<value><array><data>\n"...)
		for _, e := range x {
			if b, err = appendValue(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, "</data></array></value>\n"...), nil
	case []string:
		b = append(b, "<value><array><data>\n"...)
		for _, e := range x {
			b = append(b, "<value><string>"...)
			b = appendEscaped(b, e)
			b = append(b, "</string></value>\n"...)
		}
		return append(b, "</data></array></value>\n"...), nil
	case []Struct:
		b = append(b, "<value><array><data>\n"...)
		for _, e := range x {
			if b, err = appendValue(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, "</data></array></value>\n"...), nil
	case []map[string]any:
		b = append(b, "<value><array><data>\n"...)
		for _, e := range x {
			if b, err = appendValue(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, "</data></array></value>\n"...), nil
	case *Fault:
		return appendValue(b, Struct{{"faultCode", x.Code}, {"faultString", x.String}}, depth)
	case Appender:
		return x.AppendXMLRPC(b)
	}
	return appendReflect(b, reflect.ValueOf(v), depth)
}

// appendReflect handles the remaining integer kinds and slices and maps
// of encodable values.
func appendReflect(b []byte, rv reflect.Value, depth int) ([]byte, error) {
	var err error
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return appendInt(b, rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("xmlrpc: integer %d out of range", u)
		}
		return appendInt(b, int64(u)), nil
	case reflect.String:
		return appendValue(b, rv.String(), depth)
	case reflect.Bool:
		return appendValue(b, rv.Bool(), depth)
	case reflect.Float32, reflect.Float64:
		return appendDouble(b, rv.Float()), nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return appendValue(b, rv.Bytes(), depth)
		}
		b = append(b, "<value><array><data>\n"...)
		for i := 0; i < rv.Len(); i++ {
			if b, err = appendValue(b, rv.Index(i).Interface(), depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, "</data></array></value>\n"...), nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		keys := make([]string, 0, rv.Len())
		for _, k := range rv.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		b = append(b, "<value><struct>\n"...)
		for _, k := range keys {
			val := rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key()))
			if b, err = appendMember(b, k, val.Interface(), depth); err != nil {
				return nil, err
			}
		}
		return append(b, "</struct></value>\n"...), nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return appendValue(b, nil, depth)
		}
		return appendValue(b, rv.Elem().Interface(), depth+1)
	case reflect.Invalid:
		return appendValue(b, nil, depth)
	}
	return nil, fmt.Errorf("xmlrpc: cannot encode a value of type %s", rv.Type())
}

func appendMember(b []byte, name string, v any, depth int) ([]byte, error) {
	b = append(b, "<member>\n<name>"...)
	b = appendEscaped(b, name)
	b = append(b, "</name>\n"...)
	b, err := appendValue(b, v, depth+1)
	if err != nil {
		return nil, err
	}
	return append(b, "</member>\n"...), nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func appendInt(b []byte, n int64) []byte {
	b = append(b, "<value><int>"...)
	b = strconv.AppendInt(b, n, 10)
	return append(b, "</int></value>\n"...)
}

// appendDouble writes f the way Python's repr does: positional notation
// with at least one decimal for exponents in [-4, 16), else scientific.
func appendDouble(b []byte, f float64) []byte {
	b = append(b, "<value><double>"...)
	switch {
	case math.IsInf(f, 1):
		b = append(b, "inf"...)
	case math.IsInf(f, -1):
		b = append(b, "-inf"...)
	case math.IsNaN(f):
		b = append(b, "nan"...)
	case f == 0:
		if math.Signbit(f) {
			b = append(b, "-0.0"...)
		} else {
			b = append(b, "0.0"...)
		}
	default:
		exp := int(math.Floor(math.Log10(math.Abs(f))))
		// Log10 can be off by one near powers of ten; the shortest
		// scientific form tells the true exponent.
		sci := strconv.FormatFloat(f, 'e', -1, 64)
		if i := strings.IndexByte(sci, 'e'); i >= 0 {
			if e, err := strconv.Atoi(sci[i+1:]); err == nil {
				exp = e
			}
		}
		if exp >= -4 && exp < 16 {
			start := len(b)
			b = strconv.AppendFloat(b, f, 'f', -1, 64)
			if !strings.ContainsRune(string(b[start:]), '.') {
				b = append(b, ".0"...)
			}
		} else {
			b = append(b, sci...)
		}
	}
	return append(b, "</double></value>\n"...)
}

// appendBase64 writes data in lines of 76 characters, each ending in a
// newline, as Python's base64.encodebytes does.
func appendBase64(b []byte, data []byte) []byte {
	enc := base64.StdEncoding
	const perLine = 57 // input bytes per 76-character line
	for len(data) > 0 {
		n := min(perLine, len(data))
		start := len(b)
		b = append(b, make([]byte, enc.EncodedLen(n))...)
		enc.Encode(b[start:], data[:n])
		b = append(b, '\n')
		data = data[n:]
	}
	return b
}

// appendEscaped writes s as XML character data: &, < and > escaped, CR
// as a reference so that it survives line-end normalisation, and invalid
// UTF-8 replaced with U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			var esc string
			switch c {
			case '&':
				esc = "&amp;"
			case '<':
				esc = "&lt;"
			case '>':
				esc = "&gt;"
			case '\r':
				esc = "&#13;"
			default:
				i++
				continue
			}
			b = append(b, s[last:i]...)
			b = append(b, esc...)
			i++
			last = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[last:i]...)
			b = append(b, "\uFFFD"...)
			i++
			last = i
			continue
		}
		i += size
	}
	return append(b, s[last:]...)
}
