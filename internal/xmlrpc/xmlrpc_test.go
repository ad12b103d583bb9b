package xmlrpc

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEncodeResponseMatchesPython(t *testing.T) {
	// Output of Python's xmlrpc.client.dumps((v,), methodresponse=True)
	// with the same members in the same order.
	v := Struct{
		{"a", 1},
		{"b", []any{true, `s<&>"'`, 1.5, 1e20, 0.1}},
		{"c", bytes.Repeat([]byte("hello"), 30)},
		{"d", time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"e", map[string]any{}},
		{"f", []any{}},
	}
	want := `<?xml version='1.0'?>
<methodResponse>
<params>
<param>
<value><struct>
<member>
<name>a</name>
<value><int>1</int></value>
</member>
<member>
<name>b</name>
<value><array><data>
<value><boolean>1</boolean></value>
<value><string>s&lt;&amp;&gt;"'</string></value>
<value><double>1.5</double></value>
<value><double>1e+20</double></value>
<value><double>0.1</double></value>
</data></array></value>
</member>
<member>
<name>c</name>
<value><base64>
aGVsbG9oZWxsb2hlbGxvaGVsbG9oZWxsb2hlbGxvaGVsbG9oZWxsb2hlbGxvaGVsbG9oZWxsb2hl
bGxvaGVsbG9oZWxsb2hlbGxvaGVsbG9oZWxsb2hlbGxvaGVsbG9oZWxsb2hlbGxvaGVsbG9oZWxs
b2hlbGxvaGVsbG9oZWxsb2hlbGxvaGVsbG9oZWxsb2hlbGxv
</base64></value>
</member>
<member>
<name>d</name>
<value><dateTime.iso8601>20200102T03:04:05</dateTime.iso8601></value>
</member>
<member>
<name>e</name>
<value><struct>
</struct></value>
</member>
<member>
<name>f</name>
<value><array><data>
</data></array></value>
</member>
</struct></value>
</param>
</params>
</methodResponse>
`
	var buf bytes.Buffer
	if err := EncodeResponse(&buf, v); err != nil {
		t.Fatal(err)
	}
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestEncodeFaultAndCallMatchPython(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodeFault(&buf, &Fault{Code: 10, String: "BAD_NAME: x"}); err != nil {
		t.Fatal(err)
	}
	want := `<?xml version='1.0'?>
<methodResponse>
<fault>
<value><struct>
<member>
<name>faultCode</name>
<value><int>10</int></value>
</member>
<member>
<name>faultString</name>
<value><string>BAD_NAME: x</string></value>
</member>
</struct></value>
</fault>
</methodResponse>
`
	if buf.String() != want {
		t.Errorf("fault: got\n%s", buf.String())
	}
	buf.Reset()
	if err := EncodeCall(&buf, "supervisor.getState", []any{1, "a"}); err != nil {
		t.Fatal(err)
	}
	want = `<?xml version='1.0'?>
<methodCall>
<methodName>supervisor.getState</methodName>
<params>
<param>
<value><int>1</int></value>
</param>
<param>
<value><string>a</string></value>
</param>
</params>
</methodCall>
`
	if buf.String() != want {
		t.Errorf("call: got\n%s", buf.String())
	}
}

func TestDoubleFormat(t *testing.T) {
	for f, want := range map[float64]string{
		1.5: "1.5", 1e20: "1e+20", 0.1: "0.1", 1e6: "1000000.0", 1e15: "1000000000000000.0",
		1e16: "1e+16", 1.5e-5: "1.5e-05", 0.0001: "0.0001", 0: "0.0", -2: "-2.0",
		math.Inf(1): "inf", 123456789.125: "123456789.125",
	} {
		got := string(appendDouble(nil, f))
		got = strings.TrimSuffix(strings.TrimPrefix(got, "<value><double>"), "</double></value>\n")
		if got != want {
			t.Errorf("%v: got %s want %s", f, got, want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	values := []any{
		0, -7, 1 << 40, true, false, "", "plain", "a\r\nb\rc\x1b[31mred\x00", "<&>]]>",
		1.25, []byte{0, 1, 2, 255}, []byte{}, time.Date(2021, 12, 31, 23, 59, 58, 0, time.UTC),
		nil, []any{}, map[string]any{},
		[]any{1, "x", []any{map[string]any{"k": []any{nil, false}}}},
		map[string]any{"name": "web", "pid": 42, "nested": map[string]any{"": "empty key"}},
		"ünïcödé ☃ 𝄞",
	}
	for _, v := range values {
		var buf bytes.Buffer
		if err := EncodeResponse(&buf, v); err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		got, err := DecodeResponse(&buf, DefaultLimits())
		if err != nil {
			t.Fatalf("%#v: decode: %v\n%s", v, err, buf.String())
		}
		want := v
		if s, ok := v.(string); ok {
			want = strings.ReplaceAll(s, "\r\n", "\r\n") // CR is sent as a reference and survives
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip: got %#v want %#v", got, want)
		}

		buf.Reset()
		if err := EncodeCall(&buf, "ns.m", []any{v, "second"}); err != nil {
			t.Fatal(err)
		}
		m, params, err := DecodeCall(&buf, DefaultLimits())
		if err != nil {
			t.Fatalf("%#v: decode call: %v", v, err)
		}
		if m != "ns.m" || len(params) != 2 || !reflect.DeepEqual(params[0], want) || params[1] != "second" {
			t.Errorf("call round trip: got %q %#v", m, params)
		}
	}
}

func TestEncodeConveniences(t *testing.T) {
	type myInt int
	for _, c := range []struct {
		in   any
		want any
	}{
		{int64(5), 5},
		{[]string{"a", "b"}, []any{"a", "b"}},
		{[]map[string]any{{"a": 1}}, []any{map[string]any{"a": 1}}},
		{[][]string{{"x"}}, []any{[]any{"x"}}},
		{map[string]string{"k": "v"}, map[string]any{"k": "v"}},
		{myInt(3), 3},
		{uint8(4), 4},
		{[]int{1, 2}, []any{1, 2}},
		{&Fault{Code: 2, String: "X"}, map[string]any{"faultCode": 2, "faultString": "X"}},
		{Struct{{"b", 2}, {"a", 1}}, map[string]any{"a": 1, "b": 2}},
		{[]Struct{{{"a", 1}}}, []any{map[string]any{"a": 1}}},
	} {
		var buf bytes.Buffer
		if err := EncodeResponse(&buf, c.in); err != nil {
			t.Fatalf("%#v: %v", c.in, err)
		}
		got, err := DecodeResponse(&buf, DefaultLimits())
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%#v: got %#v, %v; want %#v", c.in, got, err, c.want)
		}
	}
	var buf bytes.Buffer
	if err := EncodeResponse(&buf, make(chan int)); err == nil || buf.Len() != 0 {
		t.Errorf("channel: err %v, wrote %d bytes", err, buf.Len())
	}
	if err := EncodeResponse(&buf, uint64(math.MaxUint64)); err == nil {
		t.Error("huge uint accepted")
	}
}

func TestEncodeInvalidUTF8(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodeResponse(&buf, "a\xffb"); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeResponse(&buf, DefaultLimits())
	if err != nil || got != "a\uFFFDb" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestDecodeCallForms(t *testing.T) {
	for _, c := range []struct {
		name, in string
		method   string
		params   []any
	}{
		{"no params element", `<?xml version="1.0"?><methodCall><methodName>supervisor.getState</methodName></methodCall>`,
			"supervisor.getState", []any{}},
		{"empty params", `<methodCall><methodName>a.b</methodName><params/></methodCall>`, "a.b", []any{}},
		{"untyped string keeps spaces", `<methodCall><methodName>a.b</methodName><params><param><value>  x y </value></param></params></methodCall>`,
			"a.b", []any{"  x y "}},
		{"empty value", `<methodCall><methodName>a.b</methodName><params><param><value/></param><param><value></value></param></params></methodCall>`,
			"a.b", []any{"", ""}},
		{"types", `<methodCall><methodName>a.b</methodName><params>
			<param><value><i4>1</i4></value></param>
			<param><value><int> -2 </int></value></param>
			<param><value><i8>9000000000</i8></value></param>
			<param><value><boolean>1</boolean></value></param>
			<param><value><boolean>true</boolean></value></param>
			<param><value><string/></value></param>
			<param><value><double>2.5</double></value></param>
			<param><value><base64>aGk=</base64></value></param>
			<param><value><nil/></value></param>
			<param><value><dateTime.iso8601>20200102T03:04:05</dateTime.iso8601></value></param>
			<param><value><array><data/></array></value></param>
			<param><value><struct><member><name>k</name><value><int>1</int></value></member></struct></value></param>
			</params></methodCall>`,
			"a.b", []any{1, -2, 9000000000, true, false, "", 2.5, []byte("hi"), nil,
				time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), []any{}, map[string]any{"k": 1}}},
		{"entities, CDATA and comments", `<!-- c --><methodCall><methodName>a.b</methodName><params><param><value><string>&lt;&#65;&#x42;&amp;<![CDATA[<x>]]><!-- y -->z</string></value></param></params></methodCall>`,
			"a.b", []any{"<AB&<x>z"}},
		{"attributes and BOM", "\xef\xbb\xbf<methodCall a='1'><methodName x=\"y\">a.b</methodName></methodCall>", "a.b", []any{}},
	} {
		m, params, err := DecodeCall(strings.NewReader(c.in), DefaultLimits())
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if m != c.method || !reflect.DeepEqual(params, c.params) {
			t.Errorf("%s: got %q %#v", c.name, m, params)
		}
	}
}

func TestDecodeCallRejects(t *testing.T) {
	lim := Limits{MaxBytes: 1 << 20, MaxDepth: 20}
	deep := "<methodCall><methodName>a.b</methodName><params><param><value>" +
		strings.Repeat("<array><data><value>", 30) + strings.Repeat("</value></data></array>", 30) +
		"</value></param></params></methodCall>"
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>` +
		`<methodCall><methodName>&lol2;</methodName></methodCall>`
	for _, c := range []struct {
		name, in string
		is       error
	}{
		{"empty", "", nil},
		{"whitespace", "  \n", nil},
		{"not xml", "hello", nil},
		{"unclosed", "<methodCall><methodName>a.b</methodName>", nil},
		{"mismatched", "<methodCall><methodName>a.b</methodCall>", nil},
		{"no method", "<methodCall><params/></methodCall>", ErrNoMethod},
		{"empty method", "<methodCall><methodName></methodName></methodCall>", ErrNoMethod},
		{"wrong root", "<methodResponse/>", nil},
		{"doctype", laughs, nil},
		{"undefined entity", "<methodCall><methodName>&foo;</methodName></methodCall>", nil},
		{"bad char ref", "<methodCall><methodName>&#xD800;</methodName></methodCall>", nil},
		{"invalid utf8", "<methodCall><methodName>a.\xff</methodName></methodCall>", nil},
		{"too deep", deep, ErrTooDeep},
		{"too large", "<methodCall><methodName>" + strings.Repeat("a", 2<<20) + "</methodName></methodCall>", ErrTooLarge},
		{"bad int", "<methodCall><methodName>a.b</methodName><params><param><value><int>x</int></value></param></params></methodCall>", nil},
		{"bad double", "<methodCall><methodName>a.b</methodName><params><param><value><double>x</double></value></param></params></methodCall>", nil},
		{"bad base64", "<methodCall><methodName>a.b</methodName><params><param><value><base64>!!</base64></value></param></params></methodCall>", nil},
		{"unknown type", "<methodCall><methodName>a.b</methodName><params><param><value><foo>1</foo></value></param></params></methodCall>", nil},
		{"two roots", "<methodCall><methodName>a.b</methodName></methodCall><methodCall/>", nil},
		{"trailing text", "<methodCall><methodName>a.b</methodName></methodCall>junk", nil},
		{"member without value", "<methodCall><methodName>a.b</methodName><params><param><value><struct><member><name>k</name></member></struct></value></param></params></methodCall>", nil},
		{"mixed text", "<methodCall><methodName>a.b</methodName><params><param><value>x<int>1</int></value></param></params></methodCall>", nil},
	} {
		_, _, err := DecodeCall(strings.NewReader(c.in), lim)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.is)
		}
	}
}

func TestDecodeResponseFault(t *testing.T) {
	in := `<?xml version='1.0'?><methodResponse><fault><value><struct>
<member><name>faultCode</name><value><int>70</int></value></member>
<member><name>faultString</name><value><string>NOT_RUNNING</string></value></member>
</struct></value></fault></methodResponse>`
	_, err := DecodeResponse(strings.NewReader(in), DefaultLimits())
	var f *Fault
	if !errors.As(err, &f) || f.Code != 70 || f.String != "NOT_RUNNING" {
		t.Fatalf("got %v", err)
	}
	if f.Error() != "70: NOT_RUNNING" {
		t.Errorf("Error() = %q", f.Error())
	}
}

func TestDecodeResponseTolerates(t *testing.T) {
	// The reference sends process output raw: control characters and,
	// from Go clients' point of view, possibly broken UTF-8.
	in := "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><string>\x1b[1mbold\x07\xff</string></value>\n</param>\n</params>\n</methodResponse>\n"
	got, err := DecodeResponse(strings.NewReader(in), DefaultLimits())
	if err != nil || got != "\x1b[1mbold\x07\uFFFD" {
		t.Errorf("got %q, %v", got, err)
	}
}

func BenchmarkDecodeCall(b *testing.B) {
	var buf bytes.Buffer
	_ = EncodeCall(&buf, "supervisor.startProcess", []any{"group:name", true})
	data := buf.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeCall(bytes.NewReader(data), DefaultLimits()); err != nil {
			b.Fatal(err)
		}
	}
}
