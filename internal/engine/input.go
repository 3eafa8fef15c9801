package engine

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// Input is the translator input of the run: what both engines compile it from.
func (r *Run) Input() translator.Input {
	t := true
	return translator.Input{
		Workflow:      r.Workflow,
		Params:        r.Params,
		Namespace:     r.Execution.Namespace,
		PlanName:      r.PlanName,
		ExecutionName: r.Execution.Name,
		StageName:     r.StageName,
		EntryIndex:    r.EntryIndex,
		ExecutionUID:  r.Execution.UID,
		Operation:     r.Execution.Spec.GetOperationType(),
		Owner: &metav1.OwnerReference{
			APIVersion: v1alpha1.GroupVersion.String(), Kind: "DRPlanExecution",
			Name: r.Execution.Name, UID: r.Execution.UID, Controller: &t, BlockOwnerDeletion: &t,
		},
	}
}

// BuildIR validates and renders the run: the forward run, or for a reverse run the undo of r.Reverted.
func (r *Run) BuildIR() (*translator.IR, error) {
	if r.Direction == Reverse {
		return translator.BuildReverse(r.Input(), r.Reverted)
	}
	return translator.BuildForward(r.Input())
}

// WorkflowName is the deterministic name of the run's Argo Workflow.
func (r *Run) WorkflowName() string {
	return translator.WorkflowName(r.Execution.Name, r.StageName, r.EntryIndex, r.Workflow.Name, r.Direction == Reverse)
}
