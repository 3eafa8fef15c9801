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

// Changes made outside the operator (api/v1alpha1/outside.go): found by the engines that can have them, shown
// in the ExternalChanges condition, never recorded as the execution's run.

// noteExternalChanges asks the engines about changes to ex's runs made outside the operator and brings the
// ExternalChanges condition up to date.
func (r *DRPlanExecutionReconciler) noteExternalChanges(ctx context.Context, ex *drv1.DRPlanExecution, now metav1.Time) error {
	var found []string
	for _, eng := range r.Engines {
		f, ok := eng.(engine.ExternalChangeFinder)
		if !ok {
			continue
		}
		runs, err := f.ExternalChanges(ctx, ex)
		if err != nil {
			return err
		}
		found = append(found, runs...)
	}
	sort.Strings(found)
	if c := externalChangesCondition(ex.Status.Conditions, found, ex.Generation, now); c != nil {
		meta.SetStatusCondition(&ex.Status.Conditions, *c)
	}
	return nil
}

// externalChangesCondition is the ExternalChanges condition for the changes found; nil while none was ever
// found (no condition is written then).
func externalChangesCondition(conds []metav1.Condition, found []string, gen int64, now metav1.Time) *metav1.Condition {
	c := metav1.Condition{Type: drv1.ConditionExternalChanges, ObservedGeneration: gen, LastTransitionTime: now}
	switch {
	case len(found) > 0:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, drv1.ReasonExternalChanges, strings.Join(found, "; ")
	case meta.FindStatusCondition(conds, drv1.ConditionExternalChanges) == nil:
		return nil
	default:
		c.Status, c.Reason = metav1.ConditionFalse, drv1.ReasonNoExternalChanges
		c.Message = "no change made outside the operator affects this execution's Workflows any more"
	}
	return &c
}

// newExternalChanges is the message of the ExternalChanges condition when it turned True or changed while True
// (one event each), or "".
func newExternalChanges(before, after []metav1.Condition) string {
	c := meta.FindStatusCondition(after, drv1.ConditionExternalChanges)
	if c == nil || c.Status != metav1.ConditionTrue {
		return ""
	}
	if b := meta.FindStatusCondition(before, drv1.ConditionExternalChanges); b != nil && b.Status == c.Status && b.Message == c.Message {
		return ""
	}
	return c.Message
}
