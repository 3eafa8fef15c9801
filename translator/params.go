package translator

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// ResolveParams computes the parameters one workflow entry runs with. Precedence, lowest first: the workflow's
// defaults, the plan's globalParams, the stage entry's params, the execution's params (exec may be nil).
// Declared parameters must be supplied when required (a default does not count: required means the plan, the
// entry or the execution must say it) and must match their declared type. Every offender is reported at
// once, under "params[<name>]", naming where the bad value came from.
//
// Parameters the workflow does not declare are passed through unchecked: globalParams are shared by every
// workflow of a plan, so a value one workflow does not know is normal (a name that no workflow of the plan
// declares is a typo, rejected by ValidateParamNames). Templates still fail on any name
// that is neither declared nor supplied (missingkey=error). The result is sorted by name.
func ResolveParams(wf *v1alpha1.DRWorkflow, plan *v1alpha1.DRPlan, stageIndex, entryIndex int, exec *v1alpha1.DRPlanExecution) ([]v1alpha1.ParamValue, field.ErrorList) {
	type resolved struct {
		value  string
		source string // where the value came from, for messages
		given  bool   // supplied by the plan, the entry or the execution (not a default)
	}
	values := make(map[string]resolved)
	for _, p := range wf.Spec.Parameters {
		if p.Default != nil {
			values[p.Name] = resolved{value: *p.Default, source: fmt.Sprintf("the default of DRWorkflow %s", wf.Name)}
		}
	}
	apply := func(list []v1alpha1.ParamValue, where string) {
		for i, v := range list {
			values[v.Name] = resolved{value: v.Value, source: fmt.Sprintf("%s[%d]", where, i), given: true}
		}
	}
	var errs field.ErrorList
	if plan != nil {
		apply(plan.Spec.GlobalParams, fmt.Sprintf("DRPlan %s spec.globalParams", plan.Name))
		if stageIndex < 0 || stageIndex >= len(plan.Spec.Stages) {
			errs = append(errs, field.Invalid(field.NewPath("stageIndex"), stageIndex, fmt.Sprintf("DRPlan %s has %d stages", plan.Name, len(plan.Spec.Stages))))
		} else if st := plan.Spec.Stages[stageIndex]; entryIndex < 0 || entryIndex >= len(st.Workflows) {
			errs = append(errs, field.Invalid(field.NewPath("entryIndex"), entryIndex, fmt.Sprintf("stage %s has %d workflows", st.Name, len(st.Workflows))))
		} else {
			apply(st.Workflows[entryIndex].Params, fmt.Sprintf("DRPlan %s spec.stages[%d].workflows[%d].params", plan.Name, stageIndex, entryIndex))
		}
	}
	if exec != nil {
		apply(exec.Spec.Params, fmt.Sprintf("DRPlanExecution %s spec.params", exec.Name))
	}
	if len(errs) > 0 {
		return nil, errs
	}

	for _, p := range wf.Spec.Parameters {
		path := field.NewPath("params").Key(p.Name)
		v, ok := values[p.Name]
		if p.Required && !v.given {
			errs = append(errs, field.Required(path, fmt.Sprintf("required by DRWorkflow %s and not set by the plan, the stage entry or the execution", wf.Name)))
			continue
		}
		if !ok {
			// Optional, no default, nobody set it: templates see it as "" (seed error table: empty -> "").
			values[p.Name] = resolved{}
			continue
		}
		if reason := checkParamType(p.GetType(), v.value); reason != "" {
			errs = append(errs, field.Invalid(path, v.value, fmt.Sprintf("%s (declared %s by DRWorkflow %s; value from %s)", reason, p.GetType(), wf.Name, v.source)))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out := make([]v1alpha1.ParamValue, 0, len(values))
	for name, v := range values {
		out = append(out, v1alpha1.ParamValue{Name: name, Value: v.value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
