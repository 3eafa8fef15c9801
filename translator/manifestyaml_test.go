package translator

import (
	"encoding/json"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestManifestYAMLIsSigsYAML: manifestYAML prints what sigs.k8s.io/yaml.Marshal prints, for numbers of
// every kind a decoded spec holds (json.Number as written: integers, beyond int64, decimals, exponents,
// beyond float64) and for strings YAML would read as something else.
func TestManifestYAMLIsSigsYAML(t *testing.T) {
	numbers := []any{}
	for _, n := range []string{"0", "-0", "2", "-7", "1.50", "0.0", "1e3", "-2.5E-3", "9223372036854775807", "9223372036854775808",
		"18446744073709551615", "18446744073709551616", "123456789012345678901234567890", "1e400", "0.1"} {
		numbers = append(numbers, json.Number(n))
	}
	obj := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": "m", "labels": map[string]any{"dr.bkbcs.tencent.com/action": "a", "yes": "no"}},
		"numbers":    numbers,
		"strings": []any{"", "true", "Off", "null", "~", "1.36", "0x1F", "2026-11-25", "busybox:1.36", "a: b", "- x", "# c", "multi\nline\n",
			`"q"`, "'s'", "{{ x }}", "*r", "&a", "!t", "%d", "@a", "`t`", "[x]", "{x}", "trailing ", " leading", "ünï", "\u2028", "|", ">", "-c", "/data"},
		"nested": map[string]any{"empty": map[string]any{}, "list": []any{}, "deep": []any{map[string]any{"a": []any{"b", nil, true, false}}}},
		"int64":  int64(600),
		"a10":    "natural", "a9": "key order", "B": "upper",
	}
	got, err := manifestYAML(obj)
	if err != nil {
		t.Fatal(err)
	}
	want, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("manifestYAML differs from sigs.k8s.io/yaml.Marshal:\ngot:\n%s\nwant:\n%s", got, want)
	}
}
