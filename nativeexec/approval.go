package nativeexec

import (
	"slices"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// Approval actions wait in-process: started, they count as in flight without a goroutine, and end when a
// Sync brings the action's name in run.Approved (Succeeded), its timeout passes (by its timeoutOutcome), or
// the run is canceled (Canceled). After a restart a recorded Running approval waits again, its timeout still
// counted from the recorded start; an approval recorded Succeeded is never asked again.

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
		e.endApprovalLocked(s, i, phase, msg)
		ended = true
	}
	return ended
}

// expireApprovalsLocked ends the waiting approvals whose timeout passed, by their timeoutOutcome. The
// reconciler syncs the run again at the deadline (it requeues on the Approval actions' timeouts).
func (e *Engine) expireApprovalsLocked(s *runState) {
	if s.ir == nil {
		return
	}
	now := e.now()
	for i := range s.ir.Actions {
		req, st := s.ir.Actions[i].Approval, &s.actions[i]
		if req == nil || st.Phase != v1alpha1.ActionRunning || st.StartTime == nil ||
			!engine.ApprovalExpired(st.StartTime.Time, req.Timeout, now.Time) {
			continue
		}
		phase, msg := engine.ApprovalTimeoutEnd(req.Timeout, req.TimeoutOutcome)
		e.endApprovalLocked(s, i, phase, msg)
	}
}

// endApprovalLocked ends waiting approval i with phase and msg, and schedules what it unblocks.
func (e *Engine) endApprovalLocked(s *runState, i int, phase v1alpha1.ActionPhase, msg string) {
	s.inFlight--
	t := e.now()
	s.actions[i].Phase, s.actions[i].Message, s.actions[i].CompletionTime = phase, msg, &t
	e.scheduleAfterLocked(s, i)
}
