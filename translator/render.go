package translator

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Pass 3, rendering: every templated string of an action, rendered with Go text/template over the run's
// data (DESIGN.md section 3), then checked again as the final text Argo will read.

// renderer renders action templates over the data of one run.
type renderer struct {
	data map[string]any
}

// newRenderer builds the template data: .params, .planName, .executionName, .namespace, .stageName,
// .workflowName, .operation and, in reverse runs, .outputs.<action> (the reverted run's outputs, as the
// JSON field names of ActionOutputs: .outputs.promote.localizationRef.name, plus the action's phase and
// message).
func newRenderer(in *Input, reverted []v1alpha1.ActionStatus) (*renderer, error) {
	op := in.Operation
	if op == "" {
		op = v1alpha1.OperationExecute
	}
	params := make(map[string]string, len(in.Params))
	for _, p := range in.Params {
		params[p.Name] = p.Value
	}
	mode := ""
	if contains(modeValues, params[modeParam]) {
		mode = params[modeParam] // set from the execution's spec.mode (ResolveParams)
	}
	if reverted != nil {
		// A reverse run's mode is rollback, whatever the reverted run's was (upstream). A parameter named
		// mode that holds no mode is the user's own and is left alone.
		if mode != "" {
			params[modeParam] = "rollback"
		}
		mode = "rollback"
	}
	data := map[string]any{
		"params":        params,
		"planName":      in.PlanName,
		"executionName": in.ExecutionName,
		"namespace":     in.Namespace,
		"stageName":     in.StageName,
		"workflowName":  in.Workflow.Name,
		"operation":     string(op),
		"mode":          mode,
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
			// Upstream's shape: $(outputs.step.phase) and .message, beside the recorded outputs.
			m["phase"], m["message"] = string(st.Phase), st.Message
			outputs[st.Name] = m
		}
		data["outputs"] = outputs
	}
	return &renderer{data: data}, nil
}

// param returns the resolved value of a parameter.
func (r *renderer) param(name string) (string, bool) {
	params, _ := r.data["params"].(map[string]string)
	v, ok := params[name]
	return v, ok
}

// parseTemplate parses s as a Go text/template that fails on missing keys (seed section 3), with upstream's
// $() references in its text turned into the equivalent actions (references.go). Errors carry no field
// path: callers wrap them in a field error.
func parseTemplate(s string) (*template.Template, error) {
	t, err := template.New("template").Option("missingkey=error").Funcs(templateFuncs).Parse(s)
	if err != nil {
		return nil, err
	}
	if strings.Contains(s, "$(") {
		if err := expandReferences(t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// hasActions reports whether s, rendered as a template, has anything to fill in: a {{ }} action or a $()
// reference.
func hasActions(s string) bool {
	return strings.Contains(s, "{{") || hasReference(s)
}

// render executes s as a Go text/template when template is true and s has actions; literal text is
// returned as is.
func (r *renderer) render(s string, template bool) (string, error) {
	if !template || !hasActions(s) {
		return s, nil
	}
	t, err := parseTemplate(s)
	if err != nil {
		return s, err
	}
	var out strings.Builder
	if err := t.Execute(&out, r.data); err != nil {
		return s, err
	}
	return out.String(), nil
}

// renderChecked renders s and checks the result as text Argo will read: a parameter value must not smuggle
// in an Argo placeholder.
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

// renderedBody is an action body with every user string rendered, and its free-form spec (Job template spec,
// Localization or Subscription spec) rendered and decoded; the RawExtension in body is left unrendered.
type renderedBody struct {
	body *v1alpha1.ActionBody
	spec map[string]any
}

// renderBody returns a rendered copy of body, checked again as final text: names, manifests and Job labels
// must be valid once their templates are filled in. body itself (an informer's cached object in the
// operator) is never written.
func (r *renderer) renderBody(body *v1alpha1.ActionBody, path *field.Path) (renderedBody, field.ErrorList) {
	out := body.DeepCopy()
	spec, errs := walkActionStrings(out, path, true, r.renderChecked)
	if len(errs) > 0 {
		return renderedBody{}, errs
	}
	if errs := validateRendered(out, path); len(errs) > 0 {
		return renderedBody{}, errs
	}
	return renderedBody{body: out, spec: spec}, nil
}

// renderWhen evaluates an action's `when`: empty is true; otherwise it must render to exactly "true" or
// "false" (surrounding spaces ignored).
func (r *renderer) renderWhen(path *field.Path, when string) (bool, *field.Error) {
	if when == "" {
		return true, nil
	}
	if modes, ok := parseModeExpression(when); ok {
		mode, _ := r.data["mode"].(string)
		if mode == "" {
			return false, field.Invalid(path, when, `selects by mode: set the DRPlanExecution's spec.mode to Install, Upgrade, Delete or Rollback`)
		}
		return contains(modes, mode), nil
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
	return false, field.Invalid(path, out, `must render to "true" or "false" (or be a mode expression such as mode == "install" || mode == "upgrade")`)
}

// validateRendered checks what rendering can change in a config block: the rendered strings that must
// be names, and required strings that may have rendered empty. Everything else was checked before
// rendering and cannot change (keys, numbers, structure, literal text).
func validateRendered(body *v1alpha1.ActionBody, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case body.HTTP != nil:
		if body.HTTP.URL == "" {
			errs = append(errs, field.Required(path.Child("http", "url"), "rendered empty"))
		}
	case body.Job != nil:
		j := body.Job
		if j.Namespace != "" {
			errs = append(errs, validateDNSLabel(j.Namespace, path.Child("job", "namespace"))...)
		}
		for _, k := range sortedKeys(j.Template.Metadata.Labels) {
			for _, msg := range validation.IsValidLabelValue(j.Template.Metadata.Labels[k]) {
				errs = append(errs, field.Invalid(path.Child("job", "template", "metadata", "labels").Key(k), j.Template.Metadata.Labels[k], msg))
			}
		}
	case body.Localization != nil:
		l := body.Localization
		errs = append(errs, validateClusternet(l.Operation, resourceOperations, l.Name, l.Namespace, true, false, path.Child("localization"))...)
	case body.Subscription != nil:
		s := body.Subscription
		errs = append(errs, validateClusternet(v1alpha1.ResourceOperation(s.Operation), subscriptionOperations, s.Name, s.Namespace, true, false, path.Child("subscription"))...)
	case body.Globalization != nil:
		g := body.Globalization
		errs = append(errs, validateGlobalization(g.Operation, g.Name, true, false, path.Child("globalization"))...)
	}
	return errs
}
