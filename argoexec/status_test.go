package argoexec

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func at(s int) metav1.Time { return metav1.NewTime(t0.Add(time.Duration(s) * time.Second)) }

// testWF builds a compiled-looking Workflow: a DAG "main" with one task per (task, template kind) and the
// task -> action annotation.
func testWF(name string, tasks ...[3]string) *wfv1.Workflow {
	wf := &wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: "wf-uid"}}
	wf.Spec.Entrypoint = translator.EntrypointTemplate
	mapping := map[string]string{}
	dag := &wfv1.DAGTemplate{}
	for _, t := range tasks { // task, action, kind (http|create|apply)
		mapping[t[0]] = t[1]
		dag.Tasks = append(dag.Tasks, wfv1.DAGTask{Name: t[0], Template: t[0]})
		tmpl := wfv1.Template{Name: t[0]}
		switch t[2] {
		case "http":
			tmpl.HTTP = &wfv1.HTTP{URL: "https://hooks.example/x"}
		default:
			tmpl.Resource = &wfv1.ResourceTemplate{Action: t[2], Manifest: "{}"}
		}
		wf.Spec.Templates = append(wf.Spec.Templates, tmpl)
	}
	wf.Spec.Templates = append(wf.Spec.Templates, wfv1.Template{Name: "main", DAG: dag})
	b, _ := json.Marshal(mapping)
	wf.Annotations = map[string]string{translator.AnnotationTaskActions: string(b)}
	wf.Status.Nodes = wfv1.Nodes{}
	wf.Status.Nodes[name] = wfv1.NodeStatus{ID: name, Name: name, DisplayName: name, Type: wfv1.NodeTypeDAG,
		TemplateName: "main", Phase: wfv1.NodeRunning, StartedAt: at(0)}
	return wf
}

// addNode adds a node named <wf>.<task> (or a retry child) the way Argo names and identifies nodes.
func addNode(wf *wfv1.Workflow, name string, typ wfv1.NodeType, phase wfv1.NodePhase, start, end int, msg string) *wfv1.NodeStatus {
	id := wf.NodeID(name)
	n := wfv1.NodeStatus{ID: id, Name: name, DisplayName: name[strings.LastIndex(name, ".")+1:], Type: typ,
		Phase: phase, BoundaryID: wf.Name, Message: msg, StartedAt: at(start)}
	if end >= 0 {
		n.FinishedAt = at(end)
	}
	wf.Status.Nodes[id] = n
	root := wf.Status.Nodes[wf.Name]
	if !strings.Contains(name, "(") {
		root.Children = append(root.Children, id)
		wf.Status.Nodes[wf.Name] = root
	}
	return &n
}

func setNode(wf *wfv1.Workflow, name string, f func(n *wfv1.NodeStatus)) {
	id := wf.NodeID(name)
	n := wf.Status.Nodes[id]
	f(&n)
	wf.Status.Nodes[id] = n
}

func retryChild(wf *wfv1.Workflow, parent string, i int, typ wfv1.NodeType, phase wfv1.NodePhase, start, end int, msg string) {
	name := parent + "(" + string(rune('0'+i)) + ")"
	addNode(wf, name, typ, phase, start, end, msg)
	setNode(wf, name, func(n *wfv1.NodeStatus) { n.NodeFlag = &wfv1.NodeFlag{Retried: true} })
	setNode(wf, parent, func(n *wfv1.NodeStatus) { n.Children = append(n.Children, wf.NodeID(name)) })
}

func params(kv ...string) *wfv1.Outputs {
	o := &wfv1.Outputs{}
	for i := 0; i < len(kv); i += 2 {
		o.Parameters = append(o.Parameters, wfv1.Parameter{Name: kv[i], Value: wfv1.AnyStringPtr(kv[i+1])})
	}
	return o
}

func TestSequentialSucceeded(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("run-a1b2", [3]string{"notify", "notify", "http"}, [3]string{"promote", "promote", "create"},
		[3]string{"verify", "verify", "apply"})
	addNode(wf, "run-a1b2.notify", wfv1.NodeTypeHTTP, wfv1.NodeSucceeded, 1, 2, "")
	setNode(wf, "run-a1b2.notify", func(n *wfv1.NodeStatus) {
		n.Outputs = &wfv1.Outputs{Result: ptr(`{"ok":true}`)}
	})
	addNode(wf, "run-a1b2.promote", wfv1.NodeTypePod, wfv1.NodeSucceeded, 3, 5, "")
	setNode(wf, "run-a1b2.promote", func(n *wfv1.NodeStatus) {
		n.Outputs = params("apiVersion", "apps.clusternet.io/v1alpha1", "kind", "Localization",
			"namespace", "clusternet-xy34z", "name", "promote", "uid", "loc-uid")
		n.TaskResultSynced = ptrb(true)
	})
	addNode(wf, "run-a1b2.verify", wfv1.NodeTypeRetry, wfv1.NodeSucceeded, 6, 20, "")
	retryChild(wf, "run-a1b2.verify", 0, wfv1.NodeTypePod, wfv1.NodeFailed, 6, 8, "Job failed")
	retryChild(wf, "run-a1b2.verify", 1, wfv1.NodeTypePod, wfv1.NodeSucceeded, 10, 20, "")
	setNode(wf, "run-a1b2.verify(1)", func(n *wfv1.NodeStatus) {
		n.Outputs = params("apiVersion", "batch/v1", "kind", "Job", "namespace", "shop", "name", "verify-x", "uid", "job-uid")
	})
	setNode(wf, "run-a1b2.verify", func(n *wfv1.NodeStatus) {
		n.Outputs = params("apiVersion", "batch/v1", "kind", "Job", "namespace", "shop", "name", "verify-x", "uid", "job-uid")
	})
	wf.Status.Phase = wfv1.WorkflowSucceeded
	wf.Status.StartedAt, wf.Status.FinishedAt = at(0), at(21)

	st, err := ActionStatuses(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st).To(HaveLen(3))
	g.Expect(st[0].Name).To(Equal("notify"))
	g.Expect(st[0].Phase).To(Equal(v1alpha1.ActionSucceeded))
	g.Expect(st[0].StartTime.Time).To(Equal(at(1).Time))
	g.Expect(st[0].CompletionTime.Time).To(Equal(at(2).Time))
	g.Expect(st[0].Outputs.HTTPResponse.Body).To(Equal(`{"ok":true}`))
	g.Expect(st[1].Outputs.LocalizationRef).To(Equal(&v1alpha1.ResourceRef{APIVersion: "apps.clusternet.io/v1alpha1",
		Kind: "Localization", Namespace: "clusternet-xy34z", Name: "promote", UID: "loc-uid", Created: true}))
	g.Expect(st[2].Phase).To(Equal(v1alpha1.ActionSucceeded))
	g.Expect(st[2].RetryCount).To(Equal(int32(1)))
	g.Expect(st[2].StartTime.Time).To(Equal(at(6).Time))
	g.Expect(st[2].CompletionTime.Time).To(Equal(at(20).Time))
	g.Expect(st[2].Outputs.JobRef.Name).To(Equal("verify-x"))
	g.Expect(st[2].Outputs.JobRef.Created).To(BeFalse(), "an apply without a Job successCondition is not known to create")

	// The translator applies Jobs (so retries re-attach) and waits on them: that apply created the Job.
	for i := range wf.Spec.Templates {
		if wf.Spec.Templates[i].Name == "verify" {
			wf.Spec.Templates[i].Resource = &wfv1.ResourceTemplate{Action: "apply", Manifest: "{}", SuccessCondition: "status.succeeded > 0"}
		}
	}
	st, err = ActionStatuses(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st[2].Outputs.JobRef.Created).To(BeTrue())

	rs, err := RunStatus(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rs.Phase).To(Equal(v1alpha1.ExecutionSucceeded))
	g.Expect(rs.ArgoWorkflow.Name).To(Equal("run-a1b2"))
	g.Expect(rs.CompletionTime.Time).To(Equal(at(21).Time))
}

func TestPendingRunningAndExactNames(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("w", [3]string{"a", "act-a", "http"}, [3]string{"a-b", "act-ab", "http"}, [3]string{"c", "act-c", "create"})
	// Only "w.a-b" exists: "w.a" must not be found by prefix; a node whose DisplayName is "c" but whose name is
	// not "w.c" must not be taken for task c.
	addNode(wf, "w.a-b", wfv1.NodeTypeHTTP, wfv1.NodeRunning, 1, -1, "")
	addNode(wf, "w.onexit.c", wfv1.NodeTypePod, wfv1.NodeFailed, 1, 2, "boom")
	setNode(wf, "w.onexit.c", func(n *wfv1.NodeStatus) { n.DisplayName = "c" })
	wf.Status.Phase = wfv1.WorkflowRunning

	st, err := ActionStatuses(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st[0]).To(Equal(v1alpha1.ActionStatus{Name: "act-a", Phase: v1alpha1.ActionPending}))
	g.Expect(st[1].Name).To(Equal("act-ab"))
	g.Expect(st[1].Phase).To(Equal(v1alpha1.ActionRunning))
	g.Expect(st[1].CompletionTime).To(BeNil())
	g.Expect(st[2].Phase).To(Equal(v1alpha1.ActionPending))

	rs, err := RunStatus(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rs.Phase).To(Equal(v1alpha1.ExecutionRunning))
}

func TestSkippedOmittedAndFailFast(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("w", [3]string{"a", "a", "http"}, [3]string{"b", "b", "http"}, [3]string{"c", "c", "create"},
		[3]string{"d", "d", "create"})
	addNode(wf, "w.a", wfv1.NodeTypeSkipped, wfv1.NodeSkipped, 1, 1, "when 'false' evaluated false")
	addNode(wf, "w.b", wfv1.NodeTypeHTTP, wfv1.NodeFailed, 1, 3, "received non-2xx response code: 503")
	setNode(wf, "w.b", func(n *wfv1.NodeStatus) { n.Outputs = &wfv1.Outputs{Result: ptr("unavailable")} })
	addNode(wf, "w.c", wfv1.NodeTypeSkipped, wfv1.NodeOmitted, 3, 3, "omitted: depends condition not met")
	wf.Status.Phase = wfv1.WorkflowFailed
	wf.Status.FinishedAt = at(4)

	rs, err := RunStatus(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rs.Actions[0].Phase).To(Equal(v1alpha1.ActionSkipped))
	g.Expect(rs.Actions[0].Message).To(Equal("when 'false' evaluated false"))
	g.Expect(rs.Actions[1].Phase).To(Equal(v1alpha1.ActionFailed))
	g.Expect(rs.Actions[1].Message).To(Equal("received non-2xx response code: 503"))
	g.Expect(rs.Actions[1].Outputs.HTTPResponse).To(Equal(&v1alpha1.HTTPResponse{StatusCode: 503, Body: "unavailable"}))
	g.Expect(rs.Actions[2].Phase).To(Equal(v1alpha1.ActionSkipped))
	g.Expect(rs.Actions[3].Phase).To(Equal(v1alpha1.ActionSkipped))
	g.Expect(rs.Actions[3].Message).To(ContainSubstring("not run"))
	g.Expect(rs.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(rs.Message).To(Equal("action b failed: received non-2xx response code: 503"))
}

// A task skipped by a run-time `when` reports the native engine's message for the same skip; a static one keeps
// Argo's (TestSkippedOmittedAndFailFast).
func TestRuntimeWhenSkipMessage(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("w", [3]string{"a", "a", "http"}, [3]string{"b", "b", "http"})
	main := &wf.Spec.Templates[len(wf.Spec.Templates)-1]
	main.DAG.Tasks[1].When = `{{=(tasks["a"].status == "Failed")}}`
	addNode(wf, "w.a", wfv1.NodeTypeHTTP, wfv1.NodeSucceeded, 1, 2, "")
	addNode(wf, "w.b", wfv1.NodeTypeSkipped, wfv1.NodeSkipped, 2, 2, "when 'false' evaluated false")
	wf.Status.Phase = wfv1.WorkflowSucceeded
	wf.Status.FinishedAt = at(3)

	rs, err := RunStatus(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rs.Actions[1].Phase).To(Equal(v1alpha1.ActionSkipped))
	g.Expect(rs.Actions[1].Message).To(Equal(translator.WhenFalseMessage))
	g.Expect(rs.Phase).To(Equal(v1alpha1.ExecutionSucceeded))
}

func TestRetriesExhausted(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("w", [3]string{"j", "job", "create"})
	addNode(wf, "w.j", wfv1.NodeTypeRetry, wfv1.NodeFailed, 1, 9, "No more retries left")
	for i := 0; i < 3; i++ {
		retryChild(wf, "w.j", i, wfv1.NodeTypePod, wfv1.NodeFailed, 1+3*i, 2+3*i, "failed condition met: status.failed > 2")
	}
	st, err := ActionStatuses(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st[0].RetryCount).To(Equal(int32(2)))
	g.Expect(st[0].Phase).To(Equal(v1alpha1.ActionFailed))
	g.Expect(st[0].Message).To(Equal("No more retries left: failed condition met: status.failed > 2"))

	// While backing off between attempts the Retry node is Running.
	wf2 := testWF("w", [3]string{"j", "job", "create"})
	addNode(wf2, "w.j", wfv1.NodeTypeRetry, wfv1.NodeRunning, 1, -1, "Backoff for 2 seconds")
	retryChild(wf2, "w.j", 0, wfv1.NodeTypePod, wfv1.NodeFailed, 1, 2, "boom")
	st, err = ActionStatuses(wf2)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st[0].Phase).To(Equal(v1alpha1.ActionRunning))
	g.Expect(st[0].RetryCount).To(Equal(int32(0)))
}

func TestOutputsNotYetSynced(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("w", [3]string{"r", "r", "apply"})
	addNode(wf, "w.r", wfv1.NodeTypePod, wfv1.NodeSucceeded, 1, 2, "")
	setNode(wf, "w.r", func(n *wfv1.NodeStatus) { n.TaskResultSynced = ptrb(false) })
	st, err := ActionStatuses(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st[0].Phase).To(Equal(v1alpha1.ActionRunning))
}

func TestShutdownTerminate(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("w", [3]string{"a", "a", "http"}, [3]string{"b", "b", "create"}, [3]string{"c", "c", "create"})
	wf.Spec.Shutdown = wfv1.ShutdownStrategyTerminate
	addNode(wf, "w.a", wfv1.NodeTypeHTTP, wfv1.NodeSucceeded, 1, 2, "")
	addNode(wf, "w.b", wfv1.NodeTypePod, wfv1.NodeFailed, 2, 5, "Stopped with strategy 'Terminate'")
	wf.Status.Phase = wfv1.WorkflowFailed
	wf.Status.Message = "Stopped with strategy 'Terminate'"
	rs, err := RunStatus(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rs.Phase).To(Equal(v1alpha1.ExecutionCanceled))
	g.Expect(rs.Actions[0].Phase).To(Equal(v1alpha1.ActionSucceeded))
	g.Expect(rs.Actions[1].Phase).To(Equal(v1alpha1.ActionCanceled))
	g.Expect(rs.Actions[2].Phase).To(Equal(v1alpha1.ActionCanceled))
}

// TestShutdownNodeShapesOfTheRealController uses the nodes Argo v3.7.18 wrote when a Workflow was terminated
// during a resource (Job) action and during an http action (test/e2e): a pod node says "workflow shutdown with
// strategy:  Terminate" (two spaces), an http node "Stopped with strategy 'Terminate'", and the dependents of the
// stopped task are omitted. All of them were canceled, none failed.
func TestShutdownNodeShapesOfTheRealController(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("w", [3]string{"check", "check", "apply"}, [3]string{"wait", "wait", "http"}, [3]string{"never", "never", "http"})
	wf.Spec.Shutdown = wfv1.ShutdownStrategyTerminate
	addNode(wf, "w.check", wfv1.NodeTypePod, wfv1.NodeFailed, 1, 3, "workflow shutdown with strategy:  Terminate")
	setNode(wf, "w.check", func(n *wfv1.NodeStatus) { s := true; n.TaskResultSynced = &s })
	addNode(wf, "w.wait", wfv1.NodeTypeHTTP, wfv1.NodeFailed, 1, 3, "Stopped with strategy 'Terminate'")
	addNode(wf, "w.never", wfv1.NodeTypeSkipped, wfv1.NodeOmitted, 3, 3, "omitted: depends condition not met")
	wf.Status.Phase = wfv1.WorkflowFailed
	wf.Status.Message = "Stopped with strategy 'Terminate'"
	rs, err := RunStatus(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rs.Phase).To(Equal(v1alpha1.ExecutionCanceled))
	for _, a := range rs.Actions {
		g.Expect(a.Phase).To(Equal(v1alpha1.ActionCanceled), a.Name)
	}
	g.Expect(rs.Actions[2].Message).To(Equal("canceled"))

	// Without a shutdown an omitted task is skipped, and a pod node's failure stays a failure.
	wf.Spec.Shutdown = ""
	rs, err = RunStatus(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rs.Actions[0].Phase).To(Equal(v1alpha1.ActionFailed))
	g.Expect(rs.Actions[2].Phase).To(Equal(v1alpha1.ActionSkipped))
	// Under FailFast (Argo's default for a DAG) it says it did not run, as natively; under Continue Argo's words.
	g.Expect(rs.Actions[2].Message).To(Equal(msgNotRun))
	mainDAG(wf).FailFast = new(bool)
	rs, err = RunStatus(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rs.Actions[2].Message).To(Equal("omitted: depends condition not met"))
}

// mainDAG is the entrypoint DAG of a testWF Workflow.
func mainDAG(wf *wfv1.Workflow) *wfv1.DAGTemplate {
	for i := range wf.Spec.Templates {
		if wf.Spec.Templates[i].Name == "main" {
			return wf.Spec.Templates[i].DAG
		}
	}
	return nil
}

func TestArgoErrorWithoutTaskFailure(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("w", [3]string{"a", "a", "http"})
	wf.Status.Phase = wfv1.WorkflowError
	wf.Status.Message = "invalid spec: templates.main.tasks.a template name 'x' undefined"
	rs, err := RunStatus(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rs.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(rs.Message).To(ContainSubstring("invalid spec"))
}

func TestCompressedAndOffloaded(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("w", [3]string{"a", "a", "http"})
	addNode(wf, "w.a", wfv1.NodeTypeHTTP, wfv1.NodeSucceeded, 1, 2, "")
	raw, _ := json.Marshal(wf.Status.Nodes)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	wf.Status.Nodes = nil
	wf.Status.CompressedNodes = base64.StdEncoding.EncodeToString(buf.Bytes())
	st, err := ActionStatuses(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st[0].Phase).To(Equal(v1alpha1.ActionSucceeded))

	wf.Status.CompressedNodes = ""
	wf.Status.OffloadNodeStatusVersion = "fnv:123"
	_, err = ActionStatuses(wf)
	g.Expect(err).To(MatchError(ErrOffloaded))
}

func ptr(s string) *string { return &s }
func ptrb(b bool) *bool    { return &b }

// A Globalization, cluster scoped, is recorded without a namespace as globalizationRef, next to a
// Subscription's subscriptionRef.
func TestGlobalizationOutputs(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("w", [3]string{"sub", "sub", "create"}, [3]string{"glob", "glob", "create"})
	addNode(wf, "w.sub", wfv1.NodeTypePod, wfv1.NodeSucceeded, 1, 2, "")
	setNode(wf, "w.sub", func(n *wfv1.NodeStatus) {
		n.Outputs = params("apiVersion", "apps.clusternet.io/v1alpha1", "kind", "Subscription",
			"namespace", "shop", "name", "api", "uid", "sub-uid")
	})
	addNode(wf, "w.glob", wfv1.NodeTypePod, wfv1.NodeSucceeded, 3, 4, "")
	setNode(wf, "w.glob", func(n *wfv1.NodeStatus) {
		n.Outputs = params("apiVersion", "apps.clusternet.io/v1alpha1", "kind", "Globalization",
			"namespace", "", "name", "api-replicas", "uid", "glob-uid")
	})
	st, err := ActionStatuses(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st[0].Outputs.SubscriptionRef).To(Equal(&v1alpha1.ResourceRef{APIVersion: "apps.clusternet.io/v1alpha1",
		Kind: "Subscription", Namespace: "shop", Name: "api", UID: "sub-uid", Created: true}))
	g.Expect(st[1].Outputs.GlobalizationRef).To(Equal(&v1alpha1.ResourceRef{APIVersion: "apps.clusternet.io/v1alpha1",
		Kind: "Globalization", Name: "api-replicas", UID: "glob-uid", Created: true}))
	g.Expect(st[1].Outputs.ResourceRef).To(BeNil())
}
