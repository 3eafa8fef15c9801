package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// A valid workflow action, to which the table's entries add one mistake each.
const httpAction = `{name: notify, type: HTTP, http: {url: "https://hooks.example/x"}}`

func workflowYAML(spec string) string {
	return "apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata: {name: wf}\nspec: " + spec
}

func planYAML(spec string) string {
	return "apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRPlan\nmetadata: {name: plan}\nspec: " + spec
}

func executionYAML(spec string) string {
	return "apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRPlanExecution\nmetadata: {name: run}\nspec: " + spec
}

var _ = Describe("CRD schema and CEL rules", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	DescribeTable("reject invalid objects with a clear message",
		func(doc string, messages ...string) {
			obj := objectFromYAML(doc)
			obj.SetNamespace(ns)
			err := k8sClient.Create(ctx, obj)
			Expect(err).To(HaveOccurred(), "the API server accepted it")
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "not an Invalid error: %v", err)
			for _, m := range messages {
				Expect(err.Error()).To(ContainSubstring(m))
			}
		},
		Entry("action name that is not a DNS label",
			workflowYAML(`{actions: [{name: Notify_Ops, type: HTTP, http: {url: "https://x"}}]}`),
			"spec.actions[0].name", "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"),
		Entry("action name longer than 63 characters",
			workflowYAML(`{actions: [{name: `+strings.Repeat("a", 64)+`, type: HTTP, http: {url: "https://x"}}]}`),
			"spec.actions[0].name", "may not be more than 63"),
		Entry("config block that does not match the type",
			workflowYAML(`{actions: [{name: a, type: HTTP, job: {template: {spec: {}}}}]}`),
			"spec.actions[0]", "http must be set when type is HTTP, and only then", "job must be set when type is Job, and only then"),
		Entry("two config blocks",
			workflowYAML(`{actions: [{name: a, type: HTTP, http: {url: "https://x"}, resource: {operation: Create, manifest: "x"}}]}`),
			"resource must be set when type is KubernetesResource, and only then"),
		Entry("rollback whose config block does not match its type",
			workflowYAML(`{actions: [{name: a, type: HTTP, http: {url: "https://x"}, rollback: {name: undo, type: Job, http: {url: "https://y"}}}]}`),
			"spec.actions[0].rollback", "job must be set when type is Job, and only then"),
		Entry("no actions",
			workflowYAML(`{actions: []}`),
			"spec.actions", "should have at least 1 items"),
		Entry("missing actions",
			workflowYAML(`{failurePolicy: FailFast}`),
			"spec.actions", "Required value"),
		Entry("duplicate action names",
			workflowYAML(`{actions: [`+httpAction+`, `+httpAction+`]}`),
			"spec.actions[1]", "Duplicate value"),
		Entry("timeout that is not a duration",
			workflowYAML(`{actions: [{name: a, type: HTTP, http: {url: "https://x"}, timeout: "5 minutes"}]}`),
			"spec.actions[0].timeout", "timeout must be a positive duration such as 30s or 5m"),
		Entry("negative timeout",
			workflowYAML(`{actions: [{name: a, type: HTTP, http: {url: "https://x"}, timeout: "-5s"}]}`),
			"spec.actions[0].timeout", "timeout must be a positive duration"),
		Entry("unknown action type",
			workflowYAML(`{actions: [{name: a, type: Shell, http: {url: "https://x"}}]}`),
			"spec.actions[0].type", `Unsupported value: "Shell"`),
		Entry("unknown workflow failure policy",
			workflowYAML(`{failurePolicy: Sometimes, actions: [`+httpAction+`]}`),
			"spec.failurePolicy", `Unsupported value: "Sometimes"`),
		Entry("unknown parameter type",
			workflowYAML(`{parameters: [{name: count, type: integer}], actions: [`+httpAction+`]}`),
			"spec.parameters[0].type", `Unsupported value: "integer"`),
		Entry("unknown HTTP method",
			workflowYAML(`{actions: [{name: a, type: HTTP, http: {url: "https://x", method: FETCH}}]}`),
			"spec.actions[0].http.method", `Unsupported value: "FETCH"`),
		Entry("Localization without spec (not a Delete)",
			workflowYAML(`{actions: [{name: a, type: Localization, localization: {operation: Create, name: l, namespace: clusternet-x}}]}`),
			"spec is required unless operation is Delete"),
		Entry("retry limit out of range",
			workflowYAML(`{actions: [{name: a, type: HTTP, http: {url: "https://x"}, retryPolicy: {limit: 1000}}]}`),
			"spec.actions[0].retryPolicy.limit", "should be less than or equal to 100"),
		Entry("plan without stages",
			planYAML(`{stages: []}`),
			"spec.stages", "should have at least 1 items"),
		Entry("plan with an unknown failure policy",
			planYAML(`{failurePolicy: Retry, stages: [{name: s, workflows: [{workflowRef: {name: w}}]}]}`),
			"spec.failurePolicy", `Unsupported value: "Retry"`),
		Entry("stage name that is not a DNS label",
			planYAML(`{stages: [{name: Stage_1, workflows: [{workflowRef: {name: w}}]}]}`),
			"spec.stages[0].name", "should match"),
		Entry("stage without workflows",
			planYAML(`{stages: [{name: s, workflows: []}]}`),
			"spec.stages[0].workflows", "should have at least 1 items"),
		Entry("duplicate stage names",
			planYAML(`{stages: [{name: s, workflows: [{workflowRef: {name: w}}]}, {name: s, workflows: [{workflowRef: {name: w}}]}]}`),
			"spec.stages[1]", "Duplicate value"),
		Entry("Revert without revertExecutionRef",
			executionYAML(`{planRef: p, operationType: Revert}`),
			"revertExecutionRef is required when operationType is Revert"),
		Entry("Execute with a revertExecutionRef",
			executionYAML(`{planRef: p, operationType: Execute, revertExecutionRef: run-1}`),
			"revertExecutionRef is only allowed when operationType is Revert"),
		Entry("unknown operation type",
			executionYAML(`{planRef: p, operationType: Replay}`),
			"spec.operationType", `Unsupported value: "Replay"`),
		Entry("execution without planRef",
			executionYAML(`{operationType: Execute}`),
			"spec.planRef", "Required value"),
	)

	It("keeps an execution's spec immutable", func() {
		run := &drv1.DRPlanExecution{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "run"},
			Spec:       drv1.DRPlanExecutionSpec{PlanRef: "no-such-plan", OperationType: drv1.OperationExecute},
		}
		Expect(k8sClient.Create(ctx, run)).To(Succeed())
		Expect(run.Spec.OperationType).To(Equal(drv1.OperationExecute))
		// A merge patch carries no resourceVersion: only the CEL rule can refuse it.
		patch := client.MergeFrom(run.DeepCopy())
		run.Spec.Params = []drv1.ParamValue{{Name: "replicas", Value: "9"}}
		err := k8sClient.Patch(ctx, run, patch)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "update of spec was not rejected: %v", err)
		Expect(err.Error()).To(And(ContainSubstring("field is immutable"), ContainSubstring("changed: spec.params)")))
	})

	It("applies the schema defaults", func() {
		wf := &drv1.DRWorkflow{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "defaults"},
			Spec: drv1.DRWorkflowSpec{
				Parameters: []drv1.Parameter{{Name: "p"}},
				Actions:    []drv1.Action{{Name: "a", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP, HTTP: &drv1.HTTPAction{URL: "https://x"}}}},
			},
		}
		Expect(k8sClient.Create(ctx, wf)).To(Succeed())
		Expect(wf.Spec.FailurePolicy).To(Equal(drv1.WorkflowFailFast))
		Expect(wf.Spec.Parameters[0].Type).To(Equal(drv1.ParameterTypeString))
		plan := &drv1.DRPlan{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "defaults"},
			Spec:       drv1.DRPlanSpec{Stages: []drv1.Stage{{Name: "s", Workflows: []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: "defaults"}}}}}},
		}
		Expect(k8sClient.Create(ctx, plan)).To(Succeed())
		Expect(plan.Spec.FailurePolicy).To(Equal(drv1.PlanStop))
	})
})

var _ = Describe("Printer columns, categories and kubectl", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	DescribeTable("each CRD declares its printer columns, short name and the dr category",
		func(crdName, shortName string, columns ...string) {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			Expect(k8sClient.Get(ctx, types.NamespacedName{Name: crdName}, crd)).To(Succeed())
			Expect(crd.Spec.Names.ShortNames).To(ContainElement(shortName))
			Expect(crd.Spec.Names.Categories).To(ContainElement("dr"))
			Expect(crd.Spec.Versions).To(HaveLen(1))
			var names []string
			for _, c := range crd.Spec.Versions[0].AdditionalPrinterColumns {
				names = append(names, c.Name)
			}
			Expect(names).To(Equal(columns))
			Expect(crd.Spec.Versions[0].Subresources).NotTo(BeNil())
			Expect(crd.Spec.Versions[0].Subresources.Status).NotTo(BeNil())
		},
		Entry("DRWorkflow", "drworkflows.dr.bkbcs.tencent.com", "drwf", "Actions", "Phase", "Age"),
		Entry("DRPlan", "drplans.dr.bkbcs.tencent.com", "drp", "Phase", "Stages", "Last Execution", "Age"),
		Entry("DRPlanExecution", "drplanexecutions.dr.bkbcs.tencent.com", "drpe", "Plan", "Operation", "Phase", "Paused", "Progress", "Age"),
	)

	It("serves the columns with the reconciled values in a Table", func() {
		createReadyPair(ns, "shift", "failover")
		table := getTable(fmt.Sprintf("/apis/dr.bkbcs.tencent.com/v1alpha1/namespaces/%s/drplans", ns))
		Expect(columnNames(table)).To(Equal([]string{"Name", "Phase", "Stages", "Last Execution", "Age"}))
		Expect(table.Rows).To(HaveLen(1))
		Expect(table.Rows[0].Cells[0]).To(Equal("failover"))
		Expect(table.Rows[0].Cells[1]).To(Equal("Ready"))
		Expect(table.Rows[0].Cells[2]).To(ContainSubstring("traffic"))

		table = getTable(fmt.Sprintf("/apis/dr.bkbcs.tencent.com/v1alpha1/namespaces/%s/drworkflows", ns))
		Expect(columnNames(table)).To(Equal([]string{"Name", "Actions", "Phase", "Age"}))
		Expect(table.Rows).To(HaveLen(1))
		Expect(table.Rows[0].Cells[1]).To(BeEquivalentTo(2))
		Expect(table.Rows[0].Cells[2]).To(Equal("Ready"))
	})

	It("lists all three kinds with `kubectl get dr`", func() {
		createReadyPair(ns, "shift", "failover")
		out, err := kubectl("get", "drp", "-n", ns)
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(MatchRegexp(`(?m)^failover\s+Ready\s+traffic`))

		// (The execution reconciler may run it at once; its columns are there whatever its phase.)
		run := &drv1.DRPlanExecution{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "failover-run"},
			Spec:       drv1.DRPlanExecutionSpec{PlanRef: "failover"},
		}
		Expect(k8sClient.Create(ctx, run)).To(Succeed())
		out, err = kubectl("get", "dr", "-n", ns)
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("drworkflow.dr.bkbcs.tencent.com/shift"))
		Expect(out).To(ContainSubstring("drplan.dr.bkbcs.tencent.com/failover"))
		Expect(out).To(ContainSubstring("drplanexecution.dr.bkbcs.tencent.com/failover-run"))
		Expect(out).To(MatchRegexp(`(?m)^NAME\s+ACTIONS\s+PHASE\s+AGE`))
		Expect(out).To(MatchRegexp(`(?m)^NAME\s+PHASE\s+STAGES\s+LAST EXECUTION\s+AGE`))
		Expect(out).To(MatchRegexp(`(?m)^NAME\s+PLAN\s+OPERATION\s+PHASE\s+PAUSED\s+PROGRESS\s+AGE`))
	})

	It("documents the API with `kubectl explain`", func() {
		Eventually(func(g Gomega) {
			out, err := kubectl("explain", "drplan.spec.stages")
			g.Expect(err).NotTo(HaveOccurred(), out)
			g.Expect(out).To(ContainSubstring("FIELD: stages"))
			g.Expect(out).To(ContainSubstring("stages of the plan, at least one"))
			g.Expect(out).To(MatchRegexp(`workflows\s+<\[\]Object> -required-`))
			g.Expect(out).To(ContainSubstring("parallel"))
		}).Should(Succeed())
		out, err := kubectl("explain", "drworkflow.spec.actions.timeout")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("timeout bounds one attempt of the action"))
	})
})

// createReadyPair creates a two-action DRWorkflow and a one-stage DRPlan using it, and waits until both are
// Ready.
func createReadyPair(ns, workflow, plan string) (*drv1.DRWorkflow, *drv1.DRPlan) {
	GinkgoHelper()
	wf := validWorkflow(ns, workflow)
	Expect(k8sClient.Create(ctx, wf)).To(Succeed())
	p := planFor(ns, plan, workflow)
	Expect(k8sClient.Create(ctx, p)).To(Succeed())
	Eventually(readyOf(wf)).Should(haveReady(metav1.ConditionTrue, drv1.ReasonValid))
	Eventually(readyOf(p)).Should(haveReady(metav1.ConditionTrue, drv1.ReasonValid))
	return wf, p
}

// validWorkflow is a two-action DAG: an HTTP call, then a ConfigMap.
func validWorkflow(ns, name string) *drv1.DRWorkflow {
	return &drv1.DRWorkflow{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: drv1.DRWorkflowSpec{
			Parameters: []drv1.Parameter{{Name: "site", Required: true}},
			Actions: []drv1.Action{
				{Name: "notify", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP, HTTP: &drv1.HTTPAction{URL: "https://hooks.example/{{ .planName }}"}}},
				{Name: "mark", DependsOn: []string{"notify"}, ActionBody: drv1.ActionBody{
					Type: drv1.ActionTypeKubernetesResource,
					Resource: &drv1.ResourceAction{Operation: drv1.OperationCreate,
						Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: active-site\ndata:\n  site: \"{{ .params.site }}\"\n"},
				}},
			},
		},
	}
}

// planFor is a one-stage plan ("traffic") running the named workflows, with the site parameter set.
func planFor(ns, name string, workflows ...string) *drv1.DRPlan {
	p := &drv1.DRPlan{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: drv1.DRPlanSpec{
			GlobalParams: []drv1.ParamValue{{Name: "site", Value: "b"}},
			Stages:       []drv1.Stage{{Name: "traffic"}},
		},
	}
	for _, w := range workflows {
		p.Spec.Stages[0].Workflows = append(p.Spec.Stages[0].Workflows, drv1.WorkflowEntry{WorkflowRef: drv1.ObjectReference{Name: w}})
	}
	return p
}

// getTable GETs path as a meta.k8s.io/v1 Table, as kubectl get does.
func getTable(path string) *metav1.Table {
	GinkgoHelper()
	hc, err := rest.HTTPClientFor(cfg)
	Expect(err).NotTo(HaveOccurred())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(cfg.Host, "/")+path, nil)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := hc.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.StatusCode).To(Equal(http.StatusOK), string(body))
	table := &metav1.Table{}
	Expect(json.Unmarshal(body, table)).To(Succeed())
	return table
}

func columnNames(t *metav1.Table) []string {
	var names []string
	for _, c := range t.ColumnDefinitions {
		names = append(names, c.Name)
	}
	return names
}
