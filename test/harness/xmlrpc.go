package harness

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Client is a minimal XML-RPC client for a supervisord control socket. It
// speaks only what the tests and benchmarks need and deliberately shares no
// code with the daemon's own codec, so a bug there cannot hide itself here.
type Client struct {
	HTTP *http.Client
	URL  string

	buf []byte // CallDiscard's reply buffer, reused
}

// NewUnixClient returns a client that posts to /RPC2 over the unix socket
// at path. Each call is bounded by timeout.
func NewUnixClient(path string, timeout time.Duration) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConnsPerHost: 4,
	}
	return &Client{
		HTTP: &http.Client{Transport: tr, Timeout: timeout},
		URL:  "http://localhost/RPC2",
	}
}

// Close releases idle connections.
func (c *Client) Close() {
	c.HTTP.CloseIdleConnections()
}

// Fault is an XML-RPC fault returned by the server.
type Fault struct {
	Code   int
	String string
}

func (f *Fault) Error() string { return fmt.Sprintf("fault %d: %s", f.Code, f.String) }

// Call invokes method with args (string, bool, int, []any or
// map[string]any) and returns the decoded result: string, int, bool,
// float64, []any, map[string]any or nil. A server fault is a *Fault.
func (c *Client) Call(ctx context.Context, method string, args ...any) (any, error) {
	body, err := c.CallRaw(ctx, method, args...)
	if err != nil {
		return nil, err
	}
	v, err := DecodeResponse(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	return v, nil
}

// CallRaw invokes method and returns the undecoded response body.
func (c *Client) CallRaw(ctx context.Context, method string, args ...any) ([]byte, error) {
	return c.post(ctx, nil, method, args...)
}

// CallDiscard invokes method, reads the whole reply into a buffer the
// client reuses and returns its length: for benchmarks, whose figure is
// then the daemon's time and not the client's allocator's.
func (c *Client) CallDiscard(ctx context.Context, method string, args ...any) (int, error) {
	b, err := c.CallReused(ctx, method, args...)
	return len(b), err
}

// CallReused is CallRaw into the buffer CallDiscard uses: the body it
// returns is valid only until the client's next call.
func (c *Client) CallReused(ctx context.Context, method string, args ...any) ([]byte, error) {
	b, err := c.post(ctx, c.buf[:0], method, args...)
	if b != nil {
		c.buf = b
	}
	return b, err
}

// post sends the call and appends the reply's body to buf.
func (c *Client) post(ctx context.Context, buf []byte, method string, args ...any) ([]byte, error) {
	req, err := EncodeCall(method, args...)
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(req))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "text/xml")
	resp, err := c.HTTP.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	body, err := readBody(resp, buf)
	if err != nil {
		return nil, fmt.Errorf("%s: reading response: %w", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", method, resp.Status)
	}
	return body, nil
}

// readBody reads the response's body into buf, in one allocation when the
// server gave its length; a body without one (a large reply, streamed)
// fills buf's capacity first and grows it by doubling only past that, so
// a client calling in a loop reuses one buffer either way.
func readBody(resp *http.Response, buf []byte) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n < 1<<30 {
		if int64(cap(buf)) < n {
			buf = make([]byte, 0, n)
		}
		buf = buf[:n]
		_, err := io.ReadFull(resp.Body, buf)
		return buf, err
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(cap(buf), 64<<10))
		}
		n, err := resp.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// EncodeCall renders a methodCall document.
func EncodeCall(method string, args ...any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?><methodCall><methodName>`)
	xml.EscapeText(&b, []byte(method))
	b.WriteString(`</methodName><params>`)
	for _, a := range args {
		b.WriteString("<param>")
		if err := encodeValue(&b, a); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		b.WriteString("</param>")
	}
	b.WriteString("</params></methodCall>")
	return b.Bytes(), nil
}

func encodeValue(b *bytes.Buffer, v any) error {
	b.WriteString("<value>")
	switch v := v.(type) {
	case string:
		b.WriteString("<string>")
		xml.EscapeText(b, []byte(v))
		b.WriteString("</string>")
	case bool:
		if v {
			b.WriteString("<boolean>1</boolean>")
		} else {
			b.WriteString("<boolean>0</boolean>")
		}
	case int:
		fmt.Fprintf(b, "<int>%d</int>", v)
	case []any:
		b.WriteString("<array><data>")
		for _, e := range v {
			if err := encodeValue(b, e); err != nil {
				return err
			}
		}
		b.WriteString("</data></array>")
	case map[string]any:
		b.WriteString("<struct>")
		for k, e := range v {
			b.WriteString("<member><name>")
			xml.EscapeText(b, []byte(k))
			b.WriteString("</name>")
			if err := encodeValue(b, e); err != nil {
				return err
			}
			b.WriteString("</member>")
		}
		b.WriteString("</struct>")
	default:
		return fmt.Errorf("cannot encode %T", v)
	}
	b.WriteString("</value>")
	return nil
}

// DecodeResponse parses a methodResponse document: the single param's
// value, or a *Fault.
func DecodeResponse(body []byte) (any, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	var path []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, errors.New("response has no value")
		}
		if err != nil {
			return nil, fmt.Errorf("malformed response: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "value" {
				v, err := decodeValue(d, 0)
				if err != nil {
					return nil, err
				}
				if len(path) >= 1 && path[len(path)-1] == "fault" {
					return nil, faultFrom(v)
				}
				return v, nil
			}
			path = append(path, t.Name.Local)
		case xml.EndElement:
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
		}
	}
}

func faultFrom(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("fault is %T, not a struct", v)
	}
	code, _ := m["faultCode"].(int)
	s, _ := m["faultString"].(string)
	return &Fault{Code: code, String: s}
}

const maxDepth = 64

// decodeValue reads the contents of a <value> element whose start tag has
// been consumed, through its end tag.
func decodeValue(d *xml.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("value nested too deeply")
	}
	var text strings.Builder
	var result any
	typed := false
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("malformed value: %w", err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if !typed {
				text.Write(t)
			}
		case xml.StartElement:
			if typed {
				return nil, fmt.Errorf("unexpected <%s> in value", t.Name.Local)
			}
			typed = true
			result, err = decodeTyped(d, t.Name.Local, depth)
			if err != nil {
				return nil, err
			}
		case xml.EndElement:
			if t.Name.Local != "value" {
				return nil, fmt.Errorf("unexpected </%s> in value", t.Name.Local)
			}
			if !typed {
				return text.String(), nil
			}
			return result, nil
		}
	}
}

func decodeTyped(d *xml.Decoder, kind string, depth int) (any, error) {
	switch kind {
	case "array":
		return decodeArray(d, depth)
	case "struct":
		return decodeStruct(d, depth)
	}
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("malformed <%s>: %w", kind, err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			if kind == "nil" {
				continue
			}
			return nil, fmt.Errorf("unexpected <%s> in <%s>", t.Name.Local, kind)
		case xml.EndElement:
			if kind == "nil" && t.Name.Local != "nil" {
				continue
			}
			return scalar(kind, text.String())
		}
	}
}

func scalar(kind, s string) (any, error) {
	switch kind {
	case "string", "base64", "dateTime.iso8601":
		return s, nil
	case "int", "i4", "i8":
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("bad <%s> %q", kind, s)
		}
		return n, nil
	case "boolean":
		switch strings.TrimSpace(s) {
		case "1":
			return true, nil
		case "0":
			return false, nil
		}
		return nil, fmt.Errorf("bad <boolean> %q", s)
	case "double":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("bad <double> %q", s)
		}
		return f, nil
	case "nil":
		return nil, nil
	}
	return nil, fmt.Errorf("unknown value type <%s>", kind)
}

func decodeArray(d *xml.Decoder, depth int) (any, error) {
	out := []any{}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("malformed <array>: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "data":
			case "value":
				v, err := decodeValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			default:
				return nil, fmt.Errorf("unexpected <%s> in <array>", t.Name.Local)
			}
		case xml.EndElement:
			if t.Name.Local == "array" {
				return out, nil
			}
		}
	}
}

func decodeStruct(d *xml.Decoder, depth int) (any, error) {
	out := map[string]any{}
	var name string
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("malformed <struct>: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "member":
				name = ""
			case "name":
				var s string
				if err := d.DecodeElement(&s, &t); err != nil {
					return nil, fmt.Errorf("malformed member name: %w", err)
				}
				name = s
			case "value":
				v, err := decodeValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				out[name] = v
			default:
				return nil, fmt.Errorf("unexpected <%s> in <struct>", t.Name.Local)
			}
		case xml.EndElement:
			if t.Name.Local == "struct" {
				return out, nil
			}
		}
	}
}
