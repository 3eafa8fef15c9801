package translator

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// renderer renders action templates over the data of DESIGN.md section 3.
type renderer struct {
	data  map[string]any
	cache *compileCache
	// jobLabels are the run labels of this compile's Jobs.
	jobLabels jobRunLabels
}

// newRenderer builds the template data: .params, .planName, .executionName, .namespace, .stageName,
// .workflowName, .operation and, in reverse runs, .outputs.<action> (the reverted run's outputs, as the
// JSON field names of ActionOutputs: .outputs.promote.localizationRef.name).
func newRenderer(in *Input, reverted []v1alpha1.ActionStatus, cache *compileCache) (*renderer, error) {
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
	return &renderer{data: data, cache: cache}, nil
}

// render executes s as a Go text/template when template is true and s has actions; literal text is
// returned as is. Missing keys are errors (seed section 3).
func (r *renderer) render(s string, template bool) (string, error) {
	if !template || !strings.Contains(s, "{{") {
		return s, nil
	}
	t, err := r.cache.parse(s)
	if err != nil {
		return s, err
	}
	out, err := t.execute(r.data)
	if err != nil {
		return s, err
	}
	return out, nil
}

// renderBody returns a rendered copy of body's config block. Every rendered string is checked for Argo
// placeholders (a parameter value must not smuggle one in), and the config is checked again as final text:
// names, manifests and Job specs must be valid once their templates are filled in.
//
// The free-form spec of the body (Job template spec, Localization or Subscription spec) comes back rendered
// and decoded as spec; the RawExtension in the returned body is left unrendered. The returned body shares
// all but its config blocks with body (configCopy): callers read it, they do not change it.
func (r *renderer) renderBody(body *v1alpha1.ActionBody, at func() *field.Path) (out *v1alpha1.ActionBody, spec map[string]any, errs field.ErrorList) {
	out = configCopy(body)
	if errs := visitActionStrings(out, at, visitOptions{write: true, cache: r.cache, spec: &spec, pure: true}, r.renderChecked); len(errs) > 0 {
		return nil, nil, errs
	}
	if errs := validateRendered(out, at); len(errs) > 0 {
		return nil, nil, errs
	}
	return out, spec, nil
}

// renderChecked renders s and checks the result as text Argo will read.
func (r *renderer) renderChecked(s string, template bool) (string, error) {
	out, err := r.render(s, template)
	if err != nil {
		return s, err
	}
	if !strings.Contains(out, "{{") || (template && out == s) {
		// No braces left, or nothing was substituted (the text was checked when the workflow was validated).
		return out, nil
	}
	if reason, found := findArgoPlaceholder(out); found {
		return s, errors.New("after rendering, " + reason)
	}
	return out, nil
}

// renderWhen evaluates an action's `when`: empty is true; otherwise it must render to exactly "true" or
// "false" (surrounding spaces ignored).
func (r *renderer) renderWhen(path *field.Path, when string) (bool, *field.Error) {
	if when == "" {
		return true, nil
	}
	out, err := r.render(when, true)
	if err != nil {
		return false, field.Invalid(path, field.OmitValueType{}, err.Error())
	}
	switch strings.TrimSpace(out) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, field.Invalid(path, out, `must render to "true" or "false"`)
}

// configCopy copies what rendering writes into: the config blocks, by value. Everything they point to is
// shared with body and only read: header and label maps are replaced, not changed, by visitActionStrings;
// free-form specs come back decoded beside the body, their RawExtensions untouched. A DeepCopy of the whole
// body (specs' bytes, retry policy, rollback) cost more than rendering the strings.
func configCopy(body *v1alpha1.ActionBody) *v1alpha1.ActionBody {
	out := *body
	if body.HTTP != nil {
		h := *body.HTTP
		out.HTTP = &h
	}
	if body.Job != nil {
		j := *body.Job
		out.Job = &j
	}
	if body.Localization != nil {
		l := *body.Localization
		out.Localization = &l
	}
	if body.Subscription != nil {
		s := *body.Subscription
		out.Subscription = &s
	}
	if body.Resource != nil {
		r := *body.Resource
		out.Resource = &r
	}
	return &out
}
