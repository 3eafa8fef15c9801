package translator

import (
	"bytes"
	"encoding/json"
)

// manifestText prints a resource manifest for Argo's resource template: indented JSON, keys sorted, numbers
// exactly as the user wrote them (decoded specs keep json.Number), with encoding/json. JSON is YAML, so Argo,
// argoexec and kubectl read it as any manifest, and the Argo UI shows it as indented text. It is JSON rather
// than YAML because printing YAML (go.yaml.in/yaml/v2, the printer sigs.k8s.io/yaml uses) took a third of
// the CPU of a 1000-action compile and made it miss the 100 ms target; JSON takes a fraction of that
// (docs/benchmarks.md, translator round of 2026-12-08), and, unlike the YAML printer, needs no conversion
// of json.Numbers.
func manifestText(obj map[string]any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// The manifest is read by kubectl, never by a browser: "&" and "<" stay readable instead of \u0026.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(obj); err != nil {
		return "", err
	}
	return buf.String(), nil
}
