package translator

import (
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Approval actions (api/v1alpha1/approval.go): a wait for a person. On Argo a `suspend` template without a
// duration, resumed by `argo resume` or by the operator; in the native engine an in-process wait. The action's
// timeout, when set, bounds the wait (the engines end it at the deadline, with the timeoutOutcome); an
// Approval has no default timeout, and a retryPolicy does not apply to a person.

// ApprovalRequest is a rendered Approval action.
type ApprovalRequest struct {
	// Message tells the approver what to check.
	Message string
	// Timeout bounds the wait from the action's start; 0 waits until approved or canceled.
	Timeout time.Duration
	// TimeoutOutcome is how the action ends when Timeout passes with no approval.
	TimeoutOutcome v1alpha1.ApprovalTimeoutOutcome
}

// approvalRequest is the rendered form of an Approval action's body.
func approvalRequest(body *v1alpha1.ActionBody, message string) *ApprovalRequest {
	req := &ApprovalRequest{Message: message, TimeoutOutcome: body.Approval.GetTimeoutOutcome()}
	if body.Timeout != nil {
		req.Timeout = body.Timeout.Duration
	}
	return req
}

// validateApproval checks what an Approval action may not carry.
func validateApproval(body *v1alpha1.ActionBody, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if body.Approval != nil && body.Approval.TimeoutOutcome != "" && body.Timeout == nil {
		errs = append(errs, field.Required(path.Child("timeout"),
			"approval.timeoutOutcome says what happens when the timeout passes: set timeout too (such as 30m)"))
	}
	if body.RetryPolicy != nil {
		errs = append(errs, field.Forbidden(path.Child("retryPolicy"), "an Approval is not retried"))
	}
	return errs
}

// approvalMetadata is the Argo template metadata of an Approval action: its timeout and outcome, read back by
// argoexec to end the wait at the deadline; none without a timeout.
func approvalMetadata(req *ApprovalRequest) wfv1.Metadata {
	if req.Timeout <= 0 {
		return wfv1.Metadata{}
	}
	return wfv1.Metadata{Annotations: map[string]string{
		v1alpha1.AnnotationApprovalTimeout:        req.Timeout.String(),
		v1alpha1.AnnotationApprovalTimeoutOutcome: string(req.TimeoutOutcome),
	}}
}
