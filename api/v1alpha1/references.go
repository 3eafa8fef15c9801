package v1alpha1

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// CrossNamespaceRefErrors reports every stage entry whose workflowRef names a DRWorkflow outside the plan's
// namespace. The operator refuses such plans when it runs with --no-cross-namespace-refs (as Flux's flag of
// the same name): a plan author must then not be able to run another namespace's runbook.
func (p *DRPlan) CrossNamespaceRefErrors() field.ErrorList {
	var errs field.ErrorList
	for i, st := range p.Spec.Stages {
		for j, e := range st.Workflows {
			if ns := e.WorkflowRef.Namespace; ns != "" && ns != p.Namespace {
				errs = append(errs, field.Forbidden(field.NewPath("spec", "stages").Index(i).Child("workflows").Index(j).Child("workflowRef", "namespace"),
					fmt.Sprintf("DRWorkflow %s/%s is in another namespace than the plan (%s), and this operator runs with "+
						"--no-cross-namespace-refs: copy the workflow into %s or ask the operator's administrator", ns, e.WorkflowRef.Name, p.Namespace, p.Namespace)))
			}
		}
	}
	return errs
}
