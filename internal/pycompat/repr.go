package pycompat

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Repr quotes s the way Python's repr() quotes a str: single quotes
// unless s holds a single quote and no double quote, backslash escapes for
// the quote, backslash, \t, \n and \r, \xNN, \uNNNN or \UNNNNNNNN for
// characters Python does not print, every other character as it is.
// Bytes that are not UTF-8 appear as Python shows bytes it decoded with
// surrogateescape (file names, arguments): \udcNN.
func Repr(s string) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	b := make([]byte, 0, len(s)+2)
	b = append(b, quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\udc`...)
			b = appendHex(b, uint64(s[i]), 2)
			i++
			continue
		}
		i += size
		switch {
		case r == rune(quote) || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r < 0x20 || r == 0x7f:
			b = append(b, `\x`...)
			b = appendHex(b, uint64(r), 2)
		case r < 0x7f || isPrintable(r):
			b = utf8.AppendRune(b, r)
		case r <= 0xff:
			b = append(b, `\x`...)
			b = appendHex(b, uint64(r), 2)
		case r <= 0xffff:
			b = append(b, `\u`...)
			b = appendHex(b, uint64(r), 4)
		default:
			b = append(b, `\U`...)
			b = appendHex(b, uint64(r), 8)
		}
	}
	return string(append(b, quote))
}

// isPrintable is Python's str.isprintable for one character: everything
// but the "Other" and "Separator" categories, except the ASCII space.
func isPrintable(r rune) bool {
	return r == ' ' || unicode.IsPrint(r)
}

// BytesRepr quotes data the way Python's repr() quotes a bytes object:
// b'...' with printable ASCII as it is and every other byte as \xNN.
func BytesRepr(data []byte) string {
	quote := byte('\'')
	if strings.IndexByte(string(data), '\'') >= 0 && strings.IndexByte(string(data), '"') < 0 {
		quote = '"'
	}
	b := make([]byte, 0, len(data)+3)
	b = append(b, 'b', quote)
	for _, c := range data {
		switch {
		case c == quote || c == '\\':
			b = append(b, '\\', c)
		case c == '\t':
			b = append(b, `\t`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c < 0x20 || c >= 0x7f:
			b = append(b, `\x`...)
			b = appendHex(b, uint64(c), 2)
		default:
			b = append(b, c)
		}
	}
	return string(append(b, quote))
}

// DecodeOutput renders a child's output for a message the way the
// reference does: the text itself when it is UTF-8, otherwise
// "Undecodable: " and the bytes' repr.
func DecodeOutput(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	return "Undecodable: " + BytesRepr(data)
}

func appendHex(b []byte, v uint64, width int) []byte {
	h := strconv.FormatUint(v, 16)
	for n := len(h); n < width; n++ {
		b = append(b, '0')
	}
	return append(b, h...)
}
