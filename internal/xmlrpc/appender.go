package xmlrpc

import (
	"strconv"
	"unsafe"
)

// Appender is a value that encodes itself: AppendXMLRPC appends one
// complete <value>…</value> element, in the layout the encoder uses, to b.
// Large replies implement it to go straight from their rows to bytes,
// without building a tree of Struct and interface values first.
type Appender interface {
	AppendXMLRPC(b []byte) ([]byte, error)
}

// Sizer may be implemented by an Appender that can tell about how many
// bytes it encodes to; AppendResponse then grows the buffer once instead
// of doubling it while a large reply is written.
type Sizer interface {
	EncodedSize() int
}

// Releaser may be implemented by a reply that borrows memory for its
// encoding: the server calls Release once the reply is encoded, and the
// value is not used again.
type Releaser interface {
	Release()
}

// StructStart, StructEnd, ArrayStart and ArrayEnd are the framing of a
// struct and an array value, for Appender implementations.
func StructStart(b []byte) []byte { return append(b, "<value><struct>\n"...) }

// StructEnd closes StructStart.
func StructEnd(b []byte) []byte { return append(b, "</struct></value>\n"...) }

// ArrayStart opens an array value.
func ArrayStart(b []byte) []byte { return append(b, "<value><array><data>\n"...) }

// ArrayEnd closes ArrayStart.
func ArrayEnd(b []byte) []byte { return append(b, "</data></array></value>\n"...) }

// StringMember appends a struct member holding a string.
func StringMember(b []byte, name, v string) []byte {
	b = memberName(b, name)
	b = append(b, "<value><string>"...)
	b = appendEscaped(b, v)
	return append(b, "</string></value>\n</member>\n"...)
}

// BytesMember is StringMember for a string held in v, which must not
// change during the call.
func BytesMember(b []byte, name string, v []byte) []byte {
	return StringMember(b, name, unsafe.String(unsafe.SliceData(v), len(v)))
}

// IntMember appends a struct member holding an int.
func IntMember(b []byte, name string, v int64) []byte {
	b = memberName(b, name)
	b = append(b, "<value><int>"...)
	b = strconv.AppendInt(b, v, 10)
	return append(b, "</int></value>\n</member>\n"...)
}

func memberName(b []byte, name string) []byte {
	b = append(b, "<member>\n<name>"...)
	b = appendEscaped(b, name)
	return append(b, "</name>\n"...)
}

// DoubleMember appends a struct member holding a double, written as the
// encoder writes a float64.
func DoubleMember(b []byte, name string, v float64) []byte {
	b = memberName(b, name)
	b = appendDouble(b, v)
	return append(b, "</member>\n"...)
}

// Streamer is a large reply that can also be encoded piece by piece, so
// that the server sends it through a buffer of a fixed size instead of
// holding all of it: StreamXMLRPC appends the same bytes AppendXMLRPC
// would to b, and each time b holds at least chunk bytes it hands them to
// flush and goes on in b[:0].
type Streamer interface {
	Appender
	Sizer
	StreamXMLRPC(b []byte, chunk int, flush func([]byte) error) ([]byte, error)
}

// StreamResponse sends the <methodResponse> carrying v through flush in
// pieces of about chunk bytes, using b as the buffer, and returns the
// buffer for reuse; the pieces joined are what AppendResponse would
// return.
func StreamResponse(b []byte, v Streamer, chunk int, flush func([]byte) error) ([]byte, error) {
	b = append(b[:0], xmlHeader...)
	b = append(b, "<methodResponse>\n<params>\n<param>\n"...)
	b, err := v.StreamXMLRPC(b, chunk, flush)
	if err != nil {
		return nil, err
	}
	b = append(b, "</param>\n</params>\n</methodResponse>\n"...)
	return b, flush(b)
}
