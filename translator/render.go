package translator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// renderer renders action templates over the data of DESIGN.md section 3.
type renderer struct {
	data map[string]any
}

// newRenderer builds the template data: .params, .planName, .executionName, .namespace, .stageName,
// .workflowName, .operation and, in reverse runs, .outputs.<action> (the reverted run's outputs, as the
// JSON field names of ActionOutputs: .outputs.promote.localizationRef.name).
func newRenderer(in *Input, reverted []v1alpha1.ActionStatus) (*renderer, error) {
	op := in.Operation
	if op == "" {
		op = v1alpha1.OperationExecute
	}
	params := make(map[string]string, len(in.Params))
	for _, p := range in.Params {
		params[p.Name] = p.Value
	}
	data := map[string]any{
		"params":        params,
		"planName":      in.PlanName,
		"executionName": in.ExecutionName,
		"namespace":     in.Namespace,
		"stageName":     in.StageName,
		"workflowName":  in.Workflow.Name,
		"operation":     string(op),
	}
	if reverted != nil {
		outputs := make(map[string]any, len(reverted))
		for _, st := range reverted {
			m := map[string]any{}
			if st.Outputs != nil {
				b, err := json.Marshal(st.Outputs)
				if err != nil {
					return nil, fmt.Errorf("outputs of action %s: %w", st.Name, err)
				}
				if err := json.Unmarshal(b, &m); err != nil {
					return nil, fmt.Errorf("outputs of action %s: %w", st.Name, err)
				}
			}
			outputs[st.Name] = m
		}
		data["outputs"] = outputs
	}
	return &renderer{data: data}, nil
}

// render executes s as a Go text/template when template is true and s has actions; literal text is
// returned as is. Missing keys are errors (seed section 3).
func (r *renderer) render(path *field.Path, s string, template bool) (string, *field.Error) {
	if !template || !strings.Contains(s, "{{") {
		return s, nil
	}
	t, err := parseTemplate(path.String(), s)
	if err != nil {
		return s, field.Invalid(path, field.OmitValueType{}, err.Error())
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, r.data); err != nil {
		return s, field.Invalid(path, field.OmitValueType{}, err.Error())
	}
	return buf.String(), nil
}

// renderBody returns a rendered copy of body's config block. The result is checked again as if every string
// were literal: names, manifests and Job specs must be valid once their templates are filled in, and no
// rendered value (a parameter, say) may smuggle in an Argo placeholder.
func (r *renderer) renderBody(body *v1alpha1.ActionBody, executor v1alpha1.ExecutorType, path *field.Path) (*v1alpha1.ActionBody, field.ErrorList) {
	out := body.DeepCopy()
	if errs := visitActionStrings(out, path, r.render); len(errs) > 0 {
		return nil, errs
	}
	if errs := validateActionBody(out, executor, path, true); len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// renderWhen evaluates an action's `when`: empty is true; otherwise it must render to exactly "true" or
// "false" (surrounding spaces ignored).
func (r *renderer) renderWhen(path *field.Path, when string) (bool, *field.Error) {
	if when == "" {
		return true, nil
	}
	out, err := r.render(path, when, true)
	if err != nil {
		return false, err
	}
	switch strings.TrimSpace(out) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, field.Invalid(path, out, `must render to "true" or "false"`)
}
