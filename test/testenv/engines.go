package testenv

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

// Engines builds the engines on mgr as the operator's manager does (cmd/manager, newEngines): the native
// engine always, the Argo engine when Argo's Workflow CRD is served; choice picks the default. Suites
// that run the operator in-process use it, so they run what the operator runs. It mirrors newEngines line
// for line because a main package cannot be imported; keep the two the same.
func Engines(mgr manager.Manager, choice controller.ExecutorChoice) (controller.Engines, error) {
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
	engines.Default, err = controller.DefaultEngine(choice, argoNotServed)
	return engines, err
}

// Reconcilers registers the operator's reconcilers on mgr with Engines(mgr, choice).
func Reconcilers(mgr manager.Manager, choice controller.ExecutorChoice) error {
	engines, err := Engines(mgr, choice)
	if err != nil {
		return err
	}
	return controller.SetupReconcilers(mgr, controller.Options{Engines: engines})
}
