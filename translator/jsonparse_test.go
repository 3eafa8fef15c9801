package translator

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// decodeJSONStd is the encoding/json path decodeJSONFast stands in for (see decodeSpecShared).
func decodeJSONStd(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	err := dec.Decode(&doc)
	return doc, err
}

// checkDecodeJSONFast is the property every input must have: when decodeJSONFast accepts, encoding/json
// accepts too and decodes the same document. It returns whether the fast path accepted.
func checkDecodeJSONFast(t *testing.T, in []byte) bool {
	t.Helper()
	fast, ok := decodeJSONFast(in)
	if !ok {
		return false
	}
	std, err := decodeJSONStd(in)
	if err != nil {
		t.Fatalf("decodeJSONFast accepted %q, which encoding/json rejects: %v", in, err)
	}
	if !reflect.DeepEqual(fast, std) {
		t.Fatalf("decodeJSONFast(%q) = %#v, encoding/json gives %#v", in, fast, std)
	}
	return true
}

// plainJSON says whether decodeJSONFast must accept in: one valid JSON value of valid UTF-8, with no \u
// escape that could be a surrogate (the lone ones are declined) and brackets few enough that the nesting
// cannot exceed jsonFastMaxDepth. Both conditions are conservative.
func plainJSON(in []byte) bool {
	if !json.Valid(in) || !utf8.Valid(in) {
		return false
	}
	lower := bytes.ToLower(in)
	if bytes.Contains(lower, []byte(`\ud`)) {
		return false
	}
	return bytes.Count(in, []byte("["))+bytes.Count(in, []byte("{")) <= jsonFastMaxDepth
}

// jsonFastCase is an input for the table test and the fuzz seed corpus; accept says decodeJSONFast must
// take the input rather than decline it.
type jsonFastCase struct {
	in     string
	accept bool
}

// jsonFastCases returns the cases (a function, to keep the package free of variables).
func jsonFastCases() []jsonFastCase {
	return []jsonFastCase{
		// Specs like the ones compiled.
		{`{"priority":800,"overridePolicy":"ApplyNow","feed":{"apiVersion":"apps/v1","kind":"Deployment","name":"api-step-0001","namespace":"shop"},"overrides":[{"name":"scale","type":"MergePatch","value":"{\"spec\":{\"replicas\":{{ .params.replicas }}}}"}]}`, true},
		{`{"backoffLimit":2,"template":{"spec":{"containers":[{"name":"check","image":"busybox:1.36","args":["sh","-c","echo {{ .params.toCluster }}"]}]}}}`, true},
		// Containers.
		{`{}`, true},
		{`[]`, true},
		{`{"a":{}}`, true},
		{`{"a":[]}`, true},
		{`[[],{},[[]],[{}]]`, true},
		{`{"a":{"b":{"c":[1,2,{"d":null}]}}}`, true},
		{`[1,"a",true,false,null,{"x":[0.5]}]`, true},
		{`{"a":1,"a":2}`, true},
		{`{"a":{"x":1},"b":2,"a":[3]}`, true},
		{`{"":""}`, true},
		{`[1,]`, false},
		{`{"a":1,}`, false},
		{`[,1]`, false},
		{`{,}`, false},
		{`{"a"}`, false},
		{`{"a":}`, false},
		{`{"a" 1}`, false},
		{`{a:1}`, false},
		{`{'a':1}`, false},
		{`{1:1}`, false},
		{`[1 2]`, false},
		{`{"a":1 "b":2}`, false},
		{`[`, false},
		{`]`, false},
		{`{`, false},
		{`}`, false},
		{`[1`, false},
		{`{"a":1`, false},
		{`{"a"`, false},
		{`[}`, false},
		{`{]`, false},
		// Strings and escapes.
		{`""`, true},
		{`"plain"`, true},
		{`"\"\\\/\b\f\n\r\t"`, true},
		{`"a\"b"`, true},
		{`"{\"spec\":{\"replicas\":3}}"`, true},
		{`"\u0041\u00e9\u4e2D\u0000\u001f\uFFFD\uffff"`, true},
		{`"\ud83d\ude00"`, true},
		{`"x\uD83D\uDE00y"`, true},
		{`"\udbff\udfff"`, true},
		{`"\ud800"`, false},
		{`"\udc00"`, false},
		{`"\ud800x"`, false},
		{`"\ud800\u0041"`, false},
		{`"\ud800\ud800"`, false},
		{`"\ud800\"`, false},
		{`"\u12"`, false},
		{`"\u12g4"`, false},
		{`"\x41"`, false},
		{`"\a"`, false},
		{`"\'"`, false},
		{`"\`, false},
		{`"abc`, false},
		{`"a` + "\n" + `b"`, false},
		{`"a` + "\t" + `b"`, false},
		{"\"a\x00b\"", false},
		{"\"a\x7fb\"", true},
		{`"héllo wörld 日本語 😀"`, true},
		{`"esc\n then 日本 \u00e9"`, true},
		{"\"\xef\xbf\xbd\"", true},
		{"\"\xff\"", false},
		{"\"a\xc3\"", false},
		{"\"\xed\xa0\x80\"", false},
		{"\"\\n\xff\"", false},
		{"\"\xe2\x80\xa8\u2029\"", true},
		{`{"k\"ey":"v","k\u00e9y":"w"}`, true},
		{`{"a\nb":1}`, true},
		// Numbers.
		{`0`, true},
		{`-0`, true},
		{`1`, true},
		{`-1`, true},
		{`123456789012345678901234567890`, true},
		{`1.5`, true},
		{`1.50`, true},
		{`-0.0`, true},
		{`0.000001`, true},
		{`1e5`, true},
		{`1E5`, true},
		{`1e+5`, true},
		{`1e-5`, true},
		{`1.5e-05`, true},
		{`-1.25E+10`, true},
		{`1e400`, true},
		{`-1e-400`, true},
		{`1e99999999999999999999`, true},
		{`[0,-0,1.0,2e3,-4E-5]`, true},
		{`{"n":0}`, true},
		{`01`, false},
		{`-01`, false},
		{`00`, false},
		{`1.`, false},
		{`1.e5`, false},
		{`.5`, false},
		{`+1`, false},
		{`1e`, false},
		{`1e+`, false},
		{`1e-`, false},
		{`1E`, false},
		{`-`, false},
		{`--1`, false},
		{`-a`, false},
		{`0x10`, false},
		{`1_000`, false},
		{`NaN`, false},
		{`Infinity`, false},
		{`-Infinity`, false},
		{`[01]`, false},
		{`[1.]`, false},
		{`[-]`, false},
		{`{"a":1e}`, false},
		{`{"a":.5}`, false},
		// Literals.
		{`true`, true},
		{`false`, true},
		{`null`, true},
		{`[true,false,null]`, true},
		{`tru`, false},
		{`nul`, false},
		{`fals`, false},
		{`True`, false},
		{`NULL`, false},
		{`[tru]`, false},
		{`[nulll]`, false},
		{`[truefalse]`, false},
		{`{"a":nul}`, false},
		// Whitespace and trailing data.
		{` {"a" : [ 1 , 2 ] } `, true},
		{"\t\n\r {\t\"a\"\n:\r1\n}\t\n\r ", true},
		{"[\n  1,\n  2\n]\n", true},
		{``, false},
		{` `, false},
		{"\n\t\r ", false},
		{"\v{}", false},
		{"{}\f", false},
		{"\u00a0{}", false},
		{"\xef\xbb\xbf{}", false},
		{`{} {}`, false},
		{`{}x`, false},
		{`{}}`, false},
		{`[]]`, false},
		{`1 2`, false},
		{`truex`, false},
		{`"a""b"`, false},
		{`123abc`, false},
		{`{}` + "\x00", false},
		{`/* comment */ {}`, false},
		{`{} // comment`, false},
		// Nesting.
		{strings.Repeat("[", 100) + strings.Repeat("]", 100), true},
		{strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100), true},
		{strings.Repeat("[", jsonFastMaxDepth) + strings.Repeat("]", jsonFastMaxDepth), true},
		{strings.Repeat("[", jsonFastMaxDepth+1) + strings.Repeat("]", jsonFastMaxDepth+1), false},
		{strings.Repeat("[", 10001) + strings.Repeat("]", 10001), false},
		{strings.Repeat("[", 100), false},
	}
}

func TestDecodeJSONFastMatchesDecoder(t *testing.T) {
	for _, tc := range jsonFastCases() {
		name := tc.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			in := []byte(tc.in)
			ok := checkDecodeJSONFast(t, in)
			if tc.accept && !ok {
				_, err := decodeJSONStd(in)
				t.Fatalf("decodeJSONFast declined %q (encoding/json: err=%v)", tc.in, err)
			}
			if !tc.accept && ok {
				t.Fatalf("decodeJSONFast accepted %q, which this table says it declines", tc.in)
			}
			if plainJSON(in) && !ok {
				t.Fatalf("decodeJSONFast declined plain JSON %q", tc.in)
			}
		})
	}
}

// TestDecodeJSONFastDocument pins the shape of a decoded document, types included, independently of
// encoding/json.
func TestDecodeJSONFastDocument(t *testing.T) {
	got, ok := decodeJSONFast([]byte(`{"a":[1.50,"x\u00e9",true,null,{}],"b":[],"a2":-0}`))
	if !ok {
		t.Fatal("declined")
	}
	want := map[string]any{
		"a":  []any{json.Number("1.50"), "xé", true, nil, map[string]any{}},
		"b":  []any{},
		"a2": json.Number("-0"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

// FuzzDecodeJSONFast checks on arbitrary input that decodeJSONFast never disagrees with encoding/json, and
// that it declines no plain JSON.
func FuzzDecodeJSONFast(f *testing.F) {
	for _, tc := range jsonFastCases() {
		if len(tc.in) <= 4096 { // the 10001-deep case only slows the mutator down
			f.Add([]byte(tc.in))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		ok := checkDecodeJSONFast(t, in)
		if !ok && plainJSON(in) {
			t.Fatalf("decodeJSONFast declined plain JSON %q", in)
		}
	})
}

func BenchmarkDecodeJSON(b *testing.B) {
	specs := []struct{ name, in string }{
		{"override", `{"priority":800,"overridePolicy":"ApplyNow","feed":{"apiVersion":"apps/v1","kind":"Deployment","name":"api-step-0001","namespace":"shop"},"overrides":[{"name":"scale","type":"MergePatch","value":"{\"spec\":{\"replicas\":{{ .params.replicas }}}}"}]}`},
		{"job", `{"backoffLimit":2,"template":{"spec":{"containers":[{"name":"check","image":"busybox:1.36","args":["sh","-c","echo {{ .params.toCluster }}"]}]}}}`},
	}
	for _, spec := range specs {
		raw := []byte(spec.in)
		b.Run(spec.name+"/decoder", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := decodeJSONStd(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(spec.name+"/fast", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, ok := decodeJSONFast(raw); !ok {
					b.Fatal("declined")
				}
			}
		})
	}
}
