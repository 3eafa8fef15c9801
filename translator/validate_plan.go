package translator

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// ValidatePlan checks a DRPlan on its own (referenced workflows are the caller's business): stage names,
// stage dependencies, workflow references and parameter names.
func ValidatePlan(plan *v1alpha1.DRPlan) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if plan.Spec.FailurePolicy != "" && !contains(planPolicies, string(plan.Spec.FailurePolicy)) {
		errs = append(errs, field.NotSupported(spec.Child("failurePolicy"), plan.Spec.FailurePolicy, planPolicies))
	}
	if l := plan.Spec.ExecutionHistoryLimit; l != nil && (*l < 1 || *l > 100) {
		errs = append(errs, field.Invalid(spec.Child("executionHistoryLimit"), *l, "must be between 1 and 100"))
	}
	errs = append(errs, validateParamValues(plan.Spec.GlobalParams, spec.Child("globalParams"))...)

	stagesPath := spec.Child("stages")
	if len(plan.Spec.Stages) == 0 {
		return append(errs, field.Required(stagesPath, "a plan needs at least one stage"))
	}
	index := make(map[string]int, len(plan.Spec.Stages))
	for i, st := range plan.Spec.Stages {
		p := stagesPath.Index(i)
		errs = append(errs, validateDNSLabel(st.Name, p.Child("name"))...)
		if _, dup := index[st.Name]; dup {
			errs = append(errs, field.Duplicate(p.Child("name"), st.Name))
		} else {
			index[st.Name] = i
		}
		if len(st.Workflows) == 0 {
			errs = append(errs, field.Required(p.Child("workflows"), "a stage needs at least one workflow"))
		}
		for j, entry := range st.Workflows {
			ep := p.Child("workflows").Index(j)
			ref := ep.Child("workflowRef")
			if entry.WorkflowRef.Name == "" {
				errs = append(errs, field.Required(ref.Child("name"), "the DRWorkflow to run"))
			} else {
				errs = append(errs, validateDNSSubdomain(entry.WorkflowRef.Name, ref.Child("name"))...)
			}
			if entry.WorkflowRef.Namespace != "" {
				errs = append(errs, validateDNSLabel(entry.WorkflowRef.Namespace, ref.Child("namespace"))...)
			}
			errs = append(errs, validateParamValues(entry.Params, ep.Child("params"))...)
		}
		if st.FailurePolicy != "" && !contains(stagePolicies, string(st.FailurePolicy)) {
			errs = append(errs, field.NotSupported(p.Child("failurePolicy"), st.FailurePolicy, stagePolicies))
		}
	}
	graph := dependencyGraph{names: make([]string, len(plan.Spec.Stages)), deps: make([][]int, len(plan.Spec.Stages))}
	for i, st := range plan.Spec.Stages {
		graph.names[i] = st.Name
		deps, depErrs := resolveDependsOn(st.Name, st.DependsOn, index, stagesPath.Index(i).Child("dependsOn"), "stage")
		graph.deps[i] = deps
		errs = append(errs, depErrs...)
	}
	if cycle := graph.findCycle(); cycle != nil {
		errs = append(errs, field.Invalid(stagesPath.Index(index[cycle[0]]).Child("dependsOn"), field.OmitValueType{},
			"dependency cycle: "+strings.Join(cycle, " -> ")))
	}
	return errs
}
