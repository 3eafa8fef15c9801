package controller

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
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
	st := func(rec *drv1.ApprovalRecord) drv1.DRPlanExecutionStatus {
		return drv1.DRPlanExecutionStatus{StageStatuses: []drv1.StageStatus{{Name: "s", WorkflowExecutions: []drv1.WorkflowExecutionStatus{{
			WorkflowRef: drv1.ObjectReference{Name: "w"}, ActionStatuses: []drv1.ActionStatus{{Name: "gate", Approval: rec}}}}}}}
	}
	rec := &drv1.ApprovalRecord{ApprovedBy: "alice", Via: drv1.ApprovalViaAnnotation}
	g.Expect(newApprovals(st(nil), st(rec))).To(Equal([]string{"action gate of workflow w (stage s) approved by alice via Annotation"}))
	g.Expect(newApprovals(st(rec), st(rec))).To(BeEmpty(), "an event on the transition only")
	g.Expect(newApprovals(st(nil), st(&drv1.ApprovalRecord{Via: drv1.ApprovalViaArgo}))).To(Equal(
		[]string{"action gate of workflow w (stage s) approved by an unknown user via Argo"}))
}
