package controller

import (
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/source"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// Engines are what the execution reconciler runs workflow entries with. The caller builds them (cmd/manager
// builds argoexec and nativeexec on the manager) and passes them in: the reconciler knows only the
// engine interface.
type Engines struct {
	// ByType holds the engines by executor type. A workflow asking for one that is not here fails with a
	// message naming it.
	ByType map[drv1.ExecutorType]engine.Engine
	// Default runs workflows whose spec.executor.type is empty; it must be one of ByType.
	Default drv1.ExecutorType
	// Sources wake an execution when its runs change: the Argo Workflows it owns, native runs that made
	// progress. The reconciler watches each of them.
	Sources []source.Source
}

// ExecutorChoice is the operator-wide default engine (--default-executor), used for workflows whose
// spec.executor.type is empty.
type ExecutorChoice string

const (
	// ExecutorAuto picks Argo when its CRDs are served, else the native engine.
	ExecutorAuto ExecutorChoice = "auto"
	// ExecutorArgoDefault always picks Argo.
	ExecutorArgoDefault ExecutorChoice = "argo"
	// ExecutorNativeDefault always picks the native engine.
	ExecutorNativeDefault ExecutorChoice = "native"
)

// ParseExecutorChoice validates a --default-executor value.
func ParseExecutorChoice(s string) (ExecutorChoice, error) {
	switch c := ExecutorChoice(s); c {
	case ExecutorAuto, ExecutorArgoDefault, ExecutorNativeDefault:
		return c, nil
	}
	return "", fmt.Errorf("unknown executor %q: want auto, argo or native", s)
}

// DefaultEngine applies --default-executor: argoNotServed is why the Argo engine is not available (nil
// when Argo's Workflow CRD is served). auto (or empty) picks Argo when it is there, else native; argo
// without Argo is an error, so the operator does not start thinking it runs on Argo.
func DefaultEngine(choice ExecutorChoice, argoNotServed error) (drv1.ExecutorType, error) {
	switch choice {
	case ExecutorNativeDefault:
		return drv1.ExecutorNative, nil
	case ExecutorArgoDefault:
		if argoNotServed != nil {
			return "", fmt.Errorf("--default-executor=argo but the Argo Workflow CRD is not served: %w", argoNotServed)
		}
		return drv1.ExecutorArgo, nil
	case ExecutorAuto, "":
		if argoNotServed != nil {
			return drv1.ExecutorNative, nil
		}
		return drv1.ExecutorArgo, nil
	}
	return "", fmt.Errorf("unknown executor %q: want auto, argo or native", choice)
}

// check reports engines the reconciler cannot work with.
func (e Engines) check() error {
	if len(e.ByType) == 0 {
		return fmt.Errorf("no engines: the caller builds them (cmd/manager does)")
	}
	if _, ok := e.ByType[e.Default]; !ok {
		return fmt.Errorf("the default engine %q is not among the engines", e.Default)
	}
	return nil
}
