package argostandin

import (
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/argoexec"
	"github.com/drplan/drplan-operator/translator"
)

// compile builds a real compiled Workflow with the translator.
func compile(t *testing.T, policy drv1.WorkflowFailurePolicy, actions ...drv1.Action) *wfv1.Workflow {
	t.Helper()
	wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "ns"},
		Spec: drv1.DRWorkflowSpec{FailurePolicy: policy, Actions: actions}}
	_, out, err := translator.CompileForward(translator.Input{Workflow: wf, Namespace: "ns", PlanName: "p",
		ExecutionName: "ex", StageName: "s", ExecutionUID: "uid"}, translator.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func http(name string, deps ...string) drv1.Action {
	return drv1.Action{Name: name, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
		HTTP: &drv1.HTTPAction{URL: "https://x.example/" + name}}}
}

// run steps the Workflow until the stand-in has nothing more to do.
func run(s *StandIn, wf *wfv1.Workflow) {
	for i := 0; i < 100 && !wf.Status.Phase.Completed(); i++ {
		if !s.Step(wf) {
			return
		}
	}
}

func TestStandInWritesArgoShapedNodes(t *testing.T) {
	g := NewWithT(t)
	retried := http("flaky", "a")
	retried.RetryPolicy = &drv1.RetryPolicy{Limit: 2}
	gated := http("gated", "a")
	gated.When = "false"
	cm := drv1.Action{Name: "cm", DependsOn: []string{"a"}, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeKubernetesResource,
		Resource: &drv1.ResourceAction{Operation: drv1.OperationCreate, Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n  namespace: ns\n"}}}
	wf := compile(t, drv1.WorkflowContinue, http("a"), retried, gated, cm, http("bad", "a"), http("after-bad", "bad"))
	s := &StandIn{}
	s.SetScript(func(task Task) Outcome {
		switch task.Action {
		case "flaky":
			return Outcome{FailAttempts: 1}
		case "bad":
			return Outcome{Fail: true, StatusCode: 502}
		}
		return Outcome{Result: "ok"}
	})
	run(s, wf)

	g.Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowFailed))
	root := wf.Status.Nodes[wf.Name]
	g.Expect(root.Type).To(Equal(wfv1.NodeTypeDAG))
	for id, n := range wf.Status.Nodes {
		g.Expect(id).To(Equal(wf.NodeID(n.Name)), "node IDs derive from names as in Argo")
	}
	byName := func(name string) wfv1.NodeStatus {
		n, ok := wf.Status.Nodes[wf.NodeID(wf.Name+"."+name)]
		g.Expect(ok).To(BeTrue(), name)
		return n
	}
	g.Expect(byName("flaky").Type).To(Equal(wfv1.NodeTypeRetry))
	g.Expect(byName("flaky").Children).To(HaveLen(2))
	g.Expect(byName("flaky(0)").Phase).To(Equal(wfv1.NodeFailed))
	g.Expect(byName("flaky(1)").NodeFlag.Retried).To(BeTrue())
	g.Expect(byName("gated").Phase).To(Equal(wfv1.NodeSkipped))
	g.Expect(byName("after-bad").Phase).To(Equal(wfv1.NodeOmitted))
	g.Expect(*byName("cm").TaskResultSynced).To(BeTrue())
	g.Expect(root.Children).To(ContainElement(wf.NodeID(wf.Name + ".a")))
	// A Retry node's children are its attempts only: its dependents hang under its last attempt, as in Argo.
	g.Expect(byName("flaky").Children).To(ConsistOf(wf.NodeID(wf.Name+".flaky(0)"), wf.NodeID(wf.Name+".flaky(1)")))

	st, err := argoexec.RunStatus(wf)
	g.Expect(err).NotTo(HaveOccurred())
	phases := map[string]drv1.ActionPhase{}
	for _, a := range st.Actions {
		phases[a.Name] = a.Phase
	}
	g.Expect(phases).To(Equal(map[string]drv1.ActionPhase{"a": drv1.ActionSucceeded, "flaky": drv1.ActionSucceeded,
		"gated": drv1.ActionSkipped, "cm": drv1.ActionSucceeded, "bad": drv1.ActionFailed, "after-bad": drv1.ActionSkipped}))
	for _, a := range st.Actions {
		switch a.Name {
		case "flaky":
			g.Expect(a.RetryCount).To(Equal(int32(1)))
		case "cm":
			g.Expect(a.Outputs.ResourceRef.Name).To(Equal("m"))
			g.Expect(a.Outputs.ResourceRef.Kind).To(Equal("ConfigMap"))
		case "bad":
			// As Argo's agent writes it for a template without a successCondition (no successCodes listed).
			g.Expect(a.Message).To(Equal("received non-2xx response code: 502"))
			g.Expect(a.Outputs.HTTPResponse.StatusCode).To(Equal(int32(502)))
		}
	}
}

// TestStandInFailFastAndShutdown pins what the real workflow-controller (v3.7.18, test/e2e) does: a DAG's failFast
// does not stop an independent branch (Argo reads it only when it assesses the DAG's phase), dependents of a
// failed task are omitted, the Workflow's message is empty for a failure; on shutdown, pod and http nodes get
// their own messages and the dependents of stopped tasks are omitted.
func TestStandInFailFastAndShutdown(t *testing.T) {
	g := NewWithT(t)
	wf := compile(t, drv1.WorkflowFailFast, http("bad"), http("slow"), http("next", "slow"), http("after-bad", "bad"))
	s := &StandIn{}
	hold := true
	s.SetScript(func(task Task) Outcome {
		switch task.Action {
		case "bad":
			return Outcome{Fail: true}
		case "slow":
			return Outcome{Hold: hold}
		}
		return Outcome{}
	})
	run(s, wf)
	g.Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowRunning), "slow is held")
	hold = false
	run(s, wf)
	g.Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowFailed))
	g.Expect(wf.Status.Message).To(BeEmpty())
	g.Expect(wf.Status.Nodes[wf.Name].Message).To(BeEmpty())
	g.Expect(wf.Status.Nodes[wf.NodeID(wf.Name+".next")].Phase).To(Equal(wfv1.NodeSucceeded), "failFast does not stop an independent branch")
	g.Expect(wf.Status.Nodes[wf.NodeID(wf.Name+".after-bad")].Phase).To(Equal(wfv1.NodeOmitted))

	cm := drv1.Action{Name: "cm", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeKubernetesResource,
		Resource: &drv1.ResourceAction{Operation: drv1.OperationCreate, Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n  namespace: ns\n"}}}
	wf = compile(t, drv1.WorkflowFailFast, http("long"), cm, http("then", "long"), http("after-cm", "cm"))
	s.SetScript(func(Task) Outcome { return Outcome{Hold: true} })
	run(s, wf)
	wf.Spec.Shutdown = wfv1.ShutdownStrategyTerminate
	run(s, wf)
	g.Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowFailed))
	g.Expect(wf.Status.Message).To(Equal("Stopped with strategy 'Terminate'"))
	g.Expect(wf.Status.Nodes[wf.NodeID(wf.Name+".long")].Message).To(Equal("Stopped with strategy 'Terminate'"))
	g.Expect(wf.Status.Nodes[wf.NodeID(wf.Name+".cm")].Message).To(Equal("workflow shutdown with strategy:  Terminate"))
	g.Expect(wf.Status.Nodes[wf.NodeID(wf.Name+".then")].Phase).To(Equal(wfv1.NodeOmitted))
	_, ok := wf.Status.Nodes[wf.NodeID(wf.Name+".after-cm")]
	g.Expect(ok).To(BeFalse(), "Argo fails the DAG before the stopped pod's task result arrives: its dependent gets no node")
	st, err := argoexec.RunStatus(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Phase).To(Equal(drv1.ExecutionCanceled))
	for _, a := range st.Actions {
		g.Expect(a.Phase).To(Equal(drv1.ActionCanceled), a.Name)
	}
}

// TestStandInSuspend pins Argo's spec.suspend (operator.go, ShouldSuspend): a running pod node still ends, no
// node is created after it and the Workflow does not end until the suspension is lifted.
func TestStandInSuspend(t *testing.T) {
	g := NewWithT(t)
	cm := drv1.Action{Name: "cm", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeKubernetesResource,
		Resource: &drv1.ResourceAction{Operation: drv1.OperationCreate, Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n  namespace: ns\n"}}}
	wf := compile(t, drv1.WorkflowFailFast, cm, http("after", "cm"))
	s := &StandIn{}
	hold := true
	s.SetScript(func(Task) Outcome { return Outcome{Hold: hold} })
	run(s, wf)
	yes := true
	wf.Spec.Suspend = &yes
	hold = false
	run(s, wf)
	g.Expect(wf.Status.Nodes[wf.NodeID(wf.Name+".cm")].Phase).To(Equal(wfv1.NodeSucceeded), "the running pod node ends")
	_, ok := wf.Status.Nodes[wf.NodeID(wf.Name+".after")]
	g.Expect(ok).To(BeFalse(), "no node starts while suspended")
	g.Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowRunning))
	wf.Spec.Suspend = nil
	run(s, wf)
	g.Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowSucceeded))
}
