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
func entryParamErrors(wf *drv1.DRWorkflow, plan *drv1.DRPlan, i, j int, ex *drv1.DRPlanExecution, where string) field.ErrorList {
	_, perrs := translator.ResolveParams(wf, plan, i, j, ex)
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
