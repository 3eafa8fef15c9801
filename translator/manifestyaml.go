package translator

import (
	"encoding/json"
	"strconv"

	yamlv2 "go.yaml.in/yaml/v2"
)

// manifestYAML prints a resource manifest as YAML, keys sorted: the text sigs.k8s.io/yaml.Marshal gives,
// from the same printer (the YAML v2 library sigs.k8s.io/yaml is built on) without the round trip
// sigs.k8s.io/yaml.Marshal takes (encode to JSON, parse that JSON as YAML, print). The round trip made
// printing three times dearer and, with it, two thirds of the CPU of a 1000-action compile (measured in
// docs/benchmarks.md). What the round trip did besides printing was to read numbers the way the YAML
// library reads them; yamlNumbers does that for the json.Numbers of decoded specs.
// TestManifestYAMLIsSigsYAML holds the two outputs equal.
func manifestYAML(obj map[string]any) (string, error) {
	b, err := yamlv2.Marshal(yamlNumbers(obj))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// yamlNumbers returns v with every json.Number replaced by the value the YAML library reads from its text:
// an int64, else a uint64, else a float64 (a number none of them holds stays text, as in YAML). Maps and
// lists are copied; v is not changed.
func yamlNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = yamlNumbers(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = yamlNumbers(x)
		}
		return out
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(string(t), 10, 64); err == nil {
			return u
		}
		if f, err := strconv.ParseFloat(string(t), 64); err == nil {
			return f
		}
		return string(t)
	}
	return v
}
