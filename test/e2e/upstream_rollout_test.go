//go:build e2e

package e2e

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// examples/upstream-style/rollout.yaml on the real Argo controller: argoexec really creates and deletes the
// cluster-scoped Globalization as the executor (bound to config/executor/globalization's ClusterRole), with the
// replica count the operator read from a ConfigMap, and the plan goes past the announcement that failed.
var _ = Describe("examples/upstream-style/rollout.yaml on the real Argo workflow-controller", func() {
	It("creates the Globalization and the Subscription, goes past the failed announcement, and reverts", func() {
		ns := newNamespace(rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}})
		clusterNs := ns // the example's child-cluster parameter only names things here; unique per spec
		subKey := types.NamespacedName{Namespace: "default", Name: "api-" + clusterNs}
		globName := clusterNs + "-api-replicas"

		By("the executor gets what the example's header says: Subscriptions in default, the Globalization ClusterRole")
		clusternet := loadObjects(repoPath("config", "executor", "clusternet", "cluster_role.yaml"))[0]
		Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, clusternet))).To(Succeed())
		Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "drplan-executor-" + ns, Namespace: "default"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusternet.GetName()},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: drv1.DefaultExecutorServiceAccount, Namespace: ns}}})).To(Succeed())
		glob := loadObjects(repoPath("config", "executor", "globalization", "cluster_role.yaml"))[0]
		Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, glob))).To(Succeed())
		Expect(k8sClient.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: glob.GetName() + "-" + ns},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: glob.GetName()},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: drv1.DefaultExecutorServiceAccount, Namespace: ns}}})).To(Succeed())
		waitAllowed(ns, "default", rbacv1.PolicyRule{APIGroups: []string{"apps.clusternet.io"}, Resources: []string{"subscriptions"}, Verbs: []string{"delete"}})
		waitAllowed(ns, "", rbacv1.PolicyRule{APIGroups: []string{"apps.clusternet.io"}, Resources: []string{"globalizations"}, Verbs: []string{"create"}})

		hooks.On("/"+ns+"/down/rollout", hookBehaviour{FailFirst: 1000})
		hooks.On("/"+ns+"/up/rollout", hookBehaviour{})
		for _, obj := range loadObjects(repoPath("examples", "upstream-style", "rollout.yaml")) {
			obj.SetNamespace(ns)
			if obj.GetKind() == "DRPlan" {
				stages, _, _ := unstructured.NestedSlice(obj.Object, "spec", "stages")
				stageParam(stages, 0, "endpoint", hooks.URL("/"+ns+"/down"))
				stageParam(stages, 1, "managedClusterNamespace", clusterNs)
				stageParam(stages, 2, "endpoint", hooks.URL("/"+ns+"/up"))
				Expect(unstructured.SetNestedSlice(obj.Object, stages, "spec", "stages")).To(Succeed())
			}
			Expect(k8sClient.Create(ctx, obj)).To(Succeed(), "creating %s %s", obj.GetKind(), obj.GetName())
		}

		By("Clusternet's scheduler binds the Subscription (played by the spec)")
		Eventually(func(g Gomega) {
			got := clusternetRef("Subscription", subKey.Namespace, subKey.Name)
			g.Expect(k8sClient.Get(ctx, subKey, got)).To(Succeed())
			g.Expect(unstructured.SetNestedStringSlice(got.Object, []string{"clusternet-aaaaa/cluster-a"}, "status", "bindingClusters")).To(Succeed())
			g.Expect(k8sClient.Status().Update(ctx, got)).To(Succeed())
		}).Should(Succeed())

		ex := waitPhase(ns, "rollout-run", drv1.ExecutionFailed)
		phases := map[string]drv1.ExecutionPhase{}
		for _, st := range ex.Status.StageStatuses {
			phases[st.Name] = st.Phase
		}
		Expect(phases).To(Equal(map[string]drv1.ExecutionPhase{"announce": drv1.ExecutionFailed,
			"rollout": drv1.ExecutionSucceeded, "confirm": drv1.ExecutionSucceeded}))
		e := ex.Status.StageStatuses[1].WorkflowExecutions[0]
		checkMapping(argoWorkflow(ns, e))
		sub := clusternetRef("Subscription", subKey.Namespace, subKey.Name)
		Expect(k8sClient.Get(ctx, subKey, sub)).To(Succeed())
		Expect(action(e, "subscribe").Outputs.SubscriptionRef).To(And(HaveField("UID", sub.GetUID()), HaveField("Created", true)))
		g := clusternetRef("Globalization", "", globName)
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: globName}, g)).To(Succeed())
		Expect(g.Object["spec"]).To(HaveKeyWithValue("overrides", ConsistOf(HaveKeyWithValue("value", `{"spec":{"replicas":5}}`))),
			"the replica count read from the ConfigMap rollout-settings")
		Expect(action(e, "scale-everywhere").Outputs.GlobalizationRef).To(HaveField("UID", g.GetUID()))

		revert(ns, "rollout-revert", "rollout", "rollout-run")
		waitPhase(ns, "rollout-revert", drv1.ExecutionSucceeded)
		for _, obj := range []*unstructured.Unstructured{clusternetRef("Globalization", "", globName), clusternetRef("Subscription", subKey.Namespace, subKey.Name)} {
			err := k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)
			Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the revert deleted %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	})
})

// clusternetRef is an empty apps.clusternet.io object of kind, for Get and Create.
func clusternetRef(kind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apps.clusternet.io/v1alpha1")
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// stageParam sets parameter name of entry 0 of stage i (an unstructured stages list) to value.
func stageParam(stages []any, i int, name, value string) {
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
