package controller

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

func TestRecordApprovals(t *testing.T) {
	at := metav1.NewTime(time.Unix(200, 0))
	done := func(name string) drv1.ActionStatus {
		return drv1.ActionStatus{Name: name, Phase: drv1.ActionSucceeded, CompletionTime: &at}
	}
	ex := func(approve, by string) *drv1.DRPlanExecution {
		e := &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{}}}
		if approve != "" {
			e.Annotations[drv1.AnnotationApprove] = approve
		}
		if by != "" {
			e.Annotations[drv1.AnnotationApproveRequestedBy] = by
		}
		return e
	}
	earlier := &drv1.ApprovalRecord{ApprovedBy: "bob", Via: drv1.ApprovalViaAnnotation}
	for _, tc := range []struct {
		name string
		cur  drv1.ActionStatus
		prev []drv1.ActionStatus
		ex   *drv1.DRPlanExecution
		want *drv1.ApprovalRecord
	}{
		{"approved by the annotation", done("gate"), nil, ex("other, gate", "alice"),
			&drv1.ApprovalRecord{ApprovedBy: "alice", ApprovedAt: &at, Via: drv1.ApprovalViaAnnotation}},
		{"approved by the annotation without the webhook: user unknown", done("gate"), nil, ex("gate", ""),
			&drv1.ApprovalRecord{ApprovedAt: &at, Via: drv1.ApprovalViaAnnotation}},
		{"resumed from Argo", done("gate"), nil, ex("", ""), &drv1.ApprovalRecord{ApprovedAt: &at, Via: drv1.ApprovalViaArgo}},
		{"an earlier record stays", done("gate"), []drv1.ActionStatus{{Name: "gate", Approval: earlier}}, ex("gate", "mallory"), earlier},
		{"went on by its timeout, even with the annotation set later", func() drv1.ActionStatus {
			a := done("gate")
			_, a.Message = engine.ApprovalTimeoutEnd(time.Minute, drv1.ApprovalTimeoutContinue)
			return a
		}(), nil, ex("gate", "alice"), &drv1.ApprovalRecord{ApprovedAt: &at, Via: drv1.ApprovalViaTimeout}},
		{"still waiting: no record", drv1.ActionStatus{Name: "gate", Phase: drv1.ActionRunning}, nil, ex("", ""), nil},
		{"not an Approval action", done("notify"), nil, ex("notify", "alice"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := []drv1.ActionStatus{tc.cur}
			recordApprovals(cur, tc.prev, []string{"gate"}, tc.ex)
			NewWithT(t).Expect(cur[0].Approval).To(Equal(tc.want))
		})
	}
}

func TestNewApprovals(t *testing.T) {
	g := NewWithT(t)
	started := metav1.NewTime(time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC))
	approvedAt := metav1.NewTime(started.Add(90 * time.Second))
	st := func(rec *drv1.ApprovalRecord, start *metav1.Time) drv1.DRPlanExecutionStatus {
		return drv1.DRPlanExecutionStatus{StageStatuses: []drv1.StageStatus{{Name: "s", WorkflowExecutions: []drv1.WorkflowExecutionStatus{{
			WorkflowRef: drv1.ObjectReference{Name: "w"}, ActionStatuses: []drv1.ActionStatus{{Name: "gate", StartTime: start, Approval: rec}}}}}}}
	}
	rec := &drv1.ApprovalRecord{ApprovedBy: "alice", ApprovedAt: &approvedAt, Via: drv1.ApprovalViaAnnotation}
	g.Expect(newApprovals(st(nil, &started), st(rec, &started))).To(Equal([]approvalNote{{
		message: "action gate of workflow w (stage s) approved by alice via Annotation",
		via:     drv1.ApprovalViaAnnotation, waited: 90 * time.Second}}))
	g.Expect(newApprovals(st(rec, &started), st(rec, &started))).To(BeEmpty(), "an event on the transition only")
	g.Expect(newApprovals(st(nil, nil), st(&drv1.ApprovalRecord{Via: drv1.ApprovalViaArgo}, nil))).To(Equal([]approvalNote{{
		message: "action gate of workflow w (stage s) approved by an unknown user via Argo",
		via:     drv1.ApprovalViaArgo, waited: -1}}), "no start or approval time: no wait to observe")

	timedOut := st(&drv1.ApprovalRecord{ApprovedAt: &approvedAt, Via: drv1.ApprovalViaTimeout}, &started)
	_, timedOut.StageStatuses[0].WorkflowExecutions[0].ActionStatuses[0].Message = engine.ApprovalTimeoutEnd(90*time.Second, drv1.ApprovalTimeoutContinue)
	g.Expect(newApprovals(st(nil, &started), timedOut)).To(Equal([]approvalNote{{
		message: "action gate of workflow w (stage s) went on without approval: no approval within 1m30s: went on without approval (timeoutOutcome Continue)",
		via:     drv1.ApprovalViaTimeout, waited: 90 * time.Second}}))
}

func TestApprovalDeadlines(t *testing.T) {
	start := metav1.NewTime(time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC))
	approval := func(name string, timeout time.Duration) drv1.Action {
		a := drv1.Action{Name: name, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeApproval, Approval: &drv1.ApprovalAction{Message: "m"}}}
		if timeout > 0 {
			a.Timeout = drv1.Duration(timeout)
		}
		return a
	}
	wf := &drv1.DRWorkflow{Spec: drv1.DRWorkflowSpec{Actions: []drv1.Action{
		approval("timed", 10*time.Minute), approval("untimed", 0), approval("done", time.Minute),
		{Name: "http", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP, Timeout: drv1.Duration(time.Minute)}},
	}}}
	statuses := []drv1.ActionStatus{
		{Name: "timed", Phase: drv1.ActionRunning, StartTime: &start},
		{Name: "untimed", Phase: drv1.ActionRunning, StartTime: &start},
		{Name: "done", Phase: drv1.ActionSucceeded, StartTime: &start},
		{Name: "http", Phase: drv1.ActionRunning, StartTime: &start},
	}
	NewWithT(t).Expect(approvalDeadlines(statuses, wf)).To(Equal([]time.Time{start.Add(10 * time.Minute)}))
}

func TestApprovalWaitsGaugeFollowsEntriesAndDropsEndedExecutions(t *testing.T) {
	g := NewWithT(t)
	var w approvalWaits
	a := types.NamespacedName{Namespace: "gauge-ns", Name: "a"}
	b := types.NamespacedName{Namespace: "gauge-ns", Name: "b"}
	waiting := func() float64 { return testutil.ToFloat64(approvalsWaiting.WithLabelValues("gauge-ns", "p")) }
	w.set(a, "p", "one/w1", 2)
	w.set(a, "p", "one/w2", 1)
	w.set(b, "p", "one/w1", 1)
	g.Expect(waiting()).To(Equal(4.0))
	w.set(a, "p", "one/w1", 2) // a sync that changed nothing
	w.set(a, "p", "one/w1", 0) // both approved
	g.Expect(waiting()).To(Equal(2.0))
	w.drop(a) // stopped running: its remaining wait goes
	g.Expect(waiting()).To(Equal(1.0))
	w.drop(a)
	w.drop(b)
	g.Expect(waiting()).To(BeZero())
	w.set(a, "p", "one/w1", 0) // nothing waiting: nothing remembered
	g.Expect(w.byExec).To(BeEmpty())
}

func TestWaitingApprovalsCountsRunningApprovalActionsOnly(t *testing.T) {
	statuses := []drv1.ActionStatus{
		{Name: "gate", Phase: drv1.ActionRunning}, {Name: "gate2", Phase: drv1.ActionSucceeded},
		{Name: "notify", Phase: drv1.ActionRunning}, {Name: "gate3", Phase: drv1.ActionPending},
	}
	NewWithT(t).Expect(waitingApprovals(statuses, []string{"gate", "gate2", "gate3"})).To(Equal(1))
}
