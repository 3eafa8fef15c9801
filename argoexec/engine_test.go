package argoexec

import (
	"context"
	"errors"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/translator"
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
	_ = batchv1.AddToScheme(s)
	_ = corev1.AddToScheme(s)
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

// recordingExecutor hands out one client for every ServiceAccount and remembers which were asked for.
type recordingExecutor struct {
	client client.Client
	asked  []string
}

func (r *recordingExecutor) ForServiceAccount(namespace, name string) (client.Client, error) {
	r.asked = append(r.asked, namespace+"/"+name)
	return r.client, nil
}

func jobTemplate(name, job, execution string) wfv1.Template {
	return wfv1.Template{Name: name, Resource: &wfv1.ResourceTemplate{Action: "apply", Manifest: "apiVersion: batch/v1\nkind: Job\n" +
		"metadata:\n  name: " + job + "\n  labels:\n    " + v1alpha1.LabelExecution + ": " + execution + "\n"}}
}

// jobWF is the run's Workflow (labelled with the execution) with the given templates added.
func jobWF(templates ...wfv1.Template) *wfv1.Workflow {
	wf := testWF("ex-s-0-wf")
	wf.Labels = map[string]string{v1alpha1.LabelExecution: "ex"}
	wf.Spec.Templates = append(wf.Spec.Templates, templates...)
	return wf
}

func testJob(name, execution string, finished bool) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid"),
		Labels: map[string]string{v1alpha1.LabelExecution: execution}}}
	if finished {
		j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}
	}
	return j
}

// TestCancelDeletesUnfinishedJobs: Argo's shutdown does not stop a Job a resource template created, so Cancel
// deletes the run's unfinished Jobs, as the workflow's executor ServiceAccount; finished Jobs, Jobs without
// the run's execution label and other kinds stay.
func TestCancelDeletesUnfinishedJobs(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	run := testRun()
	wf := jobWF(jobTemplate("running", "j-running", "ex"), jobTemplate("done", "j-done", "ex"),
		jobTemplate("reused", "j-reused", "ex"), jobTemplate("gone", "j-gone", "ex"),
		wfv1.Template{Name: "cm", Resource: &wfv1.ResourceTemplate{Action: "create", Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: j-running\n"}})
	wf.Spec.ServiceAccountName = "runner"
	e, c, _ := newEngine(wf, testJob("j-running", "ex", false), testJob("j-done", "ex", true), testJob("j-reused", "other", false))
	exec := &recordingExecutor{client: c}
	e.Executor = exec

	g.Expect(e.Cancel(ctx, run)).To(Succeed())
	got := &wfv1.Workflow{}
	g.Expect(c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "ex-s-0-wf"}, got)).To(Succeed())
	g.Expect(got.Spec.Shutdown).To(Equal(wfv1.ShutdownStrategyTerminate))
	exists := func(name string) bool {
		return c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: name}, &batchv1.Job{}) == nil
	}
	g.Expect(exists("j-running")).To(BeFalse())
	g.Expect(exists("j-done")).To(BeTrue())
	g.Expect(exists("j-reused")).To(BeTrue())
	g.Expect(exec.asked).To(Equal([]string{"ns/runner"}))

	// A second cancel (a retry, a restart) finds nothing more to do.
	g.Expect(e.Cancel(ctx, run)).To(Succeed())
	g.Expect(exec.asked).To(HaveLen(1))
}

// TestCancelNamesTheAccountThatMayNotDelete: a Forbidden delete is an error naming the executor account.
func TestCancelNamesTheAccountThatMayNotDelete(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	wf := jobWF(jobTemplate("running", "j-running", "ex"))
	e, c, _ := newEngine(wf, testJob("j-running", "ex", false))
	denied := interceptor.NewClient(c.(client.WithWatch), interceptor.Funcs{
		Delete: func(ctx context.Context, cl client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			return apierrors.NewForbidden(schema.GroupResource{Group: "batch", Resource: "jobs"}, obj.GetName(), errors.New("no"))
		}})
	e.Executor = &recordingExecutor{client: denied}
	err := e.Cancel(ctx, testRun())
	g.Expect(err).To(MatchError(ContainSubstring("executor ServiceAccount ns/drplan-executor may not delete Job ns/j-running")))
}

// TestSyncStopsJobsOfAWorkflowStoppedFromArgo: a Workflow stopped with argo stop/terminate (spec.shutdown set
// by someone else) has its unfinished Jobs deleted as on a cancel, and its status is read as usual.
func TestSyncStopsJobsOfAWorkflowStoppedFromArgo(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	wf := jobWF(jobTemplate("running", "j-running", "ex"))
	wf.Spec.Shutdown = wfv1.ShutdownStrategyTerminate
	e, c, fc := newEngine(wf, testJob("j-running", "ex", false))
	e.Executor = &recordingExecutor{client: c}
	st, err := e.Sync(ctx, testRun())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.ArgoWorkflow).NotTo(BeNil())
	g.Expect(fc.calls).To(BeZero())
	g.Expect(apierrors.IsNotFound(c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "j-running"}, &batchv1.Job{}))).To(BeTrue())

	// Not stopped: Sync leaves Jobs alone.
	wf = jobWF(jobTemplate("running", "j-running", "ex"))
	e, c, _ = newEngine(wf, testJob("j-running", "ex", false))
	e.Executor = &recordingExecutor{client: c}
	_, err = e.Sync(ctx, testRun())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "j-running"}, &batchv1.Job{})).To(Succeed())
}

// TestCancelDeletesEveryAttemptsJob: a retried Job action names a Job per attempt ("-{{retries}}" in its
// manifest); Cancel finds each attempt's Job by the expanded names and deletes the unfinished ones.
func TestCancelDeletesEveryAttemptsJob(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	tmpl := jobTemplate("retried", translator.ArgoJobAttemptName("j"), "ex")
	tmpl.RetryStrategy = &wfv1.RetryStrategy{Limit: ptrIntstr(2)}
	e, c, _ := newEngine(jobWF(tmpl), testJob("j-0", "ex", true), testJob("j-1", "ex", false))
	e.Executor = &recordingExecutor{client: c}
	g.Expect(e.Cancel(ctx, testRun())).To(Succeed())
	g.Expect(c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "j-0"}, &batchv1.Job{})).To(Succeed(), "finished: kept")
	g.Expect(apierrors.IsNotFound(c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "j-1"}, &batchv1.Job{}))).To(BeTrue())
}

func ptrIntstr(n int) *intstr.IntOrString { v := intstr.FromInt(n); return &v }

// TestSyncStopsTheJobOfAnActionThatEnded: a Job action's step that ended Failed (its activeDeadlineSeconds,
// enforced by the kubelet) leaves its Job running; Sync deletes it, as the native engine does on a timeout.
// Jobs of steps still running, and finished Jobs, stay.
func TestSyncStopsTheJobOfAnActionThatEnded(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	wf := jobWF(jobTemplate("timedout", "j-timedout", "ex"), jobTemplate("running", "j-running", "ex"))
	for _, task := range []string{"timedout", "running"} {
		wf.Spec.Templates[0].DAG.Tasks = append(wf.Spec.Templates[0].DAG.Tasks, wfv1.DAGTask{Name: task, Template: task})
	}
	wf.Annotations = map[string]string{translator.AnnotationTaskActions: `{"timedout":"timedout","running":"running"}`}
	addNode(wf, wf.Name+".timedout", wfv1.NodeTypePod, wfv1.NodeFailed, 1, 5, "Pod was active on the node longer than the specified deadline")
	addNode(wf, wf.Name+".running", wfv1.NodeTypePod, wfv1.NodeRunning, 1, -1, "")
	e, c, _ := newEngine(wf, testJob("j-timedout", "ex", false), testJob("j-running", "ex", false))
	e.Executor = &recordingExecutor{client: c}
	_, err := e.Sync(ctx, testRun())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(apierrors.IsNotFound(c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "j-timedout"}, &batchv1.Job{}))).To(BeTrue())
	g.Expect(c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "j-running"}, &batchv1.Job{})).To(Succeed())
}
