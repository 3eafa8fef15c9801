package argoexec

import (
	"context"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/drplan/drplan-operator/api/v1alpha1"
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
// the deadline: the engine's Source does, once per Workflow.
func TestPickupDeadlineWakesTheExecution(t *testing.T) {
	g := NewWithT(t)
	// The API server (and the fake client) keep creationTimestamp to the second: the deadline is 2 to 3 s away.
	e, _, _ := newEngine(unpicked(time.Now()))
	e.PickupTimeout = 3 * time.Second
	_ = e.Source()
	events := e.wakes.channel()
	run := testRun()
	for i := 0; i < 3; i++ {
		st, err := e.Sync(context.Background(), run)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(st.Waiting).To(BeEmpty())
	}
	var ev event.GenericEvent
	g.Eventually(events, 6*time.Second).Should(Receive(&ev))
	g.Expect(types.NamespacedName{Namespace: ev.Object.GetNamespace(), Name: ev.Object.GetName()}).
		To(Equal(types.NamespacedName{Namespace: "ns", Name: "ex"}), "the execution is woken, not the Workflow")
	g.Consistently(events, 2*time.Second).ShouldNot(Receive(), "three Syncs before the deadline wake it once")
	st, err := e.Sync(context.Background(), run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Waiting).To(ContainSubstring("has picked up Workflow ex-s-0-wf in namespace ns for 3s"))
}
