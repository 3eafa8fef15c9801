package translator

import (
	"bytes"
	"encoding/json"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"sigs.k8s.io/yaml"
)

// MarshalWorkflowsYAML prints Workflows as YAML documents separated by "---", ready for `argo lint` or
// `argo submit`: keys sorted, no status, no null creationTimestamp.
func MarshalWorkflowsYAML(wfs []*wfv1.Workflow) ([]byte, error) {
	var buf bytes.Buffer
	for i, wf := range wfs {
		b, err := json.Marshal(wf)
		if err != nil {
			return nil, err
		}
		var obj map[string]any
		if err := json.Unmarshal(b, &obj); err != nil {
			return nil, err
		}
		delete(obj, "status")
		if md, ok := obj["metadata"].(map[string]any); ok {
			delete(md, "creationTimestamp")
		}
		y, err := yaml.Marshal(obj)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(y)
	}
	return buf.Bytes(), nil
}
