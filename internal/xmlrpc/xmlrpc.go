// Package xmlrpc encodes and decodes XML-RPC messages the way Supervisor's
// clients and server exchange them. It is a codec only: callers bring the
// transport. Values are plain Go values:
//
//	<i4>, <int>, <i8>      int
//	<boolean>              bool
//	<string>, bare text    string
//	<double>               float64
//	<dateTime.iso8601>     time.Time (UTC, no zone on the wire)
//	<base64>               []byte
//	<struct>               map[string]any
//	<array>                []any
//	<nil/>                 nil
//
// Decoding is done by a small purpose-built scanner rather than a general
// XML parser: it refuses document type declarations (so there is no entity
// expansion at all), enforces a size and nesting limit, and tolerates the
// control characters that process output often contains and that the
// reference server sends unescaped.
package xmlrpc

import (
	"errors"
	"strconv"
)

// Fault is an XML-RPC fault response.
type Fault struct {
	Code   int
	String string
}

func (f *Fault) Error() string { return strconv.Itoa(f.Code) + ": " + f.String }

// Limits bound what a decoder accepts.
type Limits struct {
	// MaxBytes is the largest message accepted; larger input fails with
	// ErrTooLarge after reading at most MaxBytes+1 bytes.
	MaxBytes int64
	// MaxDepth is the deepest element nesting accepted; deeper input
	// fails with ErrTooDeep.
	MaxDepth int
}

// DefaultLimits returns limits suited to a request body: 4 MiB and 64
// levels of nesting.
func DefaultLimits() Limits { return Limits{MaxBytes: 4 << 20, MaxDepth: 64} }

// Errors reported by the decoders, for callers that map them to HTTP
// statuses. Other decode failures are *SyntaxError values.
var (
	ErrTooLarge = errors.New("xmlrpc: message exceeds the size limit")
	ErrTooDeep  = errors.New("xmlrpc: message exceeds the nesting limit")
	ErrNoMethod = errors.New("xmlrpc: call has no method name")
)

// SyntaxError is a malformed or unsupported message.
type SyntaxError struct {
	Offset int // byte offset in the message where the problem was found
	Msg    string
}

func (e *SyntaxError) Error() string {
	return "xmlrpc: " + e.Msg + " at byte " + strconv.Itoa(e.Offset)
}

// Member is one member of a Struct.
type Member struct {
	Name  string
	Value any
}

// Struct is an XML-RPC struct whose members are encoded in the given
// order. Encoding accepts it wherever a map[string]any is accepted; it is
// cheaper than a map and gives stable output. Decoding always produces
// map[string]any.
type Struct []Member
