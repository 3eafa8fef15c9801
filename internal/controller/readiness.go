package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// Helpers shared by the DRWorkflow and DRPlan reconcilers: both validate a spec, publish the verdict as the
// Ready condition, and announce transitions of that condition as events.

// maxConditionMessage keeps condition messages well under the API limit (32768) and readable in kubectl.
const maxConditionMessage = 4096

// readyCondition builds the Ready condition for generation.
func readyCondition(status metav1.ConditionStatus, reason, message string, generation int64, now metav1.Time) metav1.Condition {
	return metav1.Condition{
		Type:               drv1.ConditionReady,
		Status:             status,
		Reason:             reason,
		Message:            truncate(message, maxConditionMessage),
		ObservedGeneration: generation,
		LastTransitionTime: now,
	}
}

// setCondition sets c in conds; LastTransitionTime only moves when the status changes.
func setCondition(conds *[]metav1.Condition, c metav1.Condition) {
	meta.SetStatusCondition(conds, c)
}

// formatErrors renders a validation ErrorList as one line per error, for a condition message.
func formatErrors(errs field.ErrorList) string {
	if len(errs) == 0 {
		return ""
	}
	lines := make([]string, 0, len(errs))
	for _, e := range errs {
		lines = append(lines, e.Error())
	}
	noun := "errors"
	if len(errs) == 1 {
		noun = "error"
	}
	return fmt.Sprintf("%d %s: %s", len(errs), noun, strings.Join(lines, "; "))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "... (truncated)"
	return s[:n-len(ellipsis)] + ellipsis
}

// readyTransition reports whether the Ready condition changed status or reason between before and after,
// which is what deserves an event.
func readyTransition(before, after []metav1.Condition) (metav1.Condition, bool) {
	now := meta.FindStatusCondition(after, drv1.ConditionReady)
	if now == nil {
		return metav1.Condition{}, false
	}
	old := meta.FindStatusCondition(before, drv1.ConditionReady)
	if old != nil && old.Status == now.Status && old.Reason == now.Reason {
		return metav1.Condition{}, false
	}
	return *now, true
}

// recordTransition emits an event for a Ready transition: Normal when True, Warning otherwise. The event's
// reason is the condition's reason.
func recordTransition(rec events.EventRecorder, obj client.Object, c metav1.Condition) {
	if rec == nil {
		return
	}
	typ := corev1.EventTypeNormal
	if c.Status != metav1.ConditionTrue {
		typ = corev1.EventTypeWarning
	}
	rec.Eventf(obj, nil, typ, c.Reason, "Validate", "%s", c.Message)
}

// patchStatus writes after's status as a merge patch against before, with optimistic locking so a
// concurrent writer of other status fields (the execution reconciler on plans) is never overwritten. A
// conflict requeues quietly: the next reconcile starts from the fresh object.
func patchStatus(ctx context.Context, c client.Client, before, after client.Object) (ctrl.Result, error) {
	err := c.Status().Patch(ctx, after, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
	switch {
	case err == nil:
		return ctrl.Result{}, nil
	case apierrors.IsConflict(err):
		return ctrl.Result{RequeueAfter: conflictRequeue}, nil
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, nil
	default:
		return ctrl.Result{}, fmt.Errorf("writing status: %w", err)
	}
}

// conflictRequeue is how soon a reconcile whose status write lost a race runs again.
const conflictRequeue = 200 * time.Millisecond

// statusChanged reports whether a status differs semantically (timestamps compared by value).
func statusChanged(before, after any) bool {
	return !apiequality.Semantic.DeepEqual(before, after)
}
