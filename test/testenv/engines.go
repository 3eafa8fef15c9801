package testenv

import (
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/drplan/drplan-operator/cmd/manager/engines"
	"github.com/drplan/drplan-operator/internal/controller"
)

// Engines builds the engines on mgr exactly as the operator's manager does (cmd/manager/engines.Build, with
// the default pickup timeout); choice picks the default. Suites that run the operator in-process use it, so
// they run what the operator runs.
func Engines(mgr manager.Manager, choice controller.ExecutorChoice) (controller.Engines, error) {
	return engines.Build(mgr, choice, 0)
}

// Reconcilers registers the operator's reconcilers on mgr with Engines(mgr, choice).
func Reconcilers(mgr manager.Manager, choice controller.ExecutorChoice) error {
	engines, err := Engines(mgr, choice)
	if err != nil {
		return err
	}
	return controller.SetupReconcilers(mgr, controller.Options{Engines: engines})
}
