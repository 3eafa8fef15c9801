package webhook

import (
	"context"
	"encoding/json"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// PathMutateDRPlanExecution serves DRPlanExecutionRequester.
const PathMutateDRPlanExecution = "/mutate-dr-bkbcs-tencent-com-v1alpha1-drplanexecution"

// +kubebuilder:webhook:path=/mutate-dr-bkbcs-tencent-com-v1alpha1-drplanexecution,mutating=true,failurePolicy=fail,sideEffects=None,groups=dr.bkbcs.tencent.com,resources=drplanexecutions,verbs=create;update,versions=v1alpha1,name=mdrplanexecution-v1alpha1.dr.bkbcs.tencent.com,admissionReviewVersions=v1,reinvocationPolicy=Never

// DRPlanExecutionRequester records who paused, resumed or approved. On a request that sets, changes or
// removes drv1.AnnotationPause (drv1.AnnotationApprove) it writes drv1.AnnotationPauseRequestedBy
// (drv1.AnnotationApproveRequestedBy) with the username the API server
// authenticated for the request (admission's userInfo, which a client cannot choose); on every other
// request it puts back the value stored before (none on create), so a claimed or edited name never sticks.
type DRPlanExecutionRequester struct{}

var _ admission.Defaulter[*drv1.DRPlanExecution] = DRPlanExecutionRequester{}

// Default stamps or restores the requester annotation.
func (DRPlanExecutionRequester) Default(ctx context.Context, ex *drv1.DRPlanExecution) error {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return fmt.Errorf("no admission request in context: %w", err)
	}
	var old map[string]string
	if req.Operation == admissionv1.Update && len(req.OldObject.Raw) > 0 {
		prev := &drv1.DRPlanExecution{}
		if err := json.Unmarshal(req.OldObject.Raw, prev); err != nil {
			return fmt.Errorf("decoding the stored DRPlanExecution: %w", err)
		}
		old = prev.Annotations
	}
	stampRequester(ex, old, req.UserInfo.Username, drv1.AnnotationPause, drv1.AnnotationPauseRequestedBy)
	stampRequester(ex, old, req.UserInfo.Username, drv1.AnnotationApprove, drv1.AnnotationApproveRequestedBy)
	return nil
}

// stampRequester is Default's decision for one request annotation and its requester annotation by: key
// changed (from old, nil on create) -> user asked; else the stored requester stays as it was.
func stampRequester(ex *drv1.DRPlanExecution, old map[string]string, user, key, by string) {
	oldValue, had := old[key]
	newValue, has := ex.Annotations[key]
	if had != has || oldValue != newValue {
		if ex.Annotations == nil {
			ex.Annotations = map[string]string{}
		}
		ex.Annotations[by] = user
		return
	}
	if prev, ok := old[by]; ok {
		ex.Annotations[by] = prev
		return
	}
	delete(ex.Annotations, by)
}

// pauseErrors rejects a pause annotation other than "true" or "false".
func pauseErrors(ex *drv1.DRPlanExecution) field.ErrorList {
	v, ok := ex.Annotations[drv1.AnnotationPause]
	if !ok || v == "true" || v == "false" {
		return nil
	}
	return field.ErrorList{field.NotSupported(field.NewPath("metadata", "annotations").Key(drv1.AnnotationPause), v, []string{"true", "false"})}
}
