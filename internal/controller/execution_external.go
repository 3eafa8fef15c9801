package controller

import (
	"context"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// Runs made outside the operator (api/v1alpha1/outside.go): found by the engines that can have them, shown in
// the ExternalRuns condition, never recorded as the execution's run.

// noteExternalRuns asks the engines about runs of ex made outside the operator and brings the ExternalRuns
// condition up to date.
func (r *DRPlanExecutionReconciler) noteExternalRuns(ctx context.Context, ex *drv1.DRPlanExecution, now metav1.Time) error {
	var found []string
	for _, eng := range r.Engines {
		f, ok := eng.(engine.ExternalRunFinder)
		if !ok {
			continue
		}
		runs, err := f.ExternalRuns(ctx, ex)
		if err != nil {
			return err
		}
		found = append(found, runs...)
	}
	sort.Strings(found)
	if c := externalRunsCondition(ex.Status.Conditions, found, ex.Generation, now); c != nil {
		meta.SetStatusCondition(&ex.Status.Conditions, *c)
	}
	return nil
}

// externalRunsCondition is the ExternalRuns condition for the runs found; nil while none was ever found (no
// condition is written then).
func externalRunsCondition(conds []metav1.Condition, found []string, gen int64, now metav1.Time) *metav1.Condition {
	c := metav1.Condition{Type: drv1.ConditionExternalRuns, ObservedGeneration: gen, LastTransitionTime: now}
	switch {
	case len(found) > 0:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, drv1.ReasonExternalRuns, strings.Join(found, "; ")
	case meta.FindStatusCondition(conds, drv1.ConditionExternalRuns) == nil:
		return nil
	default:
		c.Status, c.Reason = metav1.ConditionFalse, drv1.ReasonNoExternalRuns
		c.Message = "no Workflow of this execution runs outside the operator any more"
	}
	return &c
}

// newExternalRuns is the message of the ExternalRuns condition when it turned True or changed while True
// (one event each), or "".
func newExternalRuns(before, after []metav1.Condition) string {
	c := meta.FindStatusCondition(after, drv1.ConditionExternalRuns)
	if c == nil || c.Status != metav1.ConditionTrue {
		return ""
	}
	if b := meta.FindStatusCondition(before, drv1.ConditionExternalRuns); b != nil && b.Status == c.Status && b.Message == c.Message {
		return ""
	}
	return c.Message
}
