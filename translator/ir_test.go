package translator

import (
	"fmt"
	"math/rand"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

func TestBuildForwardSequentialWhenNoDependsOn(t *testing.T) {
	g := NewWithT(t)
	wf := validWorkflow(t)
	for i := range wf.Spec.Actions {
		wf.Spec.Actions[i].DependsOn = nil
	}
	ir, err := BuildForward(testInput(t, wf, v1alpha1.ParamValue{Name: "toCluster", Value: "clusternet-a"}, v1alpha1.ParamValue{Name: "replicas", Value: "0"}))
	g.Expect(err).NotTo(HaveOccurred())
	var deps [][]string
	for _, a := range ir.Actions {
		deps = append(deps, a.DependsOn)
	}
	g.Expect(deps).To(Equal([][]string{nil, {"notify"}, {"promote"}, {"subscribe"}, {"marker"}}))
	// replicas "0": promote's when renders false; it stays, marked skipped.
	g.Expect(ir.Actions[1].Skipped).To(BeTrue())
	g.Expect(ir.Actions[1].SkipReason).To(ContainSubstring("when"))
	g.Expect(ir.ServiceAccountName).To(Equal("dr-runner"))
	g.Expect(ir.FailurePolicy).To(Equal(v1alpha1.WorkflowFailFast))
}

func TestBuildForwardIR(t *testing.T) {
	g := NewWithT(t)
	ir, err := BuildForward(testInput(t, validWorkflow(t), v1alpha1.ParamValue{Name: "toCluster", Value: "clusternet-a"}, v1alpha1.ParamValue{Name: "replicas", Value: "2"}))
	g.Expect(err).NotTo(HaveOccurred())
	notify := ir.Actions[0]
	g.Expect(notify.Timeout.String()).To(Equal("30s"))
	g.Expect(notify.Retry).To(Equal(Retry{Limit: 3, Interval: 2e9, BackoffFactor: 2}))
	g.Expect(notify.HTTP.Headers).To(HaveLen(3))
	g.Expect(notify.HTTP.Headers[0].Name).To(Equal("Authorization"))
	g.Expect(notify.HTTP.Headers[0].Value).To(BeEmpty(), "secret headers carry a reference, never a value")
	g.Expect(notify.HTTP.Headers[0].SecretKeyRef.Name).To(Equal("hook-token"))
	g.Expect(notify.HTTP.Headers[2]).To(Equal(HTTPHeader{Name: IdempotencyHeader, Value: "uid-1/shift/notify"}))
	promote := ir.Actions[1]
	g.Expect(promote.Resource.Namespace).To(Equal("clusternet-a"))
	g.Expect(promote.Resource.APIVersion).To(Equal(ClusternetAPIVersion))
	verify := ir.Actions[4]
	g.Expect(verify.Resource.Name).To(Equal(JobName("e1", "s1", 0, "shift", "verify")))
	g.Expect(verify.Resource.WaitFor).To(Equal(WaitJobComplete))
	g.Expect(verify.Resource.JobBackoffLimit).To(Equal(int32(2)))
	g.Expect(ir.Actions[2].Resource.WaitFor).To(Equal(WaitSubscriptionBound))
}

func TestBuildReverseOnlyUndoesSucceeded(t *testing.T) {
	g := NewWithT(t)
	wf := validWorkflow(t)
	in := testInput(t, wf, v1alpha1.ParamValue{Name: "toCluster", Value: "clusternet-a"}, v1alpha1.ParamValue{Name: "replicas", Value: "2"})
	ir, err := BuildReverse(in, []v1alpha1.ActionStatus{
		{Name: "notify", Phase: v1alpha1.ActionSucceeded},
		{Name: "promote", Phase: v1alpha1.ActionSkipped},
		{Name: "subscribe", Phase: v1alpha1.ActionSucceeded},
		{Name: "marker", Phase: v1alpha1.ActionFailed},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ir.Reverse).To(BeTrue())
	var names []string
	for _, a := range ir.Actions {
		names = append(names, fmt.Sprintf("%s<-%v skipped=%v", a.Name, a.DependsOn, a.Skipped))
	}
	g.Expect(names).To(Equal([]string{"subscribe<-[] skipped=false", "notify<-[subscribe] skipped=true"}))
	g.Expect(ir.Actions[0].Resource.Operation).To(Equal(v1alpha1.OperationDelete))
	g.Expect(ir.Actions[0].Resource.WaitFor).To(Equal(WaitNone))
}

// randomWorkflow builds a valid workflow of n actions with random dependencies on earlier actions (so it
// is acyclic), declared in a shuffled order.
func randomWorkflow(rng *rand.Rand, n int) *v1alpha1.DRWorkflow {
	actions := make([]v1alpha1.Action, n)
	for i := range actions {
		actions[i] = v1alpha1.Action{
			Name: fmt.Sprintf("a%d", i),
			ActionBody: v1alpha1.ActionBody{Type: v1alpha1.ActionTypeKubernetesResource, Resource: &v1alpha1.ResourceAction{
				Operation: v1alpha1.OperationCreate,
				Manifest:  fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%d}\n", i),
			}},
		}
		for j := 0; j < i; j++ {
			if rng.Intn(4) == 0 {
				actions[i].DependsOn = append(actions[i].DependsOn, actions[j].Name)
			}
		}
	}
	rng.Shuffle(n, func(i, j int) { actions[i], actions[j] = actions[j], actions[i] })
	wf := &v1alpha1.DRWorkflow{Spec: v1alpha1.DRWorkflowSpec{Actions: actions}}
	wf.Name, wf.Namespace = "random", "default"
	return wf
}

// reachable[i][j]: j can be reached from i following edges.
func transitiveClosure(edges map[string][]string, names []string) map[string]map[string]bool {
	closure := make(map[string]map[string]bool, len(names))
	var visit func(from, n string)
	visit = func(from, n string) {
		for _, m := range edges[n] {
			if !closure[from][m] {
				closure[from][m] = true
				visit(from, m)
			}
		}
	}
	for _, n := range names {
		closure[n] = map[string]bool{}
		visit(n, n)
	}
	return closure
}

// TestReverseIsReverseTopologicalOrder is the property: over random DAGs (and chains) and random sets of
// succeeded actions, undo(B) runs before undo(A) exactly when B depends, transitively, on A in the forward
// run; independent undos stay independent (parallel); and the listed order is a reverse topological order.
func TestReverseIsReverseTopologicalOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	for round := 0; round < 100; round++ {
		wf := randomWorkflow(rng, 1+rng.Intn(14))
		var statuses []v1alpha1.ActionStatus
		succeeded := map[string]bool{}
		for _, a := range wf.Spec.Actions {
			phase := v1alpha1.ActionSucceeded
			if rng.Intn(3) == 0 {
				phase = v1alpha1.ActionSkipped
			}
			statuses = append(statuses, v1alpha1.ActionStatus{Name: a.Name, Phase: phase})
			succeeded[a.Name] = phase == v1alpha1.ActionSucceeded
		}
		in := Input{Workflow: wf, Namespace: "default", PlanName: "p", ExecutionName: "e", StageName: "s"}
		ir, err := BuildReverse(in, statuses)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		// Every generated case, forward and reverse, must be a Workflow Argo accepts.
		{
			if _, fwd, err := CompileForward(in, EmitOptions{Validate: true}); err != nil {
				t.Fatalf("round %d forward: %v", round, err)
			} else if fwd == nil {
				t.Fatalf("round %d: no forward workflow", round)
			}
			if len(ir.Actions) > 0 {
				if _, err := EmitArgo(ir, EmitOptions{Validate: true}); err != nil {
					t.Fatalf("round %d reverse: %v", round, err)
				}
			}
		}

		forwardEdges := map[string][]string{} // dependency -> dependents
		var names []string
		sequential := wf.Spec.IsSequential() // no dependsOn at all: the list is a chain
		for i, a := range wf.Spec.Actions {
			names = append(names, a.Name)
			if sequential && i > 0 {
				prev := wf.Spec.Actions[i-1].Name
				forwardEdges[prev] = append(forwardEdges[prev], a.Name)
			}
			for _, d := range a.DependsOn {
				forwardEdges[d] = append(forwardEdges[d], a.Name)
			}
		}
		forwardReach := transitiveClosure(forwardEdges, names)
		reverseEdges := map[string][]string{} // undo that runs first -> undos waiting for it
		var undone []string
		position := map[string]int{}
		for i, a := range ir.Actions {
			undone = append(undone, a.Reverts)
			position[a.Reverts] = i
			for _, d := range a.DependsOn {
				reverseEdges[d] = append(reverseEdges[d], a.Name)
			}
		}
		reverseReach := transitiveClosure(reverseEdges, undone)

		count := 0
		for _, n := range names {
			if succeeded[n] {
				count++
			}
		}
		if len(undone) != count {
			t.Fatalf("round %d: %d undos for %d succeeded actions", round, len(undone), count)
		}
		for _, a := range undone {
			for _, b := range undone {
				if a == b {
					continue
				}
				// b depends on a forward  <=>  undo(b) precedes undo(a) in reverse.
				if forwardReach[a][b] != reverseReach[b][a] {
					t.Fatalf("round %d: forward %s->%s is %v but reverse %s->%s is %v", round, a, b, forwardReach[a][b], b, a, reverseReach[b][a])
				}
				if forwardReach[a][b] && position[b] > position[a] {
					t.Fatalf("round %d: undo of %s listed after undo of %s", round, b, a)
				}
			}
		}
	}
}

func TestBuildWithoutWorkflow(t *testing.T) {
	if _, err := BuildForward(Input{}); err == nil {
		t.Error("BuildForward without a workflow must fail")
	}
	if _, err := BuildReverse(Input{}, nil); err == nil {
		t.Error("BuildReverse without a workflow must fail")
	}
}
