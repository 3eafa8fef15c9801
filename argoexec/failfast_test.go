package argoexec

import (
	"context"
	"encoding/json"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

func TestHoldFor(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    holdState
		want holdStep
	}{
		{"FailFast, nothing failed", holdState{failFast: true, running: 2}, holdKeep},
		{"FailFast, an action failed: hold", holdState{failFast: true, failed: "bad", running: 1}, holdSet},
		{"FailFast, failed and nothing runs: hold first, end on the next Sync", holdState{failFast: true, failed: "bad"}, holdSet},
		{"Continue never holds", holdState{failed: "bad", running: 1}, holdKeep},
		{"held, still running", holdState{failFast: true, held: true, suspended: true, failed: "bad", running: 1}, holdKeep},
		{"held, nothing runs: end it", holdState{failFast: true, held: true, suspended: true, failed: "bad"}, holdRelease},
		{"held and paused, nothing runs: wait for the resume", holdState{failFast: true, held: true, suspended: true, paused: true}, holdKeep},
		{"held, resumed in Argo meanwhile: suspend again", holdState{failFast: true, held: true, failed: "bad", running: 1}, holdSet},
		{"held, resumed in Argo, nothing runs: end it", holdState{failFast: true, held: true, failed: "bad"}, holdRelease},
		{"completed: nothing to do", holdState{failFast: true, ended: true, failed: "bad", running: 1}, holdKeep},
		{"shut down (a cancel, or ended already): nothing to do", holdState{failFast: true, held: true, ended: true}, holdKeep},
		{"completed by Argo under the hold: lift the suspension", holdState{failFast: true, held: true, suspended: true, ended: true, completed: true}, holdLift},
		{"completed, held, suspension already lifted", holdState{failFast: true, held: true, ended: true, completed: true}, holdKeep},
		{"shut down under the hold, not yet completed: Argo's to finish", holdState{failFast: true, held: true, suspended: true, ended: true}, holdKeep},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(holdFor(tc.s)).To(Equal(tc.want))
		})
	}
}

func TestStillRunning(t *testing.T) {
	wf := testWF("w", [3]string{"pod", "pod", "apply"}, [3]string{"call", "call", "http"}, [3]string{"retry", "retry", "apply"})
	addNode(wf, "w.pod", wfv1.NodeTypePod, wfv1.NodeRunning, 1, -1, "")
	addNode(wf, "w.call", wfv1.NodeTypeHTTP, wfv1.NodeRunning, 1, -1, "")
	addNode(wf, "w.retry", wfv1.NodeTypeRetry, wfv1.NodeRunning, 1, -1, "")
	retryChild(wf, "w.retry", 0, wfv1.NodeTypePod, wfv1.NodeFailed, 1, 2, "exit 1")
	node := func(name string) *wfv1.NodeStatus { n := wf.Status.Nodes[wf.NodeID(name)]; return &n }
	done := map[string]wfv1.NodeResult{wf.NodeID("w.call"): {Phase: wfv1.NodeSucceeded}}
	running := map[string]wfv1.NodeResult{wf.NodeID("w.call"): {Phase: wfv1.NodeRunning}}
	g := NewWithT(t)
	g.Expect(stillRunning(node("w.pod"), wf.Status.Nodes, nil)).To(BeTrue())
	g.Expect(stillRunning(node("w.call"), wf.Status.Nodes, nil)).To(BeTrue())
	g.Expect(stillRunning(node("w.call"), wf.Status.Nodes, running)).To(BeTrue())
	g.Expect(stillRunning(node("w.call"), wf.Status.Nodes, done)).To(BeFalse(), "the agent recorded its result")
	g.Expect(stillRunning(node("w.retry"), wf.Status.Nodes, nil)).To(BeFalse(), "waits for an attempt the suspension does not start")
	g.Expect(stillRunning(nil, wf.Status.Nodes, nil)).To(BeFalse())
	g.Expect(runningNodes(wf, done)).To(Equal(1))
}

// heldScenario: "bad" (a resource step) failed while "slow" (http) runs; "after" depends on "slow".
func heldScenario() *wfv1.Workflow {
	wf := testWF("ex-s-0-wf", [3]string{"bad", "bad", "create"}, [3]string{"slow", "slow", "http"}, [3]string{"after", "after", "http"})
	wf.Labels = map[string]string{v1alpha1.LabelExecution: "ex"}
	wf.Status.Phase = wfv1.WorkflowRunning
	addNode(wf, "ex-s-0-wf.bad", wfv1.NodeTypePod, wfv1.NodeFailed, 1, 2, "configmaps \"taken\" already exists")
	addNode(wf, "ex-s-0-wf.slow", wfv1.NodeTypeHTTP, wfv1.NodeRunning, 1, -1, "")
	return wf
}

func TestFailFastHoldThenEnd(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	wf := heldScenario()
	e, c, _ := newEngine(wf)
	run := testRun()
	get := func() *wfv1.Workflow {
		out := &wfv1.Workflow{}
		g.Expect(c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: wf.Name}, out)).To(Succeed())
		return out
	}

	// The failure is seen: suspended, the failed action named; the run goes on (slow still runs).
	st, err := e.Sync(ctx, run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionRunning))
	held := get()
	g.Expect(held.Spec.Suspend).To(HaveValue(BeTrue()))
	g.Expect(held.Annotations).To(HaveKeyWithValue(v1alpha1.AnnotationFailFastHold, "bad"))
	g.Expect(held.Spec.Shutdown).To(BeEmpty())

	// A resume of a pause does not lift the hold; nothing changes while slow runs (no task set result yet).
	_, err = e.Sync(ctx, run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(get().Spec.Suspend).To(HaveValue(BeTrue()))

	// The agent recorded slow's result in the task set: nothing runs any more, the Workflow is ended and the
	// result kept on it.
	body := `{"ok":true}`
	ts := &wfv1.WorkflowTaskSet{ObjectMeta: metav1.ObjectMeta{Name: wf.Name, Namespace: "ns"}}
	ts.Status.Nodes = map[string]wfv1.NodeResult{wf.NodeID(wf.Name + ".slow"): {Phase: wfv1.NodeSucceeded, Outputs: &wfv1.Outputs{Result: &body}}}
	g.Expect(c.Create(ctx, ts)).To(Succeed())
	_, err = e.Sync(ctx, run)
	g.Expect(err).NotTo(HaveOccurred())
	ended := get()
	g.Expect(ended.Spec.Shutdown).To(Equal(wfv1.ShutdownStrategyTerminate))
	g.Expect(ended.Spec.Suspend).To(BeNil())
	g.Expect(ended.Annotations).To(HaveKey(v1alpha1.AnnotationFailFastEnded))

	// Argo then stops slow's node and omits after, and fails the Workflow: the run is Failed, not Canceled; slow
	// Succeeded with its result, after did not run, as natively.
	setNode(ended, ended.Name+".slow", func(n *wfv1.NodeStatus) {
		n.Phase, n.Message, n.FinishedAt = wfv1.NodeFailed, "Stopped with strategy 'Terminate'", at(5)
	})
	addNode(ended, ended.Name+".after", wfv1.NodeTypeSkipped, wfv1.NodeOmitted, 5, 5, "omitted: depends condition not met")
	ended.Status.Phase, ended.Status.FinishedAt = wfv1.WorkflowFailed, at(5)
	rs, err := RunStatus(ended)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rs.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(rs.Message).To(ContainSubstring("action bad failed"))
	g.Expect(phasesOf(rs.Actions)).To(Equal(map[string]v1alpha1.ActionPhase{
		"bad": v1alpha1.ActionFailed, "slow": v1alpha1.ActionSucceeded, "after": v1alpha1.ActionSkipped}))
	g.Expect(rs.Actions[1].Outputs.HTTPResponse.Body).To(Equal(body))
	g.Expect(rs.Actions[2].Message).To(Equal(msgNotRun))
}

func TestFailFastHoldComposesWithPause(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	wf := heldScenario()
	setNode(wf, wf.Name+".slow", func(n *wfv1.NodeStatus) { n.Phase, n.FinishedAt = wfv1.NodeSucceeded, at(3) })
	e, c, _ := newEngine(wf)
	run := testRun()
	run.Paused = true
	get := func() *wfv1.Workflow {
		out := &wfv1.Workflow{}
		g.Expect(c.Get(ctx, types.NamespacedName{Namespace: "ns", Name: wf.Name}, out)).To(Succeed())
		return out
	}
	// Paused and failed: held and paused at once; while paused it is not ended.
	for range 2 {
		_, err := e.Sync(ctx, run)
		g.Expect(err).NotTo(HaveOccurred())
	}
	w := get()
	g.Expect(w.Spec.Suspend).To(HaveValue(BeTrue()))
	g.Expect(w.Annotations).To(HaveKey(v1alpha1.AnnotationFailFastHold))
	g.Expect(w.Annotations).To(HaveKeyWithValue(v1alpha1.AnnotationSuspendedByOperator, "true"))
	g.Expect(w.Spec.Shutdown).To(BeEmpty())
	// The resume does not let the Workflow run on: it ends it.
	run.Paused = false
	_, err := e.Sync(ctx, run)
	g.Expect(err).NotTo(HaveOccurred())
	w = get()
	g.Expect(w.Spec.Shutdown).To(Equal(wfv1.ShutdownStrategyTerminate))
	g.Expect(w.Annotations).NotTo(HaveKey(v1alpha1.AnnotationSuspendedByOperator))
}

// A cancel during a hold is a cancel: without AnnotationFailFastEnded the shutdown cancels what did not run.
func TestCancelDuringFailFastHold(t *testing.T) {
	g := NewWithT(t)
	wf := heldScenario()
	wf.Annotations[v1alpha1.AnnotationFailFastHold] = "bad"
	wf.Spec.Shutdown = wfv1.ShutdownStrategyTerminate
	setNode(wf, wf.Name+".slow", func(n *wfv1.NodeStatus) { n.Phase, n.Message = wfv1.NodeFailed, "Stopped with strategy 'Terminate'" })
	wf.Status.Phase = wfv1.WorkflowFailed
	rs, err := RunStatus(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rs.Phase).To(Equal(v1alpha1.ExecutionCanceled))
	g.Expect(rs.Actions[1].Phase).To(Equal(v1alpha1.ActionCanceled))
}

func phasesOf(actions []v1alpha1.ActionStatus) map[string]v1alpha1.ActionPhase {
	out := map[string]v1alpha1.ActionPhase{}
	for _, a := range actions {
		out[a.Name] = a.Phase
	}
	return out
}

// A retried action waiting for its next attempt when the hold began: the suspension starts no attempt, and
// the end reports it not retried, as the native engine does (an action out of retries says so instead).
func TestFailFastEndOfARetryingAction(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int
		want  string
	}{
		{"retries left", 3, "not retried: the workflow stopped after a failure: exit 1"},
		{"out of retries", 0, "No more retries left: exit 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			wf := testWF("w", [3]string{"bad", "bad", "create"}, [3]string{"flaky", "flaky", "create"})
			for i := range wf.Spec.Templates {
				if wf.Spec.Templates[i].Name == "flaky" {
					wf.Spec.Templates[i].RetryStrategy = &wfv1.RetryStrategy{Limit: intOrString(tc.limit)}
				}
			}
			wf.Annotations[v1alpha1.AnnotationFailFastHold] = "bad"
			wf.Annotations[v1alpha1.AnnotationFailFastEnded] = "{}"
			wf.Spec.Shutdown = wfv1.ShutdownStrategyTerminate
			addNode(wf, "w.bad", wfv1.NodeTypePod, wfv1.NodeFailed, 1, 2, "already exists")
			addNode(wf, "w.flaky", wfv1.NodeTypeRetry, wfv1.NodeFailed, 1, 4, "Stopped with strategy 'Terminate'")
			retryChild(wf, "w.flaky", 0, wfv1.NodeTypePod, wfv1.NodeFailed, 1, 2, "exit 1")
			wf.Status.Phase = wfv1.WorkflowFailed
			rs, err := RunStatus(wf)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(rs.Phase).To(Equal(v1alpha1.ExecutionFailed))
			g.Expect(rs.Actions[1].Phase).To(Equal(v1alpha1.ActionFailed))
			g.Expect(rs.Actions[1].Message).To(Equal(tc.want))
		})
	}
}

func intOrString(n int) *intstr.IntOrString { v := intstr.FromInt(n); return &v }

// An http action with retries whose attempt ended under the hold: its recorded result decides, a success as
// Succeeded, a failure as not retried.
func TestFailFastEndOfARetriedHTTPAction(t *testing.T) {
	for _, tc := range []struct {
		name      string
		result    wfv1.NodeResult
		wantPhase v1alpha1.ActionPhase
		wantMsg   string
	}{
		{"the attempt succeeded", wfv1.NodeResult{Phase: wfv1.NodeSucceeded}, v1alpha1.ActionSucceeded, ""},
		{"the attempt failed", wfv1.NodeResult{Phase: wfv1.NodeFailed, Message: "received non-2xx response code: 503"},
			v1alpha1.ActionFailed, "not retried: the workflow stopped after a failure: received non-2xx response code: 503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			wf := testWF("w", [3]string{"bad", "bad", "create"}, [3]string{"call", "call", "http"})
			for i := range wf.Spec.Templates {
				if wf.Spec.Templates[i].Name == "call" {
					wf.Spec.Templates[i].RetryStrategy = &wfv1.RetryStrategy{Limit: intOrString(2)}
				}
			}
			wf.Annotations[v1alpha1.AnnotationFailFastHold] = "bad"
			ended, _ := json.Marshal(map[string]wfv1.NodeResult{wf.NodeID("w.call(0)"): tc.result})
			wf.Annotations[v1alpha1.AnnotationFailFastEnded] = string(ended)
			wf.Spec.Shutdown = wfv1.ShutdownStrategyTerminate
			addNode(wf, "w.bad", wfv1.NodeTypePod, wfv1.NodeFailed, 1, 2, "already exists")
			addNode(wf, "w.call", wfv1.NodeTypeRetry, wfv1.NodeFailed, 1, 4, "Stopped with strategy 'Terminate'")
			retryChild(wf, "w.call", 0, wfv1.NodeTypeHTTP, wfv1.NodeFailed, 1, 4, "Stopped with strategy 'Terminate'")
			wf.Status.Phase = wfv1.WorkflowFailed
			rs, err := RunStatus(wf)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(rs.Actions[1].Phase).To(Equal(tc.wantPhase))
			g.Expect(rs.Actions[1].Message).To(Equal(tc.wantMsg))
		})
	}
}
