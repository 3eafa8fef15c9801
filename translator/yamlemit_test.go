package translator

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// TestWriteYAMLRoundTrips: what writeYAML prints, a YAML reader reads back as the same JSON value, for
// strings chosen to trip YAML up.
func TestWriteYAMLRoundTrips(t *testing.T) {
	tricky := []any{
		"", "plain", "true", "False", "yes", "No", "on", "OFF", "y", "n", "null", "~", "1.36", "0x1F", "1e3", "2026-11-25",
		"busybox:1.36", "a: b", "- x", "# c", "multi\nline\n", "tab\there", `"quoted"`, "'single'", "{{ .params.x }}", "*ref",
		"&anchor", "!tag", "%d", "@at", "`tick`", "a,b", "[x]", "{x}", "trailing ", " leading", "ünïcödé", "\u2028", "|", ">",
		"C:\\path", "echo hello world", "two  spaces", "a:", "a:b", "a :b", "x y:", "yes please", "a - b", "dr.bkbcs.tencent.com/action", ".inf", "-1", "+1", "=", "?", "key?", "<b>&amp;</b>",
	}
	obj := map[string]any{
		"strings": tricky,
		"numbers": []any{json.Number("3"), json.Number("-2.5e3"), int64(600), int32(2), 7, 1.5},
		"bools":   []any{true, false, nil},
		"nested":  map[string]any{"empty": map[string]any{}, "list": []any{}, "deep": []any{map[string]any{"a": []any{"b"}}}},
		"labels":  map[string]string{"app": "x", "yes": "no"},
	}
	for _, s := range tricky {
		obj["key-"+s.(string)] = s
	}
	out, err := writeYAML(obj)
	if err != nil {
		t.Fatal(err)
	}
	var back any
	if err := yaml.Unmarshal([]byte(out), &back); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	wantJSON, _ := json.Marshal(obj)
	var want any
	_ = json.Unmarshal(wantJSON, &want)
	if diff := cmp.Diff(want, back); diff != "" {
		t.Errorf("round trip differs (-want +got):\n%s\nYAML:\n%s", diff, out)
	}
}
