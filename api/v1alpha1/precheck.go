package v1alpha1

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReasonPrecheckRequired ends an Execute of a plan with spec.requirePrecheck that has no passing Precheck
// for its current definition.
const ReasonPrecheckRequired = "PrecheckRequired"

// PrecheckRecord is what a finished Precheck checked and how it ended (DRPlan status.lastPrecheck).
type PrecheckRecord struct {
	// name of the Precheck DRPlanExecution.
	// +required
	Name string `json:"name"`
	// phase it ended in: Succeeded when every check passed.
	// +optional
	Phase ExecutionPhase `json:"phase,omitempty"`
	// planGeneration is the DRPlan generation it checked.
	// +optional
	PlanGeneration int64 `json:"planGeneration,omitempty"`
	// workflows are the DRWorkflows it checked, with the generation of each.
	// +optional
	Workflows []WorkflowGeneration `json:"workflows,omitempty"`
	// completionTime of the Precheck.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
}

// WorkflowGeneration names a DRWorkflow at one generation.
type WorkflowGeneration struct {
	// namespace of the DRWorkflow.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// name of the DRWorkflow.
	// +required
	Name string `json:"name"`
	// generation of the DRWorkflow.
	// +optional
	Generation int64 `json:"generation,omitempty"`
}

// PrecheckMissing says why plan, with spec.requirePrecheck, may not Execute now: "" when it may. current
// maps "<namespace>/<name>" of each DRWorkflow the plan references to its current generation (absent when
// the DRWorkflow does not exist).
func PrecheckMissing(plan *DRPlan, current map[string]int64) string {
	if !plan.Spec.RequirePrecheck {
		return ""
	}
	rec := plan.Status.LastPrecheck
	head := fmt.Sprintf("DRPlan %s/%s requires a passing Precheck before an Execute (spec.requirePrecheck)", plan.Namespace, plan.Name)
	switch {
	case rec == nil:
		return head + ": no Precheck has finished; create a DRPlanExecution with operationType Precheck"
	case rec.Phase != ExecutionSucceeded:
		return fmt.Sprintf("%s: the latest Precheck %s ended %s; fix what it reports and run a new one", head, rec.Name, rec.Phase)
	case rec.PlanGeneration != plan.Generation:
		return fmt.Sprintf("%s: the latest Precheck %s checked plan generation %d, the plan is at generation %d now; run a new one",
			head, rec.Name, rec.PlanGeneration, plan.Generation)
	}
	checked := map[string]int64{}
	for _, w := range rec.Workflows {
		checked[w.Namespace+"/"+w.Name] = w.Generation
	}
	var changed []string
	for _, key := range plan.workflowKeys() {
		gen, exists := current[key]
		was, ok := checked[key]
		switch {
		case !exists:
			changed = append(changed, fmt.Sprintf("DRWorkflow %s does not exist", key))
		case !ok:
			changed = append(changed, fmt.Sprintf("DRWorkflow %s was not checked", key))
		case was != gen:
			changed = append(changed, fmt.Sprintf("DRWorkflow %s was checked at generation %d and is at generation %d now", key, was, gen))
		}
	}
	if len(changed) > 0 {
		return fmt.Sprintf("%s: since the latest Precheck %s, %s; run a new one", head, rec.Name, strings.Join(changed, ", "))
	}
	return ""
}

// workflowKeys are "<namespace>/<name>" of the plan's DRWorkflows, each once, in plan order.
func (p *DRPlan) workflowKeys() []string {
	seen := map[string]bool{}
	var keys []string
	for _, st := range p.Spec.Stages {
		for _, e := range st.Workflows {
			key := e.WorkflowRef.NamespaceOr(p.Namespace) + "/" + e.WorkflowRef.Name
			if !seen[key] {
				seen[key] = true
				keys = append(keys, key)
			}
		}
	}
	return keys
}
