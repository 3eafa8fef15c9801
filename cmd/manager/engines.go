package main

import (
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/source"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/argoexec"
	"github.com/drplan/drplan-operator/internal/controller"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/nativeexec"
)

// newEngines builds the engines executions run on: the native engine always, the Argo engine when the API
// server serves Argo's Workflow CRD (else runs that ask for Argo fail with a message instead of the
// operator failing to start). --default-executor picks the one for workflows that do not choose. The
// suites that run the operator in-process build theirs with test/testenv.Engines, which mirrors this.
func newEngines(mgr manager.Manager, choice controller.ExecutorChoice) (controller.Engines, error) {
	native, err := nativeexec.NewForManager(mgr)
	if err != nil {
		return controller.Engines{}, fmt.Errorf("setting up the native engine: %w", err)
	}
	engines := controller.Engines{
		ByType:  map[drv1.ExecutorType]engine.Engine{drv1.ExecutorNative: native},
		Sources: []source.Source{native.Source()},
	}
	argoNotServed := argoexec.Served(mgr.GetRESTMapper())
	if argoNotServed == nil {
		engines.ByType[drv1.ExecutorArgo] = argoexec.NewForManager(mgr)
		engines.Sources = append(engines.Sources, argoexec.WorkflowSource(mgr))
	}
	if engines.Default, err = controller.DefaultEngine(choice, argoNotServed); err != nil {
		return controller.Engines{}, err
	}
	// Decided once at start; logged so an operator can tell which engine runs workflows without executor.type.
	mgr.GetLogger().WithName("setup").Info("default executor chosen", "flag", choice,
		"engine", engines.Default, "argoWorkflowServed", argoNotServed == nil)
	return engines, nil
}
