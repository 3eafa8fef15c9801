package argoexec

import (
	"context"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// unpicked is the run's Workflow as the API server holds it before any workflow-controller looked at it.
func unpicked(created time.Time) *wfv1.Workflow {
	wf := testWF("ex-s-0-wf", [3]string{"a", "a", "http"})
	wf.Labels = map[string]string{v1alpha1.LabelExecution: "ex"}
	wf.CreationTimestamp = metav1.NewTime(created)
	wf.Status = wfv1.WorkflowStatus{}
	return wf
}

func TestPickupDeadline(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	running := unpicked(now.Add(-2 * time.Minute))
	running.Status.Phase = wfv1.WorkflowRunning
	running.Status.StartedAt = metav1.NewTime(now.Add(-2 * time.Minute))
	stopped := unpicked(now.Add(-2 * time.Minute))
	stopped.Spec.Shutdown = wfv1.ShutdownStrategyTerminate
	for _, tc := range []struct {
		name        string
		wf          *wfv1.Workflow
		timeout     time.Duration
		wantWaiting string
		wantPhase   v1alpha1.ExecutionPhase
	}{
		{name: "untouched for less than the deadline", wf: unpicked(now.Add(-59 * time.Second)), wantPhase: v1alpha1.ExecutionPending},
		{name: "untouched past the default deadline", wf: unpicked(now.Add(-61 * time.Second)), wantPhase: v1alpha1.ExecutionPending,
			wantWaiting: "no Argo workflow-controller has picked up Workflow ex-s-0-wf in namespace ns for 1m0s: " +
				"is Argo installed and watching this namespace?"},
		{name: "a shorter deadline from the flag", wf: unpicked(now.Add(-11 * time.Second)), timeout: 10 * time.Second,
			wantPhase: v1alpha1.ExecutionPending,
			wantWaiting: "no Argo workflow-controller has picked up Workflow ex-s-0-wf in namespace ns for 10s: " +
				"is Argo installed and watching this namespace?"},
		{name: "picked up long ago", wf: running, wantPhase: v1alpha1.ExecutionRunning},
		{name: "stopped before any controller looked", wf: stopped, wantPhase: v1alpha1.ExecutionCanceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			e, _, fc := newEngine(tc.wf)
			e.Now = func() time.Time { return now }
			e.PickupTimeout = tc.timeout
			st, err := e.Sync(context.Background(), testRun())
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(st.Waiting).To(Equal(tc.wantWaiting))
			g.Expect(st.Phase).To(Equal(tc.wantPhase), "waiting for a controller never fails the run")
			g.Expect(fc.calls).To(BeZero())
		})
	}
}

// Nothing changes on a Workflow no controller touches, so no watch event would bring the reconciler back at
// the deadline: Sync asks for a wake-up at it (engine.WakeAt), and past it reports the wait.
func TestPickupDeadlineAsksForAWakeUp(t *testing.T) {
	g := NewWithT(t)
	created := time.Now().Truncate(time.Second)
	e, _, _ := newEngine(unpicked(created))
	e.PickupTimeout = 3 * time.Second
	now := created.Add(time.Second)
	e.Now = func() time.Time { return now }
	run := testRun()

	ctx, wakes := engine.WithWakeups(context.Background())
	st, err := e.Sync(ctx, run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Waiting).To(BeEmpty())
	g.Expect(wakes.After(now)).To(Equal(2*time.Second+500*time.Millisecond), "woken at the deadline, with slack")

	now = created.Add(3 * time.Second)
	ctx, wakes = engine.WithWakeups(context.Background())
	st, err = e.Sync(ctx, run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Waiting).To(ContainSubstring("has picked up Workflow ex-s-0-wf in namespace ns for 3s"))
	g.Expect(wakes.After(now)).To(BeZero(), "past the deadline the wait is reported, no wake-up asked")
}
