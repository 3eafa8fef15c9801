package integration

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/argostandin"
)

// examples/upstream-style/rollout.yaml on both engines: a Globalization, a parameter read from a ConfigMap, a
// stage whose failurePolicy Continue lets the plan go on after it failed, and the revert deleting what was
// created; examples/upstream-style/replace.yaml (Subscription Replace) on the native engine, refused on Argo.
var _ = Describe("Upstream Globalization, Subscription Replace, valueFrom and stage failurePolicy", func() {
	const finalizer = "apps.clusternet.io/test-finalizer" // plays Clusternet's finalizer

	DescribeTable("runs examples/upstream-style/rollout.yaml and reverts it",
		func(engineType drv1.ExecutorType) {
			ns, clusterNs := newNamespace(), newNamespace()
			subKey := types.NamespacedName{Namespace: "default", Name: "api-" + clusterNs}
			globName := clusterNs + "-api-replicas"
			var mu sync.Mutex
			var posts []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				posts = append(posts, r.URL.Path)
				mu.Unlock()
				if strings.HasPrefix(r.URL.Path, "/down") {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			}))
			DeferCleanup(srv.Close)
			argo := argoStandIn()
			argo.SetScript(func(t argostandin.Task) argostandin.Outcome {
				if t.Workflow.Labels[drv1.LabelStage] == "announce" {
					return argostandin.Outcome{StatusCode: http.StatusServiceUnavailable}
				}
				return argostandin.Outcome{}
			})
			// Both engines: the operator reads valueFrom as the executor when the execution starts.
			grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}})
			if engineType == drv1.ExecutorNative {
				grantExecutorIn(ns, "default", rbacv1.PolicyRule{APIGroups: []string{"apps.clusternet.io"}, Resources: []string{"subscriptions"},
					Verbs: []string{"get", "list", "watch", "create", "delete"}})
				grantShippedGlobalizationRole(ns)
			}

			By("applying the example on " + string(engineType) + ", for this spec's child cluster and test server")
			for _, obj := range loadObjects(filepath.Join(repoRoot, "examples", "upstream-style", "rollout.yaml")) {
				switch obj.GetKind() {
				case "DRWorkflow":
					Expect(unstructured.SetNestedField(obj.Object, string(engineType), "spec", "executor", "type")).To(Succeed())
				case "DRPlan":
					stages, _, _ := unstructured.NestedSlice(obj.Object, "spec", "stages")
					setParam(stages, 0, "endpoint", srv.URL+"/down")
					setParam(stages, 1, "managedClusterNamespace", clusterNs)
					setParam(stages, 2, "endpoint", srv.URL+"/up")
					Expect(unstructured.SetNestedSlice(obj.Object, stages, "spec", "stages")).To(Succeed())
				case "DRPlanExecution":
					obj.SetNamespace(ns)
					Expect(k8sClient.Create(ctx, obj)).To(Succeed(), "the example's execution, as written")
					continue
				}
				Expect(createInNamespace(obj, ns)).To(Succeed())
			}

			if engineType == drv1.ExecutorNative {
				By("Clusternet's scheduler binds the Subscription in namespace default (played by the spec)")
				bindSubscription(subKey.Namespace, subKey.Name)
			}

			ex := exWaitPhase(ns, "rollout-run", drv1.ExecutionFailed)
			phases := map[string]drv1.ExecutionPhase{}
			for _, st := range ex.Status.StageStatuses {
				phases[st.Name] = st.Phase
			}
			Expect(phases).To(Equal(map[string]drv1.ExecutionPhase{"announce": drv1.ExecutionFailed,
				"rollout": drv1.ExecutionSucceeded, "confirm": drv1.ExecutionSucceeded}),
				"announce's failurePolicy Continue let confirm start under the plan's Stop")
			e := ex.Status.StageStatuses[1].WorkflowExecutions[0]
			Expect(e.Engine).To(Equal(engineType))
			Expect(e.Params).To(ContainElement(drv1.ParamValue{Name: "replicas", Value: "5"}), "the value read is recorded")
			Expect(exAction(e, "scale-everywhere").Outputs.GlobalizationRef).To(And(
				HaveField("Name", globName), HaveField("Namespace", ""), HaveField("Created", true)))
			Expect(exAction(e, "subscribe").Outputs.SubscriptionRef).To(And(
				HaveField("Namespace", "default"), HaveField("Name", subKey.Name), HaveField("Created", true)))

			if engineType == drv1.ExecutorNative {
				mu.Lock()
				Expect(posts).To(ConsistOf("/down/rollout", "/up/rollout"))
				mu.Unlock()
				glob := globalization(globName)
				Expect(k8sClient.Get(ctx, types.NamespacedName{Name: globName}, glob)).To(Succeed())
				value, _, _ := unstructured.NestedSlice(glob.Object, "spec", "overrides")
				Expect(value).To(ConsistOf(HaveKeyWithValue("value", `{"spec":{"replicas":5}}`)), "$(params.replicas) read from the ConfigMap")
			} else {
				var compiled string
				for _, wf := range exWorkflows(ns) {
					if wf.Labels[drv1.LabelStage] == "rollout" {
						out, err := yaml.Marshal(wf.Spec)
						Expect(err).NotTo(HaveOccurred())
						compiled = string(out)
					}
				}
				Expect(compiled).To(And(ContainSubstring(`"kind": "Globalization"`), ContainSubstring(`{\"spec\":{\"replicas\":5}}`)))
			}

			By("reverting: the Subscription and the Globalization it created are deleted")
			exRevert(ns, "rollout-revert", "rollout", "rollout-run")
			rev := exWaitPhase(ns, "rollout-revert", drv1.ExecutionSucceeded)
			var undone map[string]drv1.ActionPhase
			for _, st := range rev.Status.StageStatuses {
				if st.Name == "rollout" {
					undone = exActionPhases(st.WorkflowExecutions[0])
				}
			}
			Expect(undone).To(Equal(map[string]drv1.ActionPhase{"scale-everywhere": drv1.ActionSucceeded, "subscribe": drv1.ActionSucceeded}))
			if engineType == drv1.ExecutorNative {
				Eventually(func() bool {
					return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Name: globName}, globalization(globName)))
				}).Should(BeTrue(), "Globalization %s deleted by the revert", globName)
				Eventually(func() bool {
					return apierrors.IsNotFound(k8sClient.Get(ctx, subKey, subscription(subKey)))
				}).Should(BeTrue(), "Subscription %s deleted by the revert", subKey)
			}
		},
		Entry("on Argo", drv1.ExecutorArgo),
		Entry("on the native engine", drv1.ExecutorNative),
	)

	It("runs examples/upstream-style/replace.yaml on the native engine: delete, wait until gone, create; refused on Argo", func() {
		ns, clusterNs := newNamespace(), newNamespace()
		subKey := types.NamespacedName{Namespace: "default", Name: "api-" + clusterNs}
		grantExecutor(ns)
		grantExecutorIn(ns, "default", rbacv1.PolicyRule{APIGroups: []string{"apps.clusternet.io"}, Resources: []string{"subscriptions"},
			Verbs: []string{"get", "list", "watch", "create", "delete"}})
		By("an earlier Subscription of that name exists, held by Clusternet's finalizer")
		old := subscription(subKey)
		old.SetFinalizers([]string{finalizer})
		Expect(unstructured.SetNestedField(old.Object, map[string]any{"feeds": []any{},
			"subscribers": []any{map[string]any{"clusterAffinity": map[string]any{}}}}, "spec")).To(Succeed())
		Expect(k8sClient.Create(ctx, old)).To(Succeed())

		objs := loadObjects(filepath.Join(repoRoot, "examples", "upstream-style", "replace.yaml"))
		for _, obj := range objs {
			if obj.GetKind() == "DRPlan" {
				stages, _, _ := unstructured.NestedSlice(obj.Object, "spec", "stages")
				setParam(stages, 0, "managedClusterNamespace", clusterNs)
				Expect(unstructured.SetNestedSlice(obj.Object, stages, "spec", "stages")).To(Succeed())
			}
			obj.SetNamespace(ns)
			Expect(k8sClient.Create(ctx, obj.DeepCopy())).To(Succeed(), "%s %s as written", obj.GetKind(), obj.GetName())
		}

		By("the old Subscription is deleted first; Clusternet releases it; the new one is created and bound")
		Eventually(func(g Gomega) {
			got := subscription(subKey)
			g.Expect(k8sClient.Get(ctx, subKey, got)).To(Succeed())
			g.Expect(got.GetDeletionTimestamp()).NotTo(BeNil(), "Replace deletes the existing Subscription first")
			g.Expect(got.GetUID()).To(Equal(old.GetUID()))
			got.SetFinalizers(nil)
			g.Expect(k8sClient.Update(ctx, got)).To(Succeed())
		}).Should(Succeed())
		Eventually(func(g Gomega) {
			got := subscription(subKey)
			g.Expect(k8sClient.Get(ctx, subKey, got)).To(Succeed())
			g.Expect(got.GetUID()).NotTo(Equal(old.GetUID()), "created afresh")
			feeds, _, _ := unstructured.NestedSlice(got.Object, "spec", "feeds")
			g.Expect(feeds).To(HaveLen(1), "with the action's spec")
			g.Expect(unstructured.SetNestedStringSlice(got.Object, []string{"clusternet-aaaaa/cluster-a"}, "status", "bindingClusters")).To(Succeed())
			g.Expect(k8sClient.Status().Update(ctx, got)).To(Succeed())
		}).Should(Succeed())
		ex := exWaitPhase(ns, "reschedule-run", drv1.ExecutionSucceeded)
		ref := exAction(ex.Status.StageStatuses[0].WorkflowExecutions[0], "resubscribe").Outputs.SubscriptionRef
		Expect(ref).To(And(HaveField("Name", subKey.Name), HaveField("Created", true)))
		Expect(ref.UID).NotTo(Equal(old.GetUID()))

		exRevert(ns, "reschedule-revert", "reschedule", "reschedule-run")
		exWaitPhase(ns, "reschedule-revert", drv1.ExecutionSucceeded)
		Eventually(func() bool { return apierrors.IsNotFound(k8sClient.Get(ctx, subKey, subscription(subKey))) }).
			Should(BeTrue(), "the revert deleted the Subscription the Replace created")

		By("the same workflow on Argo is refused before anything runs, saying why and what to write instead")
		argoStandIn()
		wf := &drv1.DRWorkflow{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "reschedule-api"}, wf)).To(Succeed())
		wf.Spec.Executor = nil // the operator's default engine: Argo in this suite
		Expect(k8sClient.Update(ctx, wf)).To(Succeed())
		exExecution(ns, "on-argo", "reschedule")
		ex = exWaitPhase(ns, "on-argo", drv1.ExecutionFailed)
		Expect(ex.Status.Message).To(And(ContainSubstring("runs on Argo"), ContainSubstring("native engine only"),
			ContainSubstring("a Delete action followed by a Create action")))
		Expect(exWorkflows(ns)).To(BeEmpty())
		Expect(k8sClient.Patch(ctx, wf, rawMerge([]byte(`{"spec":{"executor":{"type":"Argo"}}}`)))).To(Succeed())
		Eventually(readyOf(wf)).Should(And(haveReady(metav1.ConditionFalse, drv1.ReasonInvalid),
			HaveField("Message", ContainSubstring("spec.actions[0].subscription.operation"))))
	})

	It("reads a parameter's valueFrom as the executor when the execution starts, and fails naming it when it cannot", func() {
		ns := newNamespace()
		argoStandIn()
		grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}})
		for name, labels := range map[string]map[string]string{"settings-a": {"app": "settings"}, "other": {"app": "other"}} {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}, Data: map[string]string{"endpoint": "https://" + name}}
			Expect(k8sClient.Create(ctx, cm)).To(Succeed())
		}
		exWorkflowWithParams(ns, "w", "", []drv1.Parameter{{Name: "endpoint"}}, exHTTP("call"))
		plan := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: ns}, Spec: drv1.DRPlanSpec{
			GlobalParams: []drv1.ParamValue{{Name: "endpoint", ValueFrom: &drv1.ParamValueSource{ManifestRef: &drv1.ManifestRef{
				APIVersion: "v1", Kind: "ConfigMap", LabelSelector: "app=settings", JSONPath: "{.data.endpoint}", Select: drv1.SelectSingle}}}},
			Stages: []drv1.Stage{exStage("one", false, nil, "w")}}}
		Expect(k8sClient.Create(ctx, plan)).To(Succeed())
		exExecution(ns, "run", "p")
		ex := exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
		Expect(ex.Status.StageStatuses[0].WorkflowExecutions[0].Params).To(ContainElement(drv1.ParamValue{Name: "endpoint", Value: "https://settings-a"}))

		By("a second match makes select Single fail, naming the parameter; nothing runs")
		Expect(k8sClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings-b", Namespace: ns,
			Labels: map[string]string{"app": "settings"}}})).To(Succeed())
		exExecution(ns, "run-2", "p")
		ex = exWaitPhase(ns, "run-2", drv1.ExecutionFailed)
		Expect(meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionCompleted).Reason).To(Equal(drv1.ReasonParamsInvalid))
		Expect(ex.Status.Message).To(And(ContainSubstring("params[endpoint].valueFrom.manifestRef"),
			ContainSubstring("DRPlan p spec.globalParams[0].valueFrom"), ContainSubstring("2 objects match and select is Single")))
		Expect(exWorkflows(ns)).To(HaveLen(1), "no Workflow for the refused run")
	})

	It("refuses a Globalization the executor has no cluster-wide rights for, naming the ClusterRole to bind", func() {
		ns := newNamespace()
		grantExecutor(ns)
		wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "glob", Namespace: ns}, Spec: drv1.DRWorkflowSpec{
			Executor: &drv1.ExecutorSpec{Type: drv1.ExecutorNative},
			Actions: []drv1.Action{{Name: "g", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeGlobalization,
				Globalization: &drv1.GlobalizationAction{Name: ns + "-g", Spec: &runtime.RawExtension{Raw: []byte(`{"feed":{"apiVersion":"v1","kind":"ConfigMap","name":"c","namespace":"x"}}`)}}}}}}}
		Expect(k8sClient.Create(ctx, wf)).To(Succeed())
		exPlan(ns, "p", "", exStage("one", false, nil, "glob"))
		exExecution(ns, "run", "p")
		ex := exWaitPhase(ns, "run", drv1.ExecutionFailed)
		msg := exAction(ex.Status.StageStatuses[0].WorkflowExecutions[0], "g").Message
		Expect(msg).To(And(ContainSubstring("may not create Globalization "+ns+"-g"), ContainSubstring("drplan-executor-globalizations")))
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: ns + "-g"}, globalization(ns+"-g"))).NotTo(Succeed())
	})
})

// setParam sets entry 0's parameter name of stage i (an unstructured stages list) to value.
func setParam(stages []any, i int, name, value string) {
	entry := stages[i].(map[string]any)["workflows"].([]any)[0].(map[string]any)
	params, _ := entry["params"].([]any)
	for _, p := range params {
		if pm := p.(map[string]any); pm["name"] == name {
			pm["value"] = value
			return
		}
	}
	entry["params"] = append(params, map[string]any{"name": name, "value": value})
}

func subscription(key types.NamespacedName) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apps.clusternet.io/v1alpha1")
	u.SetKind("Subscription")
	u.SetNamespace(key.Namespace)
	u.SetName(key.Name)
	return u
}

func globalization(name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apps.clusternet.io/v1alpha1")
	u.SetKind("Globalization")
	u.SetName(name)
	return u
}

// grantShippedGlobalizationRole binds config/executor/globalization's ClusterRole (created once) to the
// executor ServiceAccount of ns with a ClusterRoleBinding, as the file tells administrators to.
func grantShippedGlobalizationRole(ns string) {
	GinkgoHelper()
	role := &rbacv1.ClusterRole{}
	data, err := os.ReadFile(filepath.Join(repoRoot, "config", "executor", "globalization", "cluster_role.yaml"))
	Expect(err).NotTo(HaveOccurred())
	Expect(yaml.Unmarshal(data, role)).To(Succeed())
	if err := k8sClient.Create(ctx, role); err != nil {
		Expect(apierrors.IsAlreadyExists(err)).To(BeTrue(), "%v", err)
	}
	sa := drv1.DefaultExecutorServiceAccount
	Expect(k8sClient.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: role.Name + "-" + ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}}})).To(Succeed())
	Eventually(func(g Gomega) bool {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:               "system:serviceaccount:" + ns + ":" + sa,
			Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "create", Group: "apps.clusternet.io", Resource: "globalizations"}}}
		g.Expect(k8sClient.Create(ctx, sar)).To(Succeed())
		return sar.Status.Allowed
	}).Should(BeTrue(), "the shipped Globalization ClusterRole to take effect for %s", ns)
}
