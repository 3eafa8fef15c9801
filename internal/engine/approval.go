package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Approval timeouts, decided the same way by both engines (api/v1alpha1/approval.go): the wait of an Approval
// action with a timeout ends at start+timeout when no approval came first.

// msgNoApprovalWithin starts the message of every Approval action that ended by its timeout.
const msgNoApprovalWithin = "no approval within "

// ApprovalExpired reports whether an approval wait that started at start with timeout (0: none) is over at now.
func ApprovalExpired(start time.Time, timeout time.Duration, now time.Time) bool {
	return timeout > 0 && !now.Before(start.Add(timeout))
}

// ApprovalTimeoutEnd is the phase and message of an Approval action whose timeout passed with no approval.
func ApprovalTimeoutEnd(timeout time.Duration, outcome v1alpha1.ApprovalTimeoutOutcome) (v1alpha1.ActionPhase, string) {
	if outcome == v1alpha1.ApprovalTimeoutContinue {
		return v1alpha1.ActionSucceeded, fmt.Sprintf("%s%s: went on without approval (timeoutOutcome Continue)", msgNoApprovalWithin, timeout)
	}
	return v1alpha1.ActionFailed, fmt.Sprintf("%s%s (timeout %s, timeoutOutcome Fail)", msgNoApprovalWithin, timeout, timeout)
}

// EndedByApprovalTimeout reports whether an Approval action's message says its timeout ended it.
func EndedByApprovalTimeout(message string) bool {
	return strings.HasPrefix(message, msgNoApprovalWithin)
}
