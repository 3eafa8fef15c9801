// Package controller holds the operator's reconcilers: DRWorkflow and DRPlan validation, and the execution
// of plans.
package controller

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
)

// Options configure the reconcilers.
type Options struct {
	// Engines run the workflows of executions.
	Engines Engines
	// EventRecorderName is the reporting controller of the events the reconcilers emit.
	EventRecorderName string
	// NoCrossNamespaceRefs makes plans whose workflowRefs leave the plan's namespace Invalid, and fails their
	// executions before anything runs (--no-cross-namespace-refs).
	NoCrossNamespaceRefs bool
	// ArgoUIURL is the Argo UI's base URL (--argo-ui-url); when set, each run's status links to its Workflow's
	// page there.
	ArgoUIURL string
}

// SetupReconcilers registers every reconciler of the operator with mgr.
func SetupReconcilers(mgr ctrl.Manager, opts Options) error {
	ctx := context.Background()
	if opts.EventRecorderName == "" {
		opts.EventRecorderName = "drplan-operator"
	}
	recorder := mgr.GetEventRecorder(opts.EventRecorderName)

	if err := (&DRWorkflowReconciler{Client: mgr.GetClient(), Recorder: recorder}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the DRWorkflow reconciler: %w", err)
	}
	if err := (&DRPlanReconciler{Client: mgr.GetClient(), Recorder: recorder, NoCrossNamespaceRefs: opts.NoCrossNamespaceRefs}).SetupWithManager(ctx, mgr); err != nil {
		return fmt.Errorf("setting up the DRPlan reconciler: %w", err)
	}
	if err := SetupExecutionReconciler(mgr, opts); err != nil {
		return fmt.Errorf("setting up the DRPlanExecution reconciler: %w", err)
	}
	return nil
}
