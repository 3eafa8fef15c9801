package nativeexec

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/translator"
)

// runKey identifies a run across reconciles: the same key after a restart names the same run.
type runKey struct {
	execution types.UID
	stage     string
	entry     int
	workflow  string
	direction engine.Direction
}

func keyOf(run *engine.Run) runKey {
	wf := ""
	if run.Workflow != nil {
		wf = run.Workflow.Name
	}
	return runKey{execution: run.Execution.UID, stage: run.StageName, entry: run.EntryIndex, workflow: wf, direction: run.Direction}
}

// serviceAccountRef is the identity a run acts as.
type serviceAccountRef struct{ Namespace, Name string }

func (s serviceAccountRef) String() string { return s.Namespace + "/" + s.Name }

// Messages of actions that never ran; the Argo engine reports the same phases. An omitted action's message
// starts with the one Argo writes on an Omitted node and adds which failure kept it from running.
const (
	msgOmitted  = "omitted: depends condition not met"
	msgNotRun   = "not run: the workflow stopped after a failure"
	msgCanceled = "canceled"
)

// runState is the in-memory state of one run. Its mutex guards every field but the immutable ones (key,
// exec, ir, serviceAccount, ctx, cancel).
type runState struct {
	key            runKey
	exec           types.NamespacedName
	ir             *translator.IR
	serviceAccount serviceAccountRef
	ctx            context.Context
	cancel         context.CancelFunc

	mu sync.Mutex
	// actions, one per IR action in IR order (without an IR: what was recorded). The pointer fields of an
	// entry (StartTime, CompletionTime, Outputs) are replaced, never written through: Sync copies the entries
	// under mu and deep-copies what they point to after releasing it (snapshotLocked).
	actions []v1alpha1.ActionStatus
	// resumed marks actions that were Running in the recorded status: this process re-attaches to them.
	resumed []bool
	// deps and dependents are the IR's dependency graph by position (deps[i]: what action i waits for;
	// dependents[i]: who waits for i). Scheduling runs under mu on every completion, so it reads slices
	// rather than hashing names, and a completion looks only at the actions that waited for it.
	deps, dependents [][]int
	// blockedBy[i] is the Failed or Canceled action that kept Skipped action i from running, directly or through
	// dependencies omitted because of it (-1: none, e.g. skipped by its own `when`). Argo omits such a task
	// and, an Omitted node being neither Succeeded nor Skipped, omits its dependents too; a `when`-skipped
	// dependency counts as satisfied. It is set when i settles and derived again from the recorded phases
	// after a restart (deriveBlockedLocked), so it is never only in this process's memory.
	blockedBy []int
	inFlight  int
	canceled  bool
	// paused is the execution's pause as the last Sync saw it: nothing new starts or settles and the run does
	// not end, as Argo does under spec.suspend; running actions finish.
	paused bool
	start  metav1.Time
	// finished is when the run reached a terminal phase in this process (zero while it has not).
	finished time.Time
}

// newRunState builds the state of a run, keeping every recorded action that ended (it is never run again) and
// the outputs of recorded running ones (a Job to re-attach to). ir may be nil for a run only canceled.
func newRunState(key runKey, run *engine.Run, ir *translator.IR, now metav1.Time) *runState {
	s := &runState{key: key, exec: types.NamespacedName{Namespace: run.Execution.Namespace, Name: run.Execution.Name}, ir: ir, start: now}
	var recorded []v1alpha1.ActionStatus
	if run.Recorded != nil {
		recorded = run.Recorded.ActionStatuses
		if run.Recorded.StartTime != nil {
			s.start = *run.Recorded.StartTime
		}
	}
	if ir == nil {
		s.actions = make([]v1alpha1.ActionStatus, len(recorded))
		for i := range recorded {
			s.actions[i] = *recorded[i].DeepCopy()
		}
		s.resumed = make([]bool, len(s.actions))
		return s
	}
	s.serviceAccount = serviceAccountRef{Namespace: ir.Namespace, Name: ir.ServiceAccountName}
	byName := make(map[string]*v1alpha1.ActionStatus, len(recorded))
	for i := range recorded {
		byName[recorded[i].Name] = &recorded[i]
	}
	s.actions = make([]v1alpha1.ActionStatus, len(ir.Actions))
	s.resumed = make([]bool, len(ir.Actions))
	index := make(map[string]int, len(ir.Actions))
	for i := range ir.Actions {
		index[ir.Actions[i].Name] = i
	}
	s.deps = make([][]int, len(ir.Actions))
	s.dependents = make([][]int, len(ir.Actions))
	s.blockedBy = make([]int, len(ir.Actions))
	for i := range ir.Actions {
		for _, d := range ir.Actions[i].DependsOn {
			j, ok := index[d]
			if !ok {
				continue // the translator validated the graph; an unknown name cannot block
			}
			s.deps[i] = append(s.deps[i], j)
			s.dependents[j] = append(s.dependents[j], i)
		}
	}
	for i := range ir.Actions {
		st := v1alpha1.ActionStatus{Name: ir.Actions[i].Name, Phase: v1alpha1.ActionPending}
		if rec := byName[st.Name]; rec != nil {
			switch {
			case rec.Phase.IsTerminal():
				st = *rec.DeepCopy()
			case rec.Phase == v1alpha1.ActionRunning:
				// Started before a restart: run it again (Jobs are adopted by name, HTTP carries the
				// idempotency key), keeping when it started and what it recorded.
				st.StartTime, st.RetryCount, st.Outputs = rec.StartTime.DeepCopy(), rec.RetryCount, rec.Outputs.DeepCopy()
				s.resumed[i] = true
			}
		}
		s.actions[i] = st
	}
	s.deriveBlockedLocked()
	return s
}

// deriveBlockedLocked recomputes blockedBy from the actions' phases (the recorded ones after a restart):
// dependencies first, so that an action omitted because of an omitted dependency finds the failure behind it.
// Only Skipped actions can be blocked; a Skipped action with no failed, canceled or blocked dependency was
// skipped by its own `when` (or, at the end of a stopped run, never reached) and satisfies its dependents.
func (s *runState) deriveBlockedLocked() {
	visited := make([]bool, len(s.actions))
	var visit func(i int)
	visit = func(i int) {
		if visited[i] {
			return
		}
		visited[i] = true
		s.blockedBy[i] = -1
		for _, d := range s.deps[i] {
			visit(d)
		}
		if s.actions[i].Phase == v1alpha1.ActionSkipped {
			_, s.blockedBy[i] = s.dependenciesLocked(i)
		}
	}
	for i := range s.actions {
		visit(i)
	}
}

// scheduleLocked starts every action that is ready: Skipped actions (when false) and actions whose dependencies
// can no longer succeed settle at once, and may make others ready. When nothing runs and nothing can start,
// the actions left are marked as never run. Sync and Cancel call it; a completion calls scheduleAfterLocked.
func (e *Engine) scheduleLocked(s *runState) {
	if s.ir != nil {
		all := make([]int, len(s.ir.Actions))
		for i := range all {
			all[i] = i
		}
		e.advanceLocked(s, all)
	}
	e.finishIfIdleLocked(s)
}

// scheduleAfterLocked is scheduleLocked after action done ended: only the actions that waited for it can have
// become ready or impossible (an action's readiness depends on its dependencies' phases and blockedBy only,
// both set when a dependency ends, and stopping is for good), so it looks at those, without a pass over the
// whole run. The next layer of a DAG starts from here, in the goroutine of the action that ended last, without
// waiting for the reconciler.
func (e *Engine) scheduleAfterLocked(s *runState, done int) {
	e.advanceLocked(s, s.dependents[done])
	e.finishIfIdleLocked(s)
}

// advanceLocked settles or starts the pending actions among candidates that can, in order; an action that
// settles (Skipped) may make its dependents ready, or omit them, so they are looked at next. Starting an action
// makes no other ready, so it needs no further look.
func (e *Engine) advanceLocked(s *runState, candidates []int) {
	if s.stoppedLocked() || s.heldLocked() {
		return
	}
	for len(candidates) > 0 {
		var settled []int // dependents of the actions settled in this round: the next round's candidates
		for _, i := range candidates {
			if s.actions[i].Phase != v1alpha1.ActionPending {
				continue
			}
			a := &s.ir.Actions[i]
			ready, blocker := s.dependenciesLocked(i)
			switch {
			case blocker >= 0:
				// Checked before `when`, as Argo evaluates depends first: a when-false action behind a
				// failure is omitted, and blocks its dependents in turn.
				s.blockedBy[i] = blocker
				s.settleLocked(i, v1alpha1.ActionSkipped, omittedMessage(&s.actions[blocker]))
			case !ready:
				continue
			case a.Skipped:
				s.settleLocked(i, v1alpha1.ActionSkipped, a.SkipReason)
			case a.When != nil && !s.whenHoldsLocked(i):
				// Skipped by its run-time `when` (or failed, if it could not be decided): settled like a
				// static skip, so it satisfies its dependents.
			default:
				e.startLocked(s, i)
				continue
			}
			settled = append(settled, s.dependents[i]...)
		}
		candidates = settled
	}
}

// finishIfIdleLocked ends the run when nothing runs any more: what never started is marked as never run
// (or canceled).
func (e *Engine) finishIfIdleLocked(s *runState) {
	if s.inFlight > 0 || s.heldLocked() {
		return
	}
	for i := range s.actions {
		if s.actions[i].Phase.IsTerminal() {
			continue
		}
		if s.canceled {
			s.settleLocked(i, v1alpha1.ActionCanceled, msgCanceled)
		} else {
			s.settleLocked(i, v1alpha1.ActionSkipped, msgNotRun)
		}
	}
	if s.finished.IsZero() {
		s.finished = e.opts.Now()
	}
}

// stoppedLocked: nothing new starts after a cancel, or after a failure under FailFast.
func (s *runState) stoppedLocked() bool {
	if s.canceled {
		return true
	}
	if s.ir.FailurePolicy == v1alpha1.WorkflowContinue {
		return false
	}
	for i := range s.actions {
		if s.actions[i].Phase == v1alpha1.ActionFailed {
			return true
		}
	}
	return false
}

// dependenciesLocked: action i is ready when every dependency Succeeded or was Skipped without being blocked;
// it can never run when a dependency Failed or was Canceled, or was itself omitted because of such an action,
// which is then returned as the blocker (-1: none).
func (s *runState) dependenciesLocked(i int) (ready bool, blocker int) {
	ready = true
	for _, d := range s.deps[i] {
		switch s.actions[d].Phase {
		case v1alpha1.ActionSucceeded:
		case v1alpha1.ActionSkipped:
			if b := s.blockedBy[d]; b >= 0 {
				return false, b
			}
		case v1alpha1.ActionFailed, v1alpha1.ActionCanceled:
			return false, d
		default:
			ready = false
		}
	}
	return ready, -1
}

// omittedMessage says why an action was omitted: Argo's words, and the failure behind it, which may be
// several dependencies upstream.
func omittedMessage(blocker *v1alpha1.ActionStatus) string {
	return msgOmitted + " (action " + blocker.Name + " " + strings.ToLower(string(blocker.Phase)) + ")"
}

// settleLocked ends an action that did not run.
func (s *runState) settleLocked(i int, phase v1alpha1.ActionPhase, msg string) {
	now := metav1.NewTime(time.Now().UTC().Truncate(time.Second))
	st := &s.actions[i]
	st.Phase, st.Message = phase, msg
	if st.StartTime == nil {
		st.StartTime = &now
	}
	st.CompletionTime = &now
}

// startLocked marks action i Running and runs it in a goroutine; its end schedules what follows and notifies.
func (e *Engine) startLocked(s *runState, i int) {
	if s.ir.Actions[i].Approval != nil {
		e.startApprovalLocked(s, i)
		return
	}
	st := &s.actions[i]
	st.Phase, st.Message = v1alpha1.ActionRunning, ""
	if st.StartTime == nil {
		t := e.now()
		st.StartTime = &t
	}
	s.inFlight++
	a := s.ir.Actions[i]
	var resumedSince *metav1.Time
	first := int32(0)
	if s.resumed[i] {
		resumedSince = st.StartTime.DeepCopy()
		first = st.RetryCount
	}
	go func() {
		res := e.execute(s.ctx, s, &a, resumedSince, first, func(update func(*v1alpha1.ActionStatus)) {
			s.mu.Lock()
			update(&s.actions[i])
			s.mu.Unlock()
			e.notify(s.exec)
		})
		s.mu.Lock()
		s.inFlight--
		st := &s.actions[i]
		st.Phase, st.Message, st.RetryCount = res.phase, res.message, res.retries
		if res.outputs != nil {
			st.Outputs = res.outputs
		}
		t := e.now()
		st.CompletionTime = &t
		e.scheduleAfterLocked(s, i)
		s.mu.Unlock()
		e.notify(s.exec)
	}()
}

// runSnapshot is what Sync reads of a run under its mutex. Deep-copying a few hundred action statuses takes a
// while, longer still when the OS deschedules the goroutine halfway on a busy machine; done after the mutex
// is released, it does not hold up the completions that start the next actions.
type runSnapshot struct {
	actions            []v1alpha1.ActionStatus // shallow copies: pointer targets are never written (runState.actions)
	start              metav1.Time
	finished, canceled bool
}

func (s *runState) snapshotLocked() runSnapshot {
	return runSnapshot{actions: slices.Clone(s.actions), start: s.start, finished: !s.finished.IsZero(), canceled: s.canceled}
}

// status is the run as the reconciler records it; it shares nothing with the run's state.
func (r runSnapshot) status() engine.RunStatus {
	start := r.start
	st := engine.RunStatus{Phase: v1alpha1.ExecutionRunning, StartTime: &start, Actions: make([]v1alpha1.ActionStatus, len(r.actions))}
	for i := range r.actions {
		r.actions[i].DeepCopyInto(&st.Actions[i])
	}
	if !r.finished {
		return st
	}
	end := r.start
	for i := range st.Actions {
		if c := st.Actions[i].CompletionTime; c != nil && c.After(end.Time) {
			end = *c
		}
	}
	st.CompletionTime = &end
	c := engine.Counts(st.Actions)
	switch {
	case r.canceled:
		st.Phase, st.Message = v1alpha1.ExecutionCanceled, msgCanceled
	case c.Failed > 0:
		st.Phase = v1alpha1.ExecutionFailed
		st.Message = engine.FailureMessage(st.Actions)
	default:
		st.Phase = v1alpha1.ExecutionSucceeded
	}
	return st
}

// runningJobsLocked lists the Jobs of actions that have not ended: what a cancel deletes.
func (s *runState) runningJobsLocked() []v1alpha1.ResourceRef {
	var refs []v1alpha1.ResourceRef
	for i := range s.actions {
		o := s.actions[i].Outputs
		if s.actions[i].Phase.IsTerminal() || o == nil || o.JobRef == nil {
			continue
		}
		refs = append(refs, *o.JobRef)
	}
	return refs
}

func (s *runState) isFinishedBefore(t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.finished.IsZero() && s.finished.Before(t)
}
