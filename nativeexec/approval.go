package nativeexec

import (
	"slices"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Approval actions wait in-process: started, they count as in flight without a goroutine, and end when a
// Sync brings the action's name in run.Approved (Succeeded) or the run is canceled (Canceled). After a
// restart a recorded Running approval waits again; an approval recorded Succeeded is never asked again.

const msgAwaitingApproval = "waiting for approval"

// startApprovalLocked marks approval action i Running, waiting.
func (e *Engine) startApprovalLocked(s *runState, i int) {
	st := &s.actions[i]
	st.Phase, st.Message = v1alpha1.ActionRunning, msgAwaitingApproval+": "+s.ir.Actions[i].Approval.Message
	if st.StartTime == nil {
		t := e.now()
		st.StartTime = &t
	}
	s.inFlight++
}

// endApprovalsLocked ends the waiting approvals that approved names (all of them with phase, when approved
// is nil: a cancel) and reports whether any ended.
func (e *Engine) endApprovalsLocked(s *runState, approved []string, phase v1alpha1.ActionPhase, msg string) bool {
	if s.ir == nil {
		return false
	}
	ended := false
	for i := range s.ir.Actions {
		if s.ir.Actions[i].Approval == nil || s.actions[i].Phase != v1alpha1.ActionRunning {
			continue
		}
		if approved != nil && !slices.Contains(approved, s.actions[i].Name) {
			continue
		}
		s.inFlight--
		t := e.now()
		s.actions[i].Phase, s.actions[i].Message, s.actions[i].CompletionTime = phase, msg, &t
		e.scheduleAfterLocked(s, i)
		ended = true
	}
	return ended
}
