package translator

import (
	"fmt"

	"github.com/expr-lang/expr"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// EvaluateCondition decides a run-time condition over the statuses of the run's actions: the native engine's
// evaluation, in-process, with the expr-lang library Argo evaluates the compiled form with. An action without a
// status, or without a recorded output, reads as "" (0 for a status code), as a skipped task's outputs read on
// Argo.
func EvaluateCondition(c *Condition, statuses []v1alpha1.ActionStatus) (bool, error) {
	byName := make(map[string]*v1alpha1.ActionStatus, len(statuses))
	for i := range statuses {
		byName[statuses[i].Name] = &statuses[i]
	}
	outputs := make(map[string]any, len(c.Reads))
	for _, name := range c.Reads {
		outputs[name] = conditionValues(byName[name])
	}
	env := map[string]any{"outputs": outputs}
	program, err := expr.Compile(c.Expr, expr.Env(env), expr.AsBool())
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", c.Expr, err)
	}
	out, err := expr.Run(program, env)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", c.Expr, err)
	}
	ok, isBool := out.(bool)
	if !isBool {
		return false, fmt.Errorf("condition %s gave %v, not a boolean", c.Expr, out)
	}
	return ok, nil
}

// conditionValues is what a condition reads of one action: every field conditionFields can offer, keyed by its
// dotted path.
func conditionValues(st *v1alpha1.ActionStatus) map[string]any {
	v := map[string]any{fieldPhase: "", fieldHTTPBody: "", fieldHTTPStatusCode: 0}
	refs := map[string]*v1alpha1.ResourceRef{OutputRefJob: nil, OutputRefLocalization: nil, OutputRefSubscription: nil, OutputRefResource: nil}
	if st != nil {
		v[fieldPhase] = string(st.Phase)
		if o := st.Outputs; o != nil {
			if h := o.HTTPResponse; h != nil {
				v[fieldHTTPBody], v[fieldHTTPStatusCode] = h.Body, int(h.StatusCode)
			}
			refs[OutputRefJob], refs[OutputRefLocalization] = o.JobRef, o.LocalizationRef
			refs[OutputRefSubscription], refs[OutputRefResource] = o.SubscriptionRef, o.ResourceRef
		}
	}
	for ref, r := range refs {
		if r == nil {
			r = &v1alpha1.ResourceRef{}
		}
		v[ref+"."+OutputName], v[ref+"."+OutputNamespace] = r.Name, r.Namespace
		v[ref+"."+OutputKind], v[ref+"."+OutputAPIVersion] = r.Kind, r.APIVersion
	}
	return v
}
