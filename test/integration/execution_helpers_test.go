package integration

import (
	"fmt"
	"sync"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/argostandin"
	"github.com/drplan/drplan-operator/test/testenv"
)

// The Argo stand-in of the execution specs: one for the suite, started on first use; each spec sets its
// script (outcomes by action name) and the stand-in advances every Workflow in the API server.
var (
	standInOnce sync.Once
	theStandIn  *argostandin.StandIn
)

func argoStandIn() *argostandin.StandIn {
	standInOnce.Do(func() {
		theStandIn = argostandin.New(k8sClient)
		theStandIn.Start(ctx)
	})
	theStandIn.SetScript(nil)
	theStandIn.Resume()
	return theStandIn
}

// outcomes is a script by action name; actions not listed succeed.
func exOutcomes(m map[string]argostandin.Outcome) argostandin.Script {
	return func(t argostandin.Task) argostandin.Outcome { return m[t.Action] }
}

func exHTTP(name string, deps ...string) drv1.Action {
	return drv1.Action{Name: name, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
		HTTP: &drv1.HTTPAction{URL: "https://hooks.example/" + name, Method: "POST", Body: `{"plan":"{{ .planName }}"}`}}}
}

func exConfigMap(name, cm string, deps ...string) drv1.Action {
	return drv1.Action{Name: name, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeKubernetesResource,
		Resource: &drv1.ResourceAction{Operation: drv1.OperationCreate,
			Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + cm + "\n  namespace: \"{{ .namespace }}\"\ndata:\n  plan: \"{{ .planName }}\"\n"}}}
}

func exRetry(a drv1.Action, limit int32) drv1.Action {
	a.RetryPolicy = &drv1.RetryPolicy{Limit: limit, Interval: drv1.Duration(1e9)}
	return a
}

func exWorkflow(ns, name string, policy drv1.WorkflowFailurePolicy, actions ...drv1.Action) *drv1.DRWorkflow {
	GinkgoHelper()
	return exWorkflowWithParams(ns, name, policy, nil, actions...)
}

func exWorkflowWithParams(ns, name string, policy drv1.WorkflowFailurePolicy, params []drv1.Parameter, actions ...drv1.Action) *drv1.DRWorkflow {
	GinkgoHelper()
	wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: drv1.DRWorkflowSpec{FailurePolicy: policy, Actions: actions, Parameters: params,
			Executor: &drv1.ExecutorSpec{Type: drv1.ExecutorArgo}}}
	Expect(k8sClient.Create(ctx, wf)).To(Succeed())
	return wf
}

func exStage(name string, parallel bool, deps []string, workflows ...string) drv1.Stage {
	s := drv1.Stage{Name: name, Parallel: parallel, DependsOn: deps}
	for _, w := range workflows {
		s.Workflows = append(s.Workflows, drv1.WorkflowEntry{WorkflowRef: drv1.ObjectReference{Name: w}})
	}
	return s
}

func exPlan(ns, name string, policy drv1.PlanFailurePolicy, stages ...drv1.Stage) *drv1.DRPlan {
	GinkgoHelper()
	p := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: drv1.DRPlanSpec{FailurePolicy: policy, Stages: stages}}
	Expect(k8sClient.Create(ctx, p)).To(Succeed())
	return p
}

func exExecution(ns, name, plan string, params ...drv1.ParamValue) *drv1.DRPlanExecution {
	GinkgoHelper()
	ex := testenv.Execution(ns, name, plan, params...)
	Expect(k8sClient.Create(ctx, ex)).To(Succeed())
	return ex
}

func exRevert(ns, name, plan, target string) *drv1.DRPlanExecution {
	GinkgoHelper()
	ex := testenv.Revert(ns, name, plan, target)
	Expect(k8sClient.Create(ctx, ex)).To(Succeed())
	return ex
}

func exGet(ns, name string) *drv1.DRPlanExecution {
	GinkgoHelper()
	ex := &drv1.DRPlanExecution{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, ex)).To(Succeed())
	return ex
}

// waitPhase waits for the execution to reach phase and returns it.
func exWaitPhase(ns, name string, phase drv1.ExecutionPhase) *drv1.DRPlanExecution {
	GinkgoHelper()
	var ex *drv1.DRPlanExecution
	Eventually(func(g Gomega) drv1.ExecutionPhase {
		ex = &drv1.DRPlanExecution{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, ex)).To(Succeed())
		return ex.Status.Phase
	}).Should(Equal(phase), func() string { return fmt.Sprintf("execution %s/%s status: %+v", ns, name, ex.Status) })
	return ex
}

// actionPhases maps "<action>" to its phase over one entry.
func exActionPhases(e drv1.WorkflowExecutionStatus) map[string]drv1.ActionPhase {
	return testenv.ActionPhases(e.ActionStatuses)
}

func exAction(e drv1.WorkflowExecutionStatus, name string) drv1.ActionStatus {
	GinkgoHelper()
	a, ok := testenv.ActionNamed(e.ActionStatuses, name)
	Expect(ok).To(BeTrue(), "no action %s", name)
	return a
}

func exWorkflows(ns string) []wfv1.Workflow {
	GinkgoHelper()
	list := &wfv1.WorkflowList{}
	Expect(k8sClient.List(ctx, list, client.InNamespace(ns))).To(Succeed())
	return list.Items
}

func exGetPlan(ns, name string) *drv1.DRPlan {
	GinkgoHelper()
	p := &drv1.DRPlan{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, p)).To(Succeed())
	return p
}

// exPlanAfter waits until plan name records the finished execution exName: the plan's status is written
// after the execution's own terminal status, so a test that has just seen the execution finish must wait for it.
func exPlanAfter(ns, name, exName string) *drv1.DRPlan {
	GinkgoHelper()
	var p *drv1.DRPlan
	Eventually(func(g Gomega) {
		p = &drv1.DRPlan{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, p)).To(Succeed())
		g.Expect(p.Status.LastExecutionRef).NotTo(BeNil())
		g.Expect(p.Status.LastExecutionRef.Name).To(Equal(exName))
	}).Should(Succeed())
	return p
}

func execEventReasons(g Gomega, ex *drv1.DRPlanExecution) []string {
	list := &corev1.EventList{}
	g.Expect(k8sClient.List(ctx, list, client.InNamespace(ex.Namespace))).To(Succeed())
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Name == ex.Name && e.InvolvedObject.Kind == "DRPlanExecution" {
			out = append(out, e.Reason)
		}
	}
	return out
}

func rawMerge(patch []byte) client.Patch { return client.RawPatch(types.MergePatchType, patch) }

// metricValue sums the counter samples of a metric of controller-runtime's registry (the manager of this
// suite runs in the test process) whose labels include want.
func metricValue(name string, want map[string]string) float64 {
	GinkgoHelper()
	families, err := crmetrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// runningExecutions counts the executions the API server shows Running and not being deleted, in every
// namespace (what drplan_executions_running should count once the operator has seen them), and tells
// whether ns/name is one of them. Other specs may leave runs held, so a spec compares with this count.
func runningExecutions(g Gomega, ns, name string) (float64, bool) {
	list := &drv1.DRPlanExecutionList{}
	g.Expect(k8sClient.List(ctx, list)).To(Succeed())
	n, ours := 0.0, false
	for i := range list.Items {
		ex := &list.Items[i]
		if ex.Status.Phase == drv1.ExecutionRunning && ex.DeletionTimestamp.IsZero() {
			n++
			ours = ours || (ex.Namespace == ns && ex.Name == name)
		}
	}
	return n, ours
}

// gaugeValue reads a gauge without labels from controller-runtime's registry.
func gaugeValue(name string) float64 {
	GinkgoHelper()
	families, err := crmetrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	Fail("no gauge " + name)
	return 0
}
