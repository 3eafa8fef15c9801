package translator

import (
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// CompileForward builds the forward IR of one workflow entry and its Argo Workflow.
func CompileForward(in Input, opts EmitOptions) (*IR, *wfv1.Workflow, error) {
	ir, err := BuildForward(in)
	if err != nil {
		return nil, nil, err
	}
	wf, err := EmitArgo(ir, opts)
	if err != nil {
		return nil, nil, err
	}
	return ir, wf, nil
}

// CompileReverse builds the reverse IR undoing a run whose action statuses are reverted, and its Argo
// Workflow.
func CompileReverse(in Input, reverted []v1alpha1.ActionStatus, opts EmitOptions) (*IR, *wfv1.Workflow, error) {
	ir, err := BuildReverse(in, reverted)
	if err != nil {
		return nil, nil, err
	}
	wf, err := EmitArgo(ir, opts)
	if err != nil {
		return nil, nil, err
	}
	return ir, wf, nil
}
