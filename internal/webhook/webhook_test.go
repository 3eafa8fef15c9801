package webhook

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

func newFake(t testing.TB, objs ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	if err := drv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
}

func exec(name, plan string, phase drv1.ExecutionPhase) *drv1.DRPlanExecution {
	return &drv1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
		Spec:       drv1.DRPlanExecutionSpec{PlanRef: plan, OperationType: drv1.OperationExecute},
		Status:     drv1.DRPlanExecutionStatus{Phase: phase},
	}
}

func TestActiveExecutions(t *testing.T) {
	// The lock is read from the API server, not from the plan passed in (which may be a stale cached copy).
	plan := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}
	plan.Status.CurrentExecution = &drv1.ObjectReference{Name: "locker"}
	c := newFake(t, plan.DeepCopy(),
		exec("done", "p", drv1.ExecutionSucceeded),
		exec("failed", "p", drv1.ExecutionFailed),
		exec("canceled", "p", drv1.ExecutionCanceled),
		exec("new", "p", ""),
		exec("running", "p", drv1.ExecutionRunning),
		exec("self", "p", drv1.ExecutionPending),
		exec("other-plan", "q", drv1.ExecutionRunning),
		exec("locker", "q", drv1.ExecutionRunning),
	)
	r := newReaders(c, c)
	cachedCopy := plan.DeepCopy()
	cachedCopy.Status.CurrentExecution = nil // the cache has not seen the lock yet
	got, err := r.activeExecutions(context.Background(), cachedCopy, "self")
	if err != nil {
		t.Fatal(err)
	}
	want := "locker (Running), new (not started), running (Running)"
	if strings.Join(got, ", ") != want {
		t.Fatalf("got %q, want %q", strings.Join(got, ", "), want)
	}

	// A lock naming an execution that is gone or finished does not count.
	plan.Status.CurrentExecution = &drv1.ObjectReference{Name: "vanished"}
	c2 := newFake(t, plan.DeepCopy(), exec("done", "p", drv1.ExecutionSucceeded))
	got, err = newReaders(c2, c2).activeExecutions(context.Background(), plan, "")
	if err != nil || len(got) != 0 {
		t.Fatalf("stale lock: got %v, %v", got, err)
	}
}

func TestPlansReferencing(t *testing.T) {
	mk := func(ns, name string, refs ...drv1.ObjectReference) *drv1.DRPlan {
		p := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		st := drv1.Stage{Name: "s"}
		for _, r := range refs {
			st.Workflows = append(st.Workflows, drv1.WorkflowEntry{WorkflowRef: r})
		}
		p.Spec.Stages = []drv1.Stage{st}
		return p
	}
	deleting := mk("a", "deleting", drv1.ObjectReference{Name: "wf"})
	deleting.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	deleting.Finalizers = []string{"test/keep"}
	c := newFake(t,
		mk("a", "same-ns", drv1.ObjectReference{Name: "wf"}),
		mk("b", "cross-ns", drv1.ObjectReference{Name: "wf", Namespace: "a"}),
		mk("b", "same-name-other-ns", drv1.ObjectReference{Name: "wf"}),
		mk("a", "other-wf", drv1.ObjectReference{Name: "wf2"}),
		deleting,
	)
	wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "wf"}}
	got, err := newReaders(c, c).plansReferencing(context.Background(), wf)
	if err != nil {
		t.Fatal(err)
	}
	if want := "a/same-ns, b/cross-ns"; strings.Join(got, ", ") != want {
		t.Fatalf("got %q, want %q", strings.Join(got, ", "), want)
	}
}

func TestExecutionSpecImmutable(t *testing.T) {
	v := &DRPlanExecutionValidator{}
	old := exec("e", "p", "")
	old.Spec.Params = []drv1.ParamValue{{Name: "a", Value: "1"}}

	same := old.DeepCopy()
	same.Annotations = map[string]string{drv1.AnnotationCancel: "true"}
	same.Status.Phase = drv1.ExecutionRunning
	if _, err := v.ValidateUpdate(context.Background(), old, same); err != nil {
		t.Fatalf("metadata change rejected: %v", err)
	}

	// An empty operationType is Execute: defaulting must not count as a change.
	defaulted := old.DeepCopy()
	defaulted.Spec.OperationType = ""
	if _, err := v.ValidateUpdate(context.Background(), old, defaulted); err != nil {
		t.Fatalf("defaulted operationType rejected: %v", err)
	}

	changed := old.DeepCopy()
	changed.Spec.PlanRef = "q"
	changed.Spec.OperationType = drv1.OperationRevert
	changed.Spec.RevertExecutionRef = "x"
	changed.Spec.Params[0].Value = "2"
	_, err := v.ValidateUpdate(context.Background(), old, changed)
	if !apierrors.IsInvalid(err) {
		t.Fatalf("want Invalid, got %v", err)
	}
	for _, f := range []string{"spec.planRef", "spec.operationType", "spec.revertExecutionRef", "spec.params", "immutable"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("message %q does not name %s", err.Error(), f)
		}
	}
}

func TestRevertSelf(t *testing.T) {
	c := newFake(t)
	v := &DRPlanExecutionValidator{readers: newReaders(c, c)}
	r := exec("r", "p", "")
	r.Spec.OperationType = drv1.OperationRevert
	r.Spec.RevertExecutionRef = "r"
	_, errs, err := v.validateRevert(context.Background(), r)
	if err != nil || len(errs) != 1 || !strings.Contains(errs[0].Error(), "cannot revert itself") {
		t.Fatalf("got %v, %v", errs, err)
	}
}
