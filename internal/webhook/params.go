package webhook

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// entryParamErrors will resolve the parameters of stage i, entry j of plan for execution ex with
// translator.ResolveParams and report every offender. Until the translator exports it, parameters are
// checked by the execution reconciler only.
func entryParamErrors(_ *drv1.DRWorkflow, _ *drv1.DRPlan, _, _ int, _ *drv1.DRPlanExecution, _ string) field.ErrorList {
	return nil
}
