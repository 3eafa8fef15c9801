package controller

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// One reconcile of two parallel entries, each synced once (in either order): the PickedUp condition follows
// what the runs reported, not the order they were synced in.
func TestPickedUpCondition(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	waitA := "no Argo workflow-controller has picked up Workflow a in namespace ns for 1m0s: is Argo installed and watching this namespace?"
	waitB := "no Argo workflow-controller has picked up Workflow b in namespace ns for 1m0s: is Argo installed and watching this namespace?"
	pending := engine.RunStatus{Phase: drv1.ExecutionPending}
	running := engine.RunStatus{Phase: drv1.ExecutionRunning}
	for _, tc := range []struct {
		name       string
		prior      *metav1.ConditionStatus
		a, b       engine.RunStatus
		wantStatus metav1.ConditionStatus // "" = no condition
		wantMsg    string
	}{
		{name: "nothing waits, nothing ever waited", a: running, b: pending},
		{name: "a waits", a: withWaiting(pending, waitA), b: running, wantStatus: metav1.ConditionFalse, wantMsg: waitA},
		{name: "both wait", a: withWaiting(pending, waitA), b: withWaiting(pending, waitB), wantStatus: metav1.ConditionFalse},
		{name: "both were waiting, now both picked up", prior: ptr(metav1.ConditionFalse), a: running, b: running,
			wantStatus: metav1.ConditionTrue},
		{name: "both were waiting, b still waits", prior: ptr(metav1.ConditionFalse), a: running, b: withWaiting(pending, waitB),
			wantStatus: metav1.ConditionFalse, wantMsg: waitB},
	} {
		for _, order := range [][2]int{{0, 1}, {1, 0}} {
			t.Run(tc.name, func(t *testing.T) {
				g := NewWithT(t)
				st := &drv1.DRPlanExecutionStatus{StageStatuses: []drv1.StageStatus{*entries(drv1.ExecutionRunning, drv1.ExecutionRunning)}}
				if tc.prior != nil {
					st.StageStatuses[0].WorkflowExecutions[0].Message = waitA
					st.StageStatuses[0].WorkflowExecutions[1].Message = waitB
					noteWaiting(st, waitA, 1, now)
				}
				runs := []engine.RunStatus{tc.a, tc.b}
				for _, k := range order {
					applyRun(&st.StageStatuses[0].WorkflowExecutions[k], runs[k], now)
					if runs[k].Waiting != "" {
						noteWaiting(st, runs[k].Waiting, 1, now)
					}
				}
				settlePickedUp(st, 1, now)
				c := meta.FindStatusCondition(st.Conditions, drv1.ConditionPickedUp)
				if tc.wantStatus == "" {
					g.Expect(c).To(BeNil())
					return
				}
				g.Expect(c).NotTo(BeNil())
				g.Expect(c.Status).To(Equal(tc.wantStatus))
				if tc.wantStatus == metav1.ConditionFalse {
					g.Expect(c.Reason).To(Equal(drv1.ReasonWorkflowNotPickedUp))
					g.Expect([]string{waitA, waitB}).To(ContainElement(c.Message))
				}
				if tc.wantMsg != "" {
					g.Expect(c.Message).To(Equal(tc.wantMsg))
				}
			})
		}
	}
}

func TestApplyRunShowsWhyARunWaits(t *testing.T) {
	g := NewWithT(t)
	e := &drv1.WorkflowExecutionStatus{Phase: drv1.ExecutionRunning}
	applyRun(e, engine.RunStatus{Phase: drv1.ExecutionPending, Waiting: "no controller"}, metav1.Now())
	g.Expect(e.Phase).To(Equal(drv1.ExecutionRunning), "still waiting, not failed")
	g.Expect(e.Message).To(Equal("no controller"))
}

func withWaiting(rs engine.RunStatus, msg string) engine.RunStatus {
	rs.Waiting = msg
	return rs
}

func ptr[T any](v T) *T { return &v }
