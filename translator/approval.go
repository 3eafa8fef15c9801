package translator

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Approval actions (api/v1alpha1/approval.go): a wait for a person. On Argo a `suspend` template without a
// duration, resumed by `argo resume` or by the operator; in the native engine an in-process wait. Neither the
// action's timeout nor a retryPolicy applies to a person.

// ApprovalRequest is a rendered Approval action.
type ApprovalRequest struct {
	// Message tells the approver what to check.
	Message string
}

// validateApproval checks what an Approval action may not carry.
func validateApproval(body *v1alpha1.ActionBody, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if body.Timeout != nil {
		errs = append(errs, field.Forbidden(path.Child("timeout"),
			"an Approval waits until it is approved or the execution is canceled; it takes no timeout"))
	}
	if body.RetryPolicy != nil {
		errs = append(errs, field.Forbidden(path.Child("retryPolicy"), "an Approval is not retried"))
	}
	return errs
}
