package xmlrpc

import (
	"bytes"
	"testing"
)

func FuzzDecodeCall(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><methodCall><methodName>a.b</methodName><params><param><value><struct><member><name>k</name><value><array><data><value><i4>1</i4></value></data></array></value></member></struct></value></param></params></methodCall>`))
	f.Add([]byte(`<methodCall><methodName>x</methodName><params><param><value>&lt;<![CDATA[x]]></value></param></params></methodCall>`))
	f.Add([]byte(`<!DOCTYPE a [<!ENTITY b "c">]><methodCall/>`))
	lim := Limits{MaxBytes: 1 << 16, MaxDepth: 32}
	f.Fuzz(func(t *testing.T, data []byte) {
		method, params, err := DecodeCall(bytes.NewReader(data), lim)
		if err != nil {
			return
		}
		// Whatever decodes must encode and decode to the same thing.
		var buf bytes.Buffer
		if err := EncodeCall(&buf, method, params); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		first := bytes.Clone(buf.Bytes())
		m2, p2, err := DecodeCall(&buf, Limits{MaxBytes: 1 << 20, MaxDepth: 64})
		if err != nil {
			t.Fatalf("decode of re-encoded call: %v\n%s", err, buf.String())
		}
		var again bytes.Buffer
		if err := EncodeCall(&again, m2, p2); err != nil || m2 != method || !bytes.Equal(again.Bytes(), first) {
			t.Fatalf("round trip changed the call: %q %#v -> %q %#v", method, params, m2, p2)
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><string>x</string></value>\n</param>\n</params>\n</methodResponse>\n"))
	f.Add([]byte("<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>"))
	lim := Limits{MaxBytes: 1 << 16, MaxDepth: 32}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeResponse(bytes.NewReader(data), lim)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := EncodeResponse(&buf, v); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		first := bytes.Clone(buf.Bytes())
		v2, err := DecodeResponse(&buf, Limits{MaxBytes: 1 << 20, MaxDepth: 64})
		if err != nil {
			t.Fatalf("decode of re-encoded response: %v", err)
		}
		var again bytes.Buffer
		if err := EncodeResponse(&again, v2); err != nil || !bytes.Equal(again.Bytes(), first) {
			t.Fatalf("round trip: %#v -> %#v", v, v2)
		}
	})
}
