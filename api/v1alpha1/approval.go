package v1alpha1

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Approval gates (docs/user-guide.md, "During an incident").
//
// An action of type Approval waits for a person. On Argo it is a `suspend` template node; it goes on when
// someone runs `argo resume <workflow> --node-field-selector displayName=<task>` (or resumes it in the UI),
// or when the execution's annotation dr.bkbcs.tencent.com/approve lists the action (comma-separated action
// names), in which case the operator marks the suspended node Succeeded exactly as `argo resume` does. The
// native engine waits in-process for the annotation. An Approval has no automatic inverse: a reverse run
// skips it.
//
// Timeout: an Approval with the action's `timeout` set waits at most that long, counted from the action's
// start. When it passes without an approval, approval.timeoutOutcome decides: Fail (the default: nobody said
// go, so the failover does not go on by itself) ends the action Failed; Continue ends it Succeeded, recorded
// with via Timeout, and what depends on it runs. On both engines the operator decides at the deadline (on
// Argo the suspend node has no duration of its own and the operator sets the node's phase, as it does for an
// approval), so the two engines give the same status and message.
//
// Who: as for a pause, the execution's mutating webhook writes AnnotationApproveRequestedBy with the user the
// API server authenticated for the request that changed AnnotationApprove. An approval from Argo (argo
// resume, the UI) carries no user the operator can trust: it is recorded with approvedBy empty and via Argo.

// ActionTypeApproval waits for a person's go-ahead.
const ActionTypeApproval ActionType = "Approval"

const (
	// AnnotationApprove lists, comma-separated, the Approval actions a person let go on.
	AnnotationApprove = "dr.bkbcs.tencent.com/approve"
	// AnnotationApproveRequestedBy is written by the webhook only: the user who last changed AnnotationApprove.
	AnnotationApproveRequestedBy = "dr.bkbcs.tencent.com/approve-requested-by"
	// AnnotationApprovalTimeout and AnnotationApprovalTimeoutOutcome carry an Approval action's timeout and
	// timeoutOutcome on its compiled Argo suspend template (template metadata), so the Workflow itself says
	// when its wait ends, whatever happens to the DRWorkflow meanwhile.
	AnnotationApprovalTimeout        = "dr.bkbcs.tencent.com/approval-timeout"
	AnnotationApprovalTimeoutOutcome = "dr.bkbcs.tencent.com/approval-timeout-outcome"
)

const (
	// ReasonApproved is the reason of the event that records an approval.
	ReasonApproved = "Approved"
	// ReasonApprovalTimedOut is the reason of the event that records an Approval action going on without an
	// approval (its timeout passed, timeoutOutcome Continue).
	ReasonApprovalTimedOut = "ApprovalTimedOut"
)

// ApprovalAction is a wait for a person's go-ahead.
type ApprovalAction struct {
	// message tells the approver what to check before approving (a template, rendered like other strings).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message"`
	// timeoutOutcome is what happens when the action's timeout passes with no approval: Fail (default) ends
	// the action Failed; Continue ends it Succeeded (approval.via Timeout) and the run goes on. It needs
	// the action's timeout.
	// +optional
	TimeoutOutcome ApprovalTimeoutOutcome `json:"timeoutOutcome,omitempty"`
}

// ApprovalTimeoutOutcome says how an Approval action ends when its timeout passes without an approval.
// +kubebuilder:validation:Enum=Fail;Continue
type ApprovalTimeoutOutcome string

const (
	// ApprovalTimeoutFail ends the action Failed (the default).
	ApprovalTimeoutFail ApprovalTimeoutOutcome = "Fail"
	// ApprovalTimeoutContinue ends the action Succeeded, let go on by its timeout.
	ApprovalTimeoutContinue ApprovalTimeoutOutcome = "Continue"
)

// GetTimeoutOutcome returns the timeout outcome, Fail when unset.
func (a *ApprovalAction) GetTimeoutOutcome() ApprovalTimeoutOutcome {
	if a == nil || a.TimeoutOutcome == "" {
		return ApprovalTimeoutFail
	}
	return a.TimeoutOutcome
}

// ApprovalVia says how an Approval action was let go on.
// +kubebuilder:validation:Enum=Annotation;Argo;Timeout
type ApprovalVia string

const (
	// ApprovalViaAnnotation: the execution's AnnotationApprove listed the action.
	ApprovalViaAnnotation ApprovalVia = "Annotation"
	// ApprovalViaArgo: the node was resumed from Argo (argo resume, the UI); the approver is not known.
	ApprovalViaArgo ApprovalVia = "Argo"
	// ApprovalViaTimeout: nobody approved; the action's timeout passed and its timeoutOutcome is Continue.
	ApprovalViaTimeout ApprovalVia = "Timeout"
)

// ApprovalRecord is who approved an Approval action and when.
type ApprovalRecord struct {
	// approvedBy is the user the API server authenticated for the approving request; empty when unknown
	// (approved from Argo, or without the admission webhook).
	// +optional
	ApprovedBy string `json:"approvedBy,omitempty"`
	// approvedAt is when the approval took effect.
	// +optional
	ApprovedAt *metav1.Time `json:"approvedAt,omitempty"`
	// via is Annotation, Argo or Timeout (no one approved: the timeout passed, with timeoutOutcome Continue).
	// +optional
	Via ApprovalVia `json:"via,omitempty"`
}

// ApprovedActions are the action names AnnotationApprove lists.
func (e *DRPlanExecution) ApprovedActions() []string {
	var out []string
	for _, n := range strings.Split(e.Annotations[AnnotationApprove], ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}
