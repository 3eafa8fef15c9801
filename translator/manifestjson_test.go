package translator

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestManifestTextReadsBackAsTheObject: the printed manifest, read back as JSON (numbers as written) and as
// YAML (as argoexec and kubectl read it), is the object; numbers keep their text, keys are sorted and
// "&", "<", ">" are not escaped.
func TestManifestTextReadsBackAsTheObject(t *testing.T) {
	numbers := []any{}
	for _, n := range []string{"0", "-0", "2", "-7", "1.50", "0.0", "1e3", "-2.5E-3", "9223372036854775808", "123456789012345678901234567890", "0.1"} {
		numbers = append(numbers, json.Number(n))
	}
	obj := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": "m", "labels": map[string]any{"dr.bkbcs.tencent.com/action": "a", "yes": "no"}},
		"numbers":    numbers,
		"strings":    []any{"", "true", "Off", "null", "~", "1.36", "0x1F", "2026-11-25", "a: b", "- x", "# c", "multi\nline\n", `"q"`, "a&b<c>", "ünï", "\u2028"},
		"nested":     map[string]any{"empty": map[string]any{}, "list": []any{}, "deep": []any{map[string]any{"a": []any{"b", nil, true, false}}}},
		"b":          "second", "a": "first",
	}
	text, err := manifestText(obj)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var asJSON map[string]any
	if err := dec.Decode(&asJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(asJSON, obj) {
		t.Fatalf("read back as JSON:\n%v\nwant\n%v", asJSON, obj)
	}
	var asYAML, want map[string]any
	if err := yaml.Unmarshal([]byte(text), &asYAML); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	wantJSON, _ := json.Marshal(obj)
	if err := yaml.Unmarshal(wantJSON, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(asYAML, want) {
		t.Fatalf("read back as YAML:\n%v\nwant\n%v", asYAML, want)
	}
	for _, s := range []string{`"1.50"`, "1.50", "123456789012345678901234567890", "a&b<c>"} {
		if s == `"1.50"` {
			if strings.Contains(text, s) {
				t.Errorf("number 1.50 printed as a string")
			}
			continue
		}
		if !strings.Contains(text, s) {
			t.Errorf("manifest lacks %s as written:\n%s", s, text)
		}
	}
	if i, j := strings.Index(text, `"a":`), strings.Index(text, `"b":`); i < 0 || j < i {
		t.Errorf("keys not sorted:\n%s", text)
	}
	again, _ := manifestText(obj)
	if !bytes.Equal([]byte(again), []byte(text)) {
		t.Error("two prints differ")
	}
}
