package argoexec

import (
	"context"
	"errors"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

type fakeCompiler struct {
	calls int
	err   error
}

func (f *fakeCompiler) Name(run *engine.Run) string { return run.Execution.Name + "-s-0-wf" }
func (f *fakeCompiler) Compile(run *engine.Run) (*wfv1.Workflow, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	wf := testWF(f.Name(run), [3]string{"a", "a", "http"})
	wf.UID = ""
	wf.Status = wfv1.WorkflowStatus{}
	wf.Labels = map[string]string{v1alpha1.LabelExecution: run.Execution.Name}
	return wf, nil
}

func newEngine(objs ...client.Object) (*Engine, client.Client, *fakeCompiler) {
	s := runtime.NewScheme()
	_ = wfv1.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
	fc := &fakeCompiler{}
	return &Engine{Client: c, APIReader: c, Compiler: fc}, c, fc
}

func testRun() *engine.Run {
	ex := &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: "ex", Namespace: "ns", UID: "ex-uid"}}
	return &engine.Run{Execution: ex, PlanName: "p", StageName: "s", Direction: engine.Forward,
		Workflow: &v1alpha1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "wf", Namespace: "ns"}}}
}

func TestSyncCreatesOnceThenObserves(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	e, c, fc := newEngine()
	run := testRun()
	st, err := e.Sync(ctx, run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionPending))
	g.Expect(st.ArgoWorkflow.Name).To(Equal("ex-s-0-wf"))
	g.Expect(st.Actions).To(HaveLen(1))

	wf := &wfv1.Workflow{}
	g.Expect(c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "ex-s-0-wf"}, wf)).To(Succeed())
	g.Expect(wf.OwnerReferences).To(HaveLen(1))
	g.Expect(wf.OwnerReferences[0].UID).To(Equal(types.UID("ex-uid")))

	_, err = e.Sync(ctx, run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fc.calls).To(Equal(1))
	list := &wfv1.WorkflowList{}
	g.Expect(c.List(ctx, list)).To(Succeed())
	g.Expect(list.Items).To(HaveLen(1))

	g.Expect(e.Cancel(ctx, run)).To(Succeed())
	g.Expect(c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "ex-s-0-wf"}, wf)).To(Succeed())
	g.Expect(wf.Spec.Shutdown).To(Equal(wfv1.ShutdownStrategyTerminate))
	g.Expect(wf.Status.Phase).To(BeEmpty(), "the engine never writes Argo's status")
}

func TestSyncRefusesForeignWorkflow(t *testing.T) {
	g := NewWithT(t)
	foreign := testWF("ex-s-0-wf", [3]string{"a", "a", "http"})
	foreign.OwnerReferences = []metav1.OwnerReference{{APIVersion: "x/v1", Kind: "DRPlanExecution", Name: "ex", UID: "other"}}
	e, _, fc := newEngine(foreign)
	st, err := e.Sync(context.Background(), testRun())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(st.Message).To(ContainSubstring("belongs to another execution"))
	g.Expect(fc.calls).To(Equal(0))
}

func TestSyncDeletedExternally(t *testing.T) {
	g := NewWithT(t)
	e, _, fc := newEngine()
	run := testRun()
	run.Recorded = &v1alpha1.WorkflowExecutionStatus{
		ArgoWorkflow:   &v1alpha1.ArgoWorkflowRef{Name: "ex-s-0-wf", Namespace: "ns", UID: "gone"},
		ActionStatuses: []v1alpha1.ActionStatus{{Name: "a", Phase: v1alpha1.ActionRunning}},
	}
	st, err := e.Sync(context.Background(), run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(st.Message).To(ContainSubstring("was deleted outside the operator"))
	g.Expect(st.Actions[0].Phase).To(Equal(v1alpha1.ActionCanceled))
	g.Expect(fc.calls).To(Equal(0), "never recreated")
}

func TestSyncCompileError(t *testing.T) {
	g := NewWithT(t)
	e, _, fc := newEngine()
	fc.err = errors.New("template: undefined param x")
	st, err := e.Sync(context.Background(), testRun())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(st.Message).To(ContainSubstring("undefined param x"))
}

func TestSyncUnreadableWorkflowFailsAndStopsIt(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("ex-s-0-wf", [3]string{"a", "a", "http"})
	wf.UID = ""
	wf.OwnerReferences = []metav1.OwnerReference{{APIVersion: "x/v1", Kind: "DRPlanExecution", Name: "ex", UID: "ex-uid"}}
	wf.Status.Phase = wfv1.WorkflowRunning
	wf.Status.Nodes = nil
	wf.Status.OffloadNodeStatusVersion = "fnv:1"
	e, c, _ := newEngine(wf)
	st, err := e.Sync(context.Background(), testRun())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(st.Message).To(ContainSubstring("offloaded"))
	g.Expect(st.ArgoWorkflow.Name).To(Equal("ex-s-0-wf"))
	got := &wfv1.Workflow{}
	g.Expect(c.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "ex-s-0-wf"}, got)).To(Succeed())
	g.Expect(got.Spec.Shutdown).To(Equal(wfv1.ShutdownStrategyTerminate))
}
