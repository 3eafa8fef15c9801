package translator

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// ValidateParamNames rejects parameter values no workflow would read, which are typos in practice: a stage
// entry's params must be declared by that entry's DRWorkflow, and the plan's globalParams and the
// execution's params (exec may be nil) by at least one DRWorkflow of the plan. workflowOf returns the
// DRWorkflow of stage i, entry j, or nil when it is not known (not found yet): then only the entries whose
// workflow is known are checked, since a name may be declared by the missing one. Each error names the
// parameter and the names that are declared.
func ValidateParamNames(plan *v1alpha1.DRPlan, workflowOf func(stage, entry int) *v1alpha1.DRWorkflow, exec *v1alpha1.DRPlanExecution) field.ErrorList {
	var errs field.ErrorList
	all := map[string]bool{}
	complete := true
	stages := field.NewPath("spec", "stages")
	for i := range plan.Spec.Stages {
		for j, entry := range plan.Spec.Stages[i].Workflows {
			wf := workflowOf(i, j)
			if wf == nil {
				complete = false
				continue
			}
			declared := declaredParams(wf)
			for n := range declared {
				all[n] = true
			}
			for k, p := range entry.Params {
				if !declared[p.Name] {
					errs = append(errs, field.Invalid(stages.Index(i).Child("workflows").Index(j).Child("params").Index(k).Child("name"), p.Name,
						fmt.Sprintf("DRWorkflow %s does not declare parameter %q (it declares: %s)", wf.Name, p.Name, nameList(declared))))
				}
			}
		}
	}
	if !complete {
		return errs
	}
	undeclared := func(list []v1alpha1.ParamValue, path *field.Path, owner string) {
		for k, p := range list {
			if !all[p.Name] {
				errs = append(errs, field.Invalid(path.Index(k).Child("name"), p.Name,
					fmt.Sprintf("no DRWorkflow of %s declares parameter %q (declared: %s)", owner, p.Name, nameList(all))))
			}
		}
	}
	undeclared(plan.Spec.GlobalParams, field.NewPath("spec", "globalParams"), "DRPlan "+plan.Name)
	if exec != nil {
		undeclared(exec.Spec.Params, field.NewPath("spec", "params"), "DRPlan "+plan.Name)
	}
	return errs
}

func declaredParams(wf *v1alpha1.DRWorkflow) map[string]bool {
	m := make(map[string]bool, len(wf.Spec.Parameters))
	for _, p := range wf.Spec.Parameters {
		m[p.Name] = true
	}
	return m
}

// nameList prints a set of names sorted, or "none".
func nameList(set map[string]bool) string {
	if len(set) == 0 {
		return "none"
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
