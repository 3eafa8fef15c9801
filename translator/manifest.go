package translator

import (
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// manifestObject is what a resource action needs to know about its manifest.
type manifestObject struct {
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	Object     map[string]any
}

// parseManifest reads a single YAML object with apiVersion, kind and metadata.name the way the Kubernetes
// libraries do: YAML converted to JSON by sigs.k8s.io/yaml, then decoded with numbers kept as written.
func parseManifest(manifest string) (*manifestObject, error) {
	js, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		return nil, fmt.Errorf("not valid YAML: %v", err)
	}
	doc, err := decodeJSON(js)
	obj, isObject := doc.(map[string]any)
	if err != nil || !isObject {
		return nil, fmt.Errorf("must be a YAML object with apiVersion, kind and metadata.name")
	}
	m := &manifestObject{Object: obj}
	m.APIVersion, _ = obj["apiVersion"].(string)
	m.Kind, _ = obj["kind"].(string)
	if md, ok := obj["metadata"].(map[string]any); ok {
		m.Name, _ = md["name"].(string)
		m.Namespace, _ = md["namespace"].(string)
	}
	var missing []string
	if m.APIVersion == "" {
		missing = append(missing, "apiVersion")
	}
	if m.Kind == "" {
		missing = append(missing, "kind")
	}
	if m.Name == "" {
		missing = append(missing, "metadata.name")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("must set %s", strings.Join(missing, ", "))
	}
	return m, nil
}
