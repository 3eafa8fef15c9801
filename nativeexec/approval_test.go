package nativeexec

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
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

func TestApprovalTimeoutEndsTheWaitByItsOutcome(t *testing.T) {
	for _, tc := range []struct {
		outcome   v1alpha1.ApprovalTimeoutOutcome
		wantPhase v1alpha1.ActionPhase
		wantRun   v1alpha1.ExecutionPhase
		afterRuns int
	}{
		{"", v1alpha1.ActionFailed, v1alpha1.ExecutionFailed, 0},
		{v1alpha1.ApprovalTimeoutContinue, v1alpha1.ActionSucceeded, v1alpha1.ExecutionSucceeded, 1},
	} {
		t.Run(string(tc.outcome), func(t *testing.T) {
			g := NewWithT(t)
			srv := newHookServer(t, nil)
			clock := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
			notified := make(chan types.NamespacedName, 64)
			e, err := New(Options{Config: &rest.Config{Host: "https://127.0.0.1:1"}, Now: func() time.Time { return clock },
				Notify: func(n types.NamespacedName) {
					select {
					case notified <- n:
					default:
					}
				}})
			g.Expect(err).NotTo(HaveOccurred())
			gate := approvalAction("go-ahead")
			gate.Timeout = v1alpha1.Duration(10 * time.Minute)
			if tc.outcome != "" {
				gate.Approval.TimeoutOutcome = tc.outcome
			}
			run := testRun(testWorkflow("", gate, httpAction("after", srv.URL+"/after", "go-ahead")))
			st, err := e.Sync(context.Background(), run)
			g.Expect(err).NotTo(HaveOccurred())
			record(run, st)

			clock = clock.Add(10*time.Minute - time.Second)
			st, _ = e.Sync(context.Background(), run)
			g.Expect(actionNamed(t, st, "go-ahead").Phase).To(Equal(v1alpha1.ActionRunning), "a second before the deadline")
			record(run, st)

			clock = clock.Add(time.Second)
			st = driveToEnd(t, e, run, notified)
			gateSt := actionNamed(t, st, "go-ahead")
			g.Expect(gateSt.Phase).To(Equal(tc.wantPhase))
			g.Expect(engine.EndedByApprovalTimeout(gateSt.Message)).To(BeTrue(), gateSt.Message)
			g.Expect(gateSt.Message).To(ContainSubstring("10m0s"))
			g.Expect(st.Phase).To(Equal(tc.wantRun))
			g.Expect(srv.callsTo("/after")).To(Equal(tc.afterRuns))
		})
	}
}

// TestApprovalGivenWhileNoOperatorRan: the approve annotation set while the operator was down must end the wait
// on the first Sync of the next operator, because nothing else wakes the run (found by test/e2e/killpoints).
func TestApprovalGivenWhileNoOperatorRan(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, nil)
	before, _ := testEngine(t)
	run := testRun(testWorkflow("", approvalAction("go-ahead"), httpAction("after", srv.URL+"/after", "go-ahead")))
	st, err := before.Sync(context.Background(), run)
	g.Expect(err).NotTo(HaveOccurred())
	record(run, st)
	g.Expect(actionNamed(t, st, "go-ahead").Phase).To(Equal(v1alpha1.ActionRunning))

	after, notified := testEngine(t) // a new operator process: no memory of the run but its recorded status
	run.Approved = []string{"go-ahead"}
	st, err = after.Sync(context.Background(), run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(actionNamed(t, st, "go-ahead").Phase).To(Equal(v1alpha1.ActionSucceeded), "the first Sync acts on the approval")
	record(run, st)
	st = driveToEnd(t, after, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded))
	g.Expect(srv.callsTo("/after")).To(Equal(1))
}
