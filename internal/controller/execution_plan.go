package controller

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// The execution's stage state machine as plain functions of its plan and status: which list of stages
// runs, which stage may start, when a stage is done, and what the plan's failure policy does once the
// stages settle. No client, no clock (the caller passes now), no engine.

// runList names the list of stages an execution advances.
type runList string

const (
	// listRevert: a Revert; status.stageStatuses hold the reverse runs of the target execution.
	listRevert runList = "revert"
	// listForward: an Execute running its plan's stages.
	listForward runList = "forward"
	// listRollback: an Execute undoing what it did (failurePolicy Rollback); status.rollbackStageStatuses.
	listRollback runList = "rollback"
)

// currentList says which stages an execution advances now.
func currentList(ex *drv1.DRPlanExecution) runList {
	switch {
	case ex.Spec.GetOperationType() == drv1.OperationRevert:
		return listRevert
	case len(ex.Status.RollbackStageStatuses) == 0:
		return listForward
	}
	return listRollback
}

// forwardOf is the direction of an execution's status.stageStatuses: Reverse for a Revert.
func forwardOf(ex *drv1.DRPlanExecution) engine.Direction {
	if ex.Spec.GetOperationType() == drv1.OperationRevert {
		return engine.Reverse
	}
	return engine.Forward
}

// stageDeps lists the stages a stage waits for. Forward: its dependsOn, or in a plan without any dependsOn
// the stage before it. Reverse: reverseDeps.
func stageDeps(plan *drv1.DRPlan, stages []drv1.StageStatus, i int, dir engine.Direction) []string {
	if dir == engine.Reverse {
		return reverseDeps(plan, stages, i)
	}
	if plan != nil && !plan.Spec.IsSequential() {
		for k := range plan.Spec.Stages {
			if plan.Spec.Stages[k].Name == stages[i].Name {
				return plan.Spec.Stages[k].DependsOn
			}
		}
	}
	return stageBefore(stages, i)
}

func stageBefore(stages []drv1.StageStatus, i int) []string {
	if i == 0 {
		return nil
	}
	return []string{stages[i-1].Name}
}

// reverseDeps lists the stages the undo of stages[i] waits for, in a reverse list (Revert, Rollback): the
// undo of every stage that depended on it going forward, directly or through stages with nothing to undo
// (those are not in the list). So if B depended on A, B is undone before A whatever the plan's list order,
// and undos of independent stages run at once. Without a DAG plan to read (no plan, a plan without
// dependsOn, or one that no longer has every stage of the list) the list's own order is kept, one after the
// other: reverseStages lists the undos in reverse dependency order.
func reverseDeps(plan *drv1.DRPlan, stages []drv1.StageStatus, i int) []string {
	if plan == nil || plan.Spec.IsSequential() || !hasStages(plan, stages) {
		return stageBefore(stages, i)
	}
	inList := make(map[string]bool, len(stages))
	for k := range stages {
		inList[stages[k].Name] = true
	}
	dependents := map[string][]string{}
	for k := range plan.Spec.Stages {
		for _, d := range plan.Spec.Stages[k].DependsOn {
			dependents[d] = append(dependents[d], plan.Spec.Stages[k].Name)
		}
	}
	seen, found := map[string]bool{}, map[string]bool{}
	var walk func(name string)
	walk = func(name string) {
		for _, d := range dependents[name] {
			if seen[d] {
				continue
			}
			seen[d] = true
			if inList[d] {
				found[d] = true
				continue
			}
			walk(d)
		}
	}
	walk(stages[i].Name)
	var out []string
	for k := range stages {
		if found[stages[k].Name] {
			out = append(out, stages[k].Name)
		}
	}
	return out
}

// hasStages reports whether the plan has a stage of every name in stages.
func hasStages(plan *drv1.DRPlan, stages []drv1.StageStatus) bool {
	names := make(map[string]bool, len(plan.Spec.Stages))
	for k := range plan.Spec.Stages {
		names[plan.Spec.Stages[k].Name] = true
	}
	for k := range stages {
		if !names[stages[k].Name] {
			return false
		}
	}
	return true
}

// undoOrder is the order in which forward stages are undone: reverse topological order of the plan's
// stage dependencies (a stage after every stage that depended on it; among independent ones, later listed
// first), or reverse list order when the plan is sequential, missing, or does not have every stage.
func undoOrder(plan *drv1.DRPlan, forward []drv1.StageStatus) []int {
	n := len(forward)
	order := make([]int, 0, n)
	if plan == nil || plan.Spec.IsSequential() || !hasStages(plan, forward) {
		for i := n - 1; i >= 0; i-- {
			order = append(order, i)
		}
		return order
	}
	index := make(map[string]int, n)
	for i := range forward {
		index[forward[i].Name] = i
	}
	deps := make([][]int, n)
	for k := range plan.Spec.Stages {
		i, ok := index[plan.Spec.Stages[k].Name]
		if !ok {
			continue
		}
		for _, d := range plan.Spec.Stages[k].DependsOn {
			if j, ok := index[d]; ok {
				deps[i] = append(deps[i], j)
			}
		}
	}
	// Depth-first topological order (admission rejects cycles; a cycle here just stops the walk).
	state := make([]int, n) // 0 new, 1 on the path, 2 done
	var topo []int
	var visit func(i int)
	visit = func(i int) {
		if state[i] != 0 {
			return
		}
		state[i] = 1
		for _, j := range deps[i] {
			visit(j)
		}
		state[i] = 2
		topo = append(topo, i)
	}
	for i := range forward {
		visit(i)
	}
	for k := len(topo) - 1; k >= 0; k-- {
		order = append(order, topo[k])
	}
	return order
}

// stageParallel reports whether the plan runs the workflows of stage name at once.
func stageParallel(plan *drv1.DRPlan, name string) bool {
	if plan == nil {
		return false
	}
	for k := range plan.Spec.Stages {
		if plan.Spec.Stages[k].Name == name {
			return plan.Spec.Stages[k].Parallel
		}
	}
	return false
}

// stopsOnFailure reports whether a plan policy starts no new stage after a failure (Stop and Rollback).
func stopsOnFailure(policy drv1.PlanFailurePolicy) bool { return policy != drv1.PlanContinue }

// stagePolicy is the failurePolicy of the plan's stage name, empty when it sets none (or there is no plan).
func stagePolicy(plan *drv1.DRPlan, name string) drv1.StageFailurePolicy {
	if plan == nil {
		return ""
	}
	for k := range plan.Spec.Stages {
		if plan.Spec.Stages[k].Name == name {
			return plan.Spec.Stages[k].FailurePolicy
		}
	}
	return ""
}

// stageStops reports whether a failure of stage name starts no new stage: the stage's own failurePolicy
// when it sets one (Stop and FailFast stop, Continue does not), else the plan's.
func stageStops(plan *drv1.DRPlan, name string) bool {
	switch stagePolicy(plan, name) {
	case drv1.StageStop, drv1.StageFailFast:
		return true
	case drv1.StageContinue:
		return false
	}
	if plan == nil {
		return true
	}
	return stopsOnFailure(plan.Spec.GetFailurePolicy())
}

// failFastCancels lists the entries of a running stage to cancel under the stage's failurePolicy
// FailFast: every running entry, once another entry of the stage failed or was canceled. None otherwise.
func failFastCancels(policy drv1.StageFailurePolicy, st *drv1.StageStatus) []int {
	if policy != drv1.StageFailFast {
		return nil
	}
	ended := false
	for j := range st.WorkflowExecutions {
		ended = ended || stageFailed(st.WorkflowExecutions[j].Phase)
	}
	if !ended {
		return nil
	}
	var out []int
	for j := range st.WorkflowExecutions {
		if st.WorkflowExecutions[j].Phase == drv1.ExecutionRunning {
			out = append(out, j)
		}
	}
	return out
}

// gate is what a stage that has not started does in this pass.
type gate string

const (
	// gateStart: every dependency succeeded and no failure holds new stages back.
	gateStart gate = "start"
	// gateWait: a dependency is still pending or running.
	gateWait gate = "wait"
	// gateBlocked: a dependency failed or can never run, so this stage never runs.
	gateBlocked gate = "blocked"
	// gateHeld: another stage failed and the policy starts no new stage.
	gateHeld gate = "held"
)

// stageGate decides for stage i, not started yet. phaseOf holds the stages' phases as this pass saw them;
// failed tells a stage of the list failed or was canceled. For gateBlocked it names the dependency.
func stageGate(plan *drv1.DRPlan, stages []drv1.StageStatus, i int, dir engine.Direction,
	phaseOf map[string]drv1.ExecutionPhase, stopOnFailure, failed bool) (gate, string) {
	ready, blockedBy := true, ""
	for _, d := range stageDeps(plan, stages, i, dir) {
		switch phaseOf[d] {
		case drv1.ExecutionSucceeded:
		case drv1.ExecutionFailed, drv1.ExecutionCanceled:
			ready, blockedBy = false, d
		default:
			ready = false
			if blockedBy == "" && dependsBlocked(plan, stages, d, dir, phaseOf) {
				blockedBy = d
			}
		}
	}
	switch {
	case blockedBy != "":
		return gateBlocked, blockedBy
	case !ready:
		return gateWait, ""
	case stopOnFailure && failed:
		return gateHeld, ""
	}
	return gateStart, ""
}

// gateMessage explains to the entries of a stage that will not start why.
func gateMessage(g gate, blockedBy string) string {
	if g == gateBlocked {
		return fmt.Sprintf("not run: stage %s did not succeed", blockedBy)
	}
	return "not run: an earlier stage failed"
}

// dependsBlocked reports whether stage d can never run (a dependency of it, transitively, failed).
func dependsBlocked(plan *drv1.DRPlan, stages []drv1.StageStatus, d string, dir engine.Direction, phaseOf map[string]drv1.ExecutionPhase) bool {
	seen := map[string]bool{}
	var walk func(name string) bool
	walk = func(name string) bool {
		if seen[name] {
			return false
		}
		seen[name] = true
		switch phaseOf[name] {
		case drv1.ExecutionFailed, drv1.ExecutionCanceled:
			return true
		case drv1.ExecutionSucceeded, drv1.ExecutionRunning:
			return false
		}
		for i := range stages {
			if stages[i].Name == name {
				for _, dd := range stageDeps(plan, stages, i, dir) {
					if walk(dd) {
						return true
					}
				}
			}
		}
		return false
	}
	return walk(d)
}

// notRun explains the entries that will never start.
func notRun(entries []drv1.WorkflowExecutionStatus, msg string) []drv1.WorkflowExecutionStatus {
	for j := range entries {
		if entries[j].Phase == "" || entries[j].Phase == drv1.ExecutionPending {
			entries[j].Message = msg
		}
	}
	return entries
}

// settleStage computes a started stage's phase after its entries were synced. A stage that ended gets its
// completion time (the latest of now and its entries'), and, unless it succeeded, its entries that never
// started are told why. It reports whether the stage is still active.
func settleStage(st *drv1.StageStatus, parallel bool, now metav1.Time) bool {
	st.Phase = stagePhase(st, parallel)
	if !st.Phase.IsTerminal() {
		return true
	}
	t := now
	st.CompletionTime = &t
	for j := range st.WorkflowExecutions {
		if c := st.WorkflowExecutions[j].CompletionTime; c != nil && c.After(st.CompletionTime.Time) {
			st.CompletionTime = c.DeepCopy()
		}
	}
	if st.Phase != drv1.ExecutionSucceeded {
		st.WorkflowExecutions = notRun(st.WorkflowExecutions, "not run: an earlier workflow of the stage did not succeed")
	}
	return false
}

// stageFailed reports whether a stage ended without succeeding.
func stageFailed(p drv1.ExecutionPhase) bool {
	return p == drv1.ExecutionFailed || p == drv1.ExecutionCanceled
}

// allSucceeded reports whether every stage succeeded (true for none).
func allSucceeded(stages []drv1.StageStatus) bool {
	for i := range stages {
		if stages[i].Phase != drv1.ExecutionSucceeded {
			return false
		}
	}
	return true
}

// rollsBack reports whether an Execute whose forward stages settled goes on to undo what it did: only
// under failurePolicy Rollback, and only when a stage did not succeed.
func rollsBack(policy drv1.PlanFailurePolicy, forward []drv1.StageStatus) bool {
	return policy == drv1.PlanRollback && !allSucceeded(forward)
}
