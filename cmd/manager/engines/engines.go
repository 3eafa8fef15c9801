// Package engines builds the engines executions run on, for the operator's manager and for the suites that
// run the operator in-process, so both run the same wiring. The execution reconciler receives them through
// controller.Options and knows them only by internal/engine's interface.
package engines

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/source"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/argoexec"
	"github.com/drplan/drplan-operator/internal/controller"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/nativeexec"
)

// Build builds the native engine always, and the Argo engine when the API server serves Argo's Workflow CRD
// (else runs that ask for Argo fail with a message instead of the operator failing to start). choice picks
// the engine of workflows that do not choose. pickupTimeout is how long a Workflow may go unpicked by any
// workflow-controller before the execution says so in its PickedUp condition (argoexec.DefaultPickupTimeout
// when zero).
func Build(mgr manager.Manager, choice controller.ExecutorChoice, pickupTimeout time.Duration) (controller.Engines, error) {
	native, err := nativeexec.NewForManager(mgr)
	if err != nil {
		return controller.Engines{}, fmt.Errorf("setting up the native engine: %w", err)
	}
	engines := controller.Engines{
		ByType:  map[drv1.ExecutorType]engine.Engine{drv1.ExecutorNative: native},
		Sources: []source.Source{native.Source()},
	}
	argoNotServed := argoexec.Served(context.Background(), mgr.GetRESTMapper())
	if errors.Is(argoNotServed, argoexec.ErrDiscovery) {
		return controller.Engines{}, argoNotServed
	}
	if argoNotServed == nil {
		argo := argoexec.NewForManager(mgr)
		argo.PickupTimeout = pickupTimeout
		engines.ByType[drv1.ExecutorArgo] = argo
		// One source wakes an execution when a Workflow of its changes; the pickup deadline is a wake-up
		// (engine.WakeAt) the reconciler requeues for.
		engines.Sources = append(engines.Sources, argoexec.WorkflowSource(mgr))
		// The other wakes a FailFast hold when an http call ends under it (argoexec/failfast.go).
		if argoexec.TaskSetServed(mgr.GetRESTMapper()) == nil {
			engines.Sources = append(engines.Sources, argoexec.TaskSetSource(mgr))
		}
	}
	if engines.Default, err = controller.DefaultEngine(choice, argoNotServed); err != nil {
		return controller.Engines{}, err
	}
	// Decided once at start; logged so an operator can tell which engine runs workflows without executor.type.
	mgr.GetLogger().WithName("setup").Info("default executor chosen", "flag", choice,
		"engine", engines.Default, "argoWorkflowServed", argoNotServed == nil)
	return engines, nil
}
