package nativeexec

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

func approvalAction(name string, deps ...string) v1alpha1.Action {
	return v1alpha1.Action{Name: name, DependsOn: deps, ActionBody: v1alpha1.ActionBody{Type: v1alpha1.ActionTypeApproval,
		Approval: &v1alpha1.ApprovalAction{Message: "check the standby"}}}
}

func TestApprovalWaitsUntilApproved(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, nil)
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", approvalAction("go-ahead"), httpAction("after", srv.URL+"/after")))
	run.Approved = []string{"other"}
	g.Consistently(func() []v1alpha1.ActionPhase {
		st, err := e.Sync(context.Background(), run)
		g.Expect(err).NotTo(HaveOccurred())
		record(run, st)
		return []v1alpha1.ActionPhase{actionNamed(t, st, "go-ahead").Phase, actionNamed(t, st, "after").Phase}
	}, 500*time.Millisecond).Should(Equal([]v1alpha1.ActionPhase{v1alpha1.ActionRunning, v1alpha1.ActionPending}))
	st, _ := e.Sync(context.Background(), run)
	g.Expect(actionNamed(t, st, "go-ahead").Message).To(Equal("waiting for approval: check the standby"))
	g.Expect(srv.callsTo("/after")).To(BeZero())

	run.Approved = []string{"go-ahead"}
	st = driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded))
	g.Expect(actionNamed(t, st, "go-ahead").Phase).To(Equal(v1alpha1.ActionSucceeded))
	g.Expect(actionNamed(t, st, "go-ahead").CompletionTime).NotTo(BeNil())
	g.Expect(srv.callsTo("/after")).To(Equal(1))
}

func TestCancelEndsAWaitingApproval(t *testing.T) {
	g := NewWithT(t)
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", approvalAction("go-ahead")))
	st, err := e.Sync(context.Background(), run)
	g.Expect(err).NotTo(HaveOccurred())
	record(run, st)
	g.Expect(e.Cancel(context.Background(), run)).To(Succeed())
	st = driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionCanceled))
	g.Expect(actionNamed(t, st, "go-ahead").Phase).To(Equal(v1alpha1.ActionCanceled))
}
