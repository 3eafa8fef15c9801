package webhook

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// entryParamErrors resolves the parameters of stage i, entry j of plan for execution ex, the way the
// execution will (translator.ResolveParams), and returns every offender with where prefixed to its detail.
// The translator reports "params[<name>]"; for the execution that is spec.params[<name>]: where a missing
// value can be given, and the highest-precedence place to fix a wrong one (the detail names where the bad
// value came from).
//
// When the parameters resolve, the entry is also rendered as the execution will render it
// (translator.BuildForward, a pure function of the same inputs): a template naming a parameter that nobody
// declares or sets, or a when that does not render to true or false, is refused here rather than failing
// the run. Those problems are reported at spec.planRef, their detail naming the workflow's field.
func entryParamErrors(wf *drv1.DRWorkflow, plan *drv1.DRPlan, i, j int, ex *drv1.DRPlanExecution, where string) field.ErrorList {
	params, perrs := translator.ResolveParams(wf, plan, i, j, ex)
	if len(perrs) == 0 {
		if len(translator.ValueFromParams(wf, plan, i, j, ex)) > 0 {
			return nil // values read at the start are not known here: the start renders and reports
		}
		return renderErrors(wf, plan, i, j, ex, params, where)
	}
	errs := make(field.ErrorList, 0, len(perrs))
	for _, pe := range perrs {
		e := *pe
		if strings.HasPrefix(e.Field, "params") {
			e.Field = "spec." + e.Field
		}
		e.Detail = where + ": " + e.Detail
		errs = append(errs, &e)
	}
	return errs
}

// renderErrors builds the forward run of one entry with its resolved params and returns what rendering
// found wrong, each at spec.planRef with the workflow's field path in the detail.
func renderErrors(wf *drv1.DRWorkflow, plan *drv1.DRPlan, i, j int, ex *drv1.DRPlanExecution, params []drv1.ParamValue, where string) field.ErrorList {
	st := plan.Spec.Stages[i]
	_, err := translator.BuildForward(translator.Input{
		Workflow: wf, Params: params, Namespace: ex.Namespace, PlanName: plan.Name, ExecutionName: ex.Name,
		StageName: st.Name, EntryIndex: j, ExecutionUID: ex.UID, Operation: ex.Spec.GetOperationType(),
	})
	if err == nil {
		return nil
	}
	ferrs := translator.FieldErrors(err)
	if len(ferrs) == 0 {
		return field.ErrorList{field.Invalid(planRefPath, ex.Spec.PlanRef, where+": "+err.Error())}
	}
	errs := make(field.ErrorList, 0, len(ferrs))
	for _, fe := range ferrs {
		errs = append(errs, field.Invalid(planRefPath, ex.Spec.PlanRef, where+": "+fe.Error()))
	}
	return errs
}
