package testenv

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// Execution is an Execute run of plan, as a spec would create it.
func Execution(ns, name, plan string, params ...drv1.ParamValue) *drv1.DRPlanExecution {
	return &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: drv1.DRPlanExecutionSpec{PlanRef: plan, OperationType: drv1.OperationExecute, Params: params}}
}

// Revert is a Revert of the execution target of plan.
func Revert(ns, name, plan, target string) *drv1.DRPlanExecution {
	return &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: drv1.DRPlanExecutionSpec{PlanRef: plan, OperationType: drv1.OperationRevert, RevertExecutionRef: target}}
}

// ActionNamed finds an action's status by name.
func ActionNamed(actions []drv1.ActionStatus, name string) (drv1.ActionStatus, bool) {
	for _, a := range actions {
		if a.Name == name {
			return a, true
		}
	}
	return drv1.ActionStatus{}, false
}

// ActionPhases maps each action's name to its phase.
func ActionPhases(actions []drv1.ActionStatus) map[string]drv1.ActionPhase {
	out := make(map[string]drv1.ActionPhase, len(actions))
	for _, a := range actions {
		out[a.Name] = a.Phase
	}
	return out
}
