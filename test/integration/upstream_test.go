package integration

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/testenv"
)

// YAML written for upstream bcs-drplan-controller: the API server's defaults, the explanations for what this
// operator does not support, and examples/upstream-style run to the end on both engines and reverted.
var _ = Describe("Upstream bcs-drplan-controller YAML", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	It("gets upstream's defaults from the API server for the fields it lets users leave out", func() {
		obj := objectFromYAML(workflowYAML(`{actions: [
  {name: l, type: Localization, localization: {name: l, namespace: clusternet-x, spec: {feed: {apiVersion: v1, kind: ConfigMap, name: c}}},
   rollback: {localization: {operation: Delete, name: l, namespace: clusternet-x}}},
  {name: s, type: Subscription, waitReady: true, subscription: {name: s, spec: {feeds: []}}},
  {name: r, type: KubernetesResource, resource: {manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n"}}]}`))
		Expect(createInNamespace(obj, ns)).To(Succeed())
		wf := &drv1.DRWorkflow{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: obj.GetName()}, wf)).To(Succeed())
		a := wf.Spec.Actions
		Expect(a[0].Localization.Operation).To(Equal(drv1.OperationCreate))
		Expect(a[1].Subscription.Operation).To(Equal(drv1.SubscriptionOperation(drv1.OperationCreate)))
		Expect(a[1].Subscription.Namespace).To(Equal("default"))
		Expect(a[2].Resource.Operation).To(Equal(drv1.OperationCreate))
		Expect(a[0].GetRollback()).To(And(HaveField("Name", "l-rollback"), HaveField("Type", drv1.ActionTypeLocalization)))
		Eventually(readyOf(wf)).Should(haveReady(metav1.ConditionTrue, drv1.ReasonValid))
	})

	DescribeTable("accepts upstream fields this operator does not implement and says so on the object",
		func(doc, message string) {
			obj := objectFromYAML(doc)
			Expect(createInNamespace(obj, ns)).To(Succeed(), "the schema knows the field")
			switch obj.GetKind() {
			case "DRWorkflow":
				wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: obj.GetName()}}
				Eventually(readyOf(wf)).Should(And(haveReady(metav1.ConditionFalse, drv1.ReasonInvalid),
					HaveField("Message", ContainSubstring(message))))
			case "DRPlan":
				plan := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: obj.GetName()}}
				Eventually(readyOf(plan)).Should(And(HaveField("Status", metav1.ConditionFalse),
					HaveField("Message", ContainSubstring(message))))
			}
		},
		Entry("PerCluster fan-out",
			workflowYAML(`{actions: [{name: s, type: Subscription, clusterExecutionMode: PerCluster, waitReady: true, subscription: {name: s, spec: {}}}]}`),
			"spec.actions[0].clusterExecutionMode: Invalid value: \"PerCluster\": not supported by this operator: per-cluster fan-out"),
		Entry("a HelmChart action",
			workflowYAML(`{actions: [{name: c, type: HelmChart, helmChart: {name: c, namespace: shop, spec: {repo: "https://charts.example", chart: api, targetNamespace: shop}}}]}`),
			"spec.actions[0].type: Invalid value: \"HelmChart\": not supported by this operator: HelmChart actions"),
		Entry("a rollback hook",
			workflowYAML(`{actions: [{name: h, type: HTTP, hookType: pre-rollback, http: {url: "https://x"}}]}`),
			"not supported by this operator: rollback hooks"),
		Entry("a workflow parameter read from a Secret",
			workflowYAML(`{parameters: [{name: token, valueFrom: {secretKeyRef: {name: s, key: k}}}], actions: [{name: h, type: HTTP, http: {url: "https://x"}}]}`),
			"spec.parameters[0].valueFrom.secretKeyRef: Forbidden: reads a Secret: parameter values are stored in the execution's status and in the compiled Argo Workflow"),
	)

	It("selects actions by the execution's mode, and refuses a run without one when a workflow needs it", func() {
		argoStandIn()
		gated := func(name, when string) drv1.Action { a := exHTTP(name); a.When = when; return a }
		exWorkflow(ns, "gen", "", gated("install", `mode == "install" || mode == "upgrade"`), gated("remove", `mode == 'delete'`),
			gated("always", `{{ ne .mode "" }}`))
		exPlan(ns, "p", "", exStage("one", false, nil, "gen"))

		run := testenv.Execution(ns, "delete-run", "p")
		run.Spec.Mode = drv1.ModeDelete
		Expect(k8sClient.Create(ctx, run)).To(Succeed())
		e := exWaitPhase(ns, "delete-run", drv1.ExecutionSucceeded).Status.StageStatuses[0].WorkflowExecutions[0]
		Expect(exActionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"install": drv1.ActionSkipped,
			"remove": drv1.ActionSucceeded, "always": drv1.ActionSucceeded}))
		Expect(e.Params).To(ContainElement(drv1.ParamValue{Name: "mode", Value: "delete"}))

		exExecution(ns, "no-mode", "p")
		ex := exWaitPhase(ns, "no-mode", drv1.ExecutionFailed)
		Expect(ex.Status.Message).To(ContainSubstring(`DRWorkflow gen action install selects by mode`))
		Expect(exWorkflows(ns)).To(HaveLen(1), "nothing of the refused run was started")

		revert := testenv.Revert(ns, "bad-revert", "p", "delete-run")
		revert.Spec.Mode = drv1.ModeInstall
		err := k8sClient.Create(ctx, revert)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring("a Revert runs in mode Rollback"))
	})

	DescribeTable("runs examples/upstream-style to the end and reverts it",
		func(engineType drv1.ExecutorType) {
			clusterNs := newNamespace() // the child cluster's clusternet-xxxxx namespace
			var mu sync.Mutex
			var health []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				health = append(health, r.URL.Path+" plan="+r.Header.Get("X-DR-Plan"))
				mu.Unlock()
			}))
			DeferCleanup(srv.Close)
			argoStandIn() // every Argo task succeeds
			if engineType == drv1.ExecutorNative {
				grantUpstreamExample(ns, clusterNs)
			}

			By("applying the example's workflow and plan, on " + string(engineType) + ", for this spec's child cluster")
			for _, obj := range loadObjects(filepath.Join(repoRoot, "examples", "upstream-style", "install.yaml")) {
				switch obj.GetKind() {
				case "DRWorkflow":
					Expect(unstructured.SetNestedField(obj.Object, string(engineType), "spec", "executor", "type")).To(Succeed())
				case "DRPlan":
					stages, _, _ := unstructured.NestedSlice(obj.Object, "spec", "stages")
					entry := stages[0].(map[string]any)["workflows"].([]any)[0].(map[string]any)
					entry["params"] = []any{map[string]any{"name": "managedClusterNamespace", "value": clusterNs}}
					Expect(unstructured.SetNestedSlice(obj.Object, stages, "spec", "stages")).To(Succeed())
				case "DRPlanExecution":
					continue // created below, with the test server as the endpoint
				}
				Expect(createInNamespace(obj, ns)).To(Succeed())
			}
			run := testenv.Execution(ns, "install-run", "install", drv1.ParamValue{Name: "endpoint", Value: srv.URL})
			run.Spec.Mode = drv1.ModeInstall // the example's subscribe action runs when mode == "install"
			Expect(k8sClient.Create(ctx, run)).To(Succeed())
			subName := "api-" + clusterNs
			if engineType == drv1.ExecutorNative {
				By("Clusternet's scheduler binds the Subscription in namespace default (played by the spec)")
				bindSubscription("default", subName)
			}

			ex := exWaitPhase(ns, "install-run", drv1.ExecutionSucceeded)
			e := ex.Status.StageStatuses[0].WorkflowExecutions[0]
			Expect(e.Engine).To(Equal(engineType))
			Expect(exActionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"health": drv1.ActionSucceeded,
				"localize": drv1.ActionSucceeded, "subscribe": drv1.ActionSucceeded, "record": drv1.ActionSucceeded}))
			Expect(e.Params).To(ContainElements(
				HaveField("Name", "feedNamespace"), // from globalParams: undeclared values pass through
				drv1.ParamValue{Name: "managedClusterNamespace", Value: clusterNs},
				drv1.ParamValue{Name: "endpoint", Value: srv.URL}))
			Expect(exAction(e, "localize").Outputs.LocalizationRef).To(And(HaveField("Namespace", clusterNs), HaveField("Name", "install-api")))
			Expect(exAction(e, "subscribe").Outputs.SubscriptionRef).To(And(HaveField("Namespace", "default"), HaveField("Name", subName)))
			Expect(exAction(e, "record").Outputs.ResourceRef).To(And(HaveField("Namespace", ns), HaveField("Name", "installed-install")))

			if engineType == drv1.ExecutorNative {
				mu.Lock()
				Expect(health).To(Equal([]string{"/health plan=install"}), "$(params.endpoint)/health and $(planName) rendered")
				mu.Unlock()
				cm := &unstructured.Unstructured{}
				cm.SetAPIVersion("v1")
				cm.SetKind("ConfigMap")
				Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "installed-install"}, cm)).To(Succeed())
				Expect(cm.Object["data"]).To(HaveKeyWithValue("cluster", clusterNs))
				Expect(cm.Object["data"]).To(HaveKeyWithValue("note", "a shell's $(date) and a Kubernetes $(VAR) are left as written"))
			} else {
				wfs := exWorkflows(ns)
				Expect(wfs).To(HaveLen(1))
				out, err := yaml.Marshal(wfs[0].Spec)
				Expect(err).NotTo(HaveOccurred())
				Expect(string(out)).To(ContainSubstring("url: " + srv.URL + "/health"))
				Expect(string(out)).NotTo(ContainSubstring("$(params."))
				Expect(string(out)).NotTo(ContainSubstring("$(planName)"))
			}

			By("reverting: the rollback without name or type runs as localize-rollback, a Localization Delete")
			exRevert(ns, "install-revert", "install", "install-run")
			rev := exWaitPhase(ns, "install-revert", drv1.ExecutionSucceeded)
			re := rev.Status.StageStatuses[0].WorkflowExecutions[0]
			Expect(exActionPhases(re)).To(HaveKeyWithValue("localize-rollback", drv1.ActionSucceeded))
			Expect(exActionPhases(re)).To(HaveKeyWithValue("subscribe", drv1.ActionSucceeded)) // automatic inverse
			if engineType == drv1.ExecutorNative {
				for _, key := range []types.NamespacedName{{Namespace: clusterNs, Name: "install-api"}, {Namespace: "default", Name: subName}} {
					obj := &unstructured.Unstructured{}
					obj.SetAPIVersion("apps.clusternet.io/v1alpha1")
					obj.SetKind(map[bool]string{true: "Localization", false: "Subscription"}[key.Namespace == clusterNs])
					Eventually(func() bool {
						return apierrors.IsNotFound(k8sClient.Get(ctx, key, obj))
					}).Should(BeTrue(), "%s %s deleted by the revert", obj.GetKind(), key)
				}
			}
		},
		Entry("on Argo", drv1.ExecutorArgo),
		Entry("on the native engine", drv1.ExecutorNative),
	)
})

// grantUpstreamExample gives the executor ServiceAccount of ns what examples/upstream-style touches:
// ConfigMaps in ns, Localizations in the child cluster's namespace, Subscriptions in namespace default.
func grantUpstreamExample(ns, clusterNs string) {
	GinkgoHelper()
	verbs := []string{"get", "list", "watch", "create", "delete", "patch"}
	grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: verbs})
	grantExecutorIn(ns, clusterNs, rbacv1.PolicyRule{APIGroups: []string{"apps.clusternet.io"}, Resources: []string{"localizations"}, Verbs: verbs})
	grantExecutorIn(ns, "default", rbacv1.PolicyRule{APIGroups: []string{"apps.clusternet.io"}, Resources: []string{"subscriptions"}, Verbs: verbs})
}

// grantExecutorIn binds a Role of rule in namespace target to the default executor ServiceAccount of ns.
func grantExecutorIn(ns, target string, rule rbacv1.PolicyRule) {
	GinkgoHelper()
	sa := drv1.DefaultExecutorServiceAccount
	name := sa + "-" + ns
	Expect(k8sClient.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: target}, Rules: []rbacv1.PolicyRule{rule}})).To(Succeed())
	Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: target},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}}})).To(Succeed())
	Eventually(func(g Gomega) bool {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   "system:serviceaccount:" + ns + ":" + sa,
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: target, Verb: "create",
				Group: rule.APIGroups[0], Resource: rule.Resources[0]}}}
		g.Expect(k8sClient.Create(ctx, sar)).To(Succeed())
		return sar.Status.Allowed
	}).Should(BeTrue(), "RBAC for the executor of %s in %s to take effect", ns, target)
}

// bindSubscription waits for the Subscription to exist and writes status.bindingClusters, as Clusternet's
// scheduler does.
func bindSubscription(ns, name string) {
	GinkgoHelper()
	sub := &unstructured.Unstructured{}
	sub.SetAPIVersion("apps.clusternet.io/v1alpha1")
	sub.SetKind("Subscription")
	Eventually(func() error { return k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, sub) }).Should(Succeed())
	Expect(unstructured.SetNestedStringSlice(sub.Object, []string{"clusternet-aaaaa/cluster-a"}, "status", "bindingClusters")).To(Succeed())
	Expect(k8sClient.Status().Update(ctx, sub)).To(Succeed())
}
