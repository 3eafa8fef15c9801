package controller

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

func lockFixture(objs ...client.Object) (*DRPlanExecutionReconciler, client.Client) {
	c := fake.NewClientBuilder().WithScheme(NewScheme()).WithObjects(objs...).
		WithStatusSubresource(&drv1.DRPlan{}, &drv1.DRPlanExecution{}).Build()
	return &DRPlanExecutionReconciler{Client: c, APIReader: c}, c
}

func planObj(limit int32) *drv1.DRPlan {
	return &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
		Spec: drv1.DRPlanSpec{ExecutionHistoryLimit: &limit, Stages: []drv1.Stage{{Name: "s"}}}}
}

func execObj(name string, phase drv1.ExecutionPhase) *drv1.DRPlanExecution {
	ex := &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: drv1.DRPlanExecutionSpec{PlanRef: "p"}, Status: drv1.DRPlanExecutionStatus{Phase: phase}}
	if phase.IsTerminal() {
		t := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		ex.Status.StartTime, ex.Status.CompletionTime = &t, &t
	}
	return ex
}

func TestPlanLock(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a, b := execObj("a", drv1.ExecutionRunning), execObj("b", "")
	r, c := lockFixture(planObj(2), a, b)
	plan := &drv1.DRPlan{}
	get := func() *drv1.DRPlan {
		g.Expect(c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "p"}, plan)).To(Succeed())
		return plan
	}

	holder, err := r.acquirePlanLock(ctx, get(), a)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(holder).To(BeEmpty())
	g.Expect(get().Status.CurrentExecution.Name).To(Equal("a"))

	holder, err = r.acquirePlanLock(ctx, get(), b)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(holder).To(Equal("a"), "a live holder keeps the lock")

	// A write from a stale copy of the plan loses (optimistic concurrency).
	stale := get().DeepCopy()
	stale.Status.CurrentExecution = nil
	stale.ResourceVersion = "1"
	_, err = r.acquirePlanLock(ctx, stale, b)
	g.Expect(err).To(MatchError(errLockConflict))

	// a finishes: the plan records it, releases the lock, and b may take it.
	a.Status = execObj("a", drv1.ExecutionSucceeded).Status
	g.Expect(c.Status().Update(ctx, a)).To(Succeed())
	g.Expect(r.releasePlanLock(ctx, a)).To(Succeed())
	p := get()
	g.Expect(p.Status.CurrentExecution).To(BeNil())
	g.Expect(p.Status.LastExecutionRef.Name).To(Equal("a"))
	g.Expect(p.Status.Phase).To(Equal(drv1.DRPlanExecuted))
	g.Expect(p.Status.ExecutionHistory).To(HaveLen(1))
	g.Expect(r.releasePlanLock(ctx, a)).To(Succeed(), "idempotent")
	g.Expect(get().Status.ExecutionHistory).To(HaveLen(1))

	holder, err = r.acquirePlanLock(ctx, get(), b)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(holder).To(BeEmpty())

	// History is newest first and bounded by executionHistoryLimit.
	for _, name := range []string{"b", "c", "d"} {
		ex := execObj(name, drv1.ExecutionFailed)
		g.Expect(r.releasePlanLock(ctx, ex)).To(Succeed())
	}
	h := get().Status.ExecutionHistory
	g.Expect(h).To(HaveLen(2))
	g.Expect(h[0].Name).To(Equal("d"))
	g.Expect(h[1].Name).To(Equal("c"))
	g.Expect(get().Status.CurrentExecution).To(BeNil(), "b released it")

	// An execution rejected as concurrent never held the lock and is not history.
	rejected := execObj("e", drv1.ExecutionFailed)
	meta.SetStatusCondition(&rejected.Status.Conditions, metav1.Condition{Type: drv1.ConditionCompleted,
		Status: metav1.ConditionTrue, Reason: drv1.ReasonConcurrentExecution})
	g.Expect(r.releasePlanLock(ctx, rejected)).To(Succeed())
	g.Expect(get().Status.ExecutionHistory[0].Name).To(Equal("d"))
}

func TestPlanLockTakesOverFromFinishedHolder(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	p := planObj(10)
	p.Status.CurrentExecution = &drv1.ObjectReference{Name: "gone"}
	r, c := lockFixture(p, execObj("b", ""))
	plan := &drv1.DRPlan{}
	g.Expect(c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "p"}, plan)).To(Succeed())
	holder, err := r.acquirePlanLock(ctx, plan, execObj("b", ""))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(holder).To(BeEmpty(), "a holder that no longer exists is stale")
}
