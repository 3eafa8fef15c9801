//go:build e2e

package e2e

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// applyExample creates the objects of an example file in ns, as `kubectl apply -n <ns> -f <file>` does.
func applyExample(ns string, path ...string) {
	GinkgoHelper()
	for _, obj := range loadObjects(repoPath(path...)) {
		obj.SetNamespace(ns)
		Expect(k8sClient.Create(ctx, obj)).To(Succeed(), "creating %s %s", obj.GetKind(), obj.GetName())
	}
}

// The examples a user starts with, applied unchanged into a namespace prepared with config/executor (plus, as
// the executor's Role says, the kinds their resource actions touch).
var _ = Describe("The examples on the real Argo workflow-controller", func() {

	It("runs examples/quickstart, then reverts it with examples/revert", func() {
		ns := newNamespace(configMapRule)
		applyExample(ns, "examples", "quickstart", "quickstart.yaml")
		ex := waitPhase(ns, "quickstart-run", drv1.ExecutionSucceeded)
		e := entry(ex)
		Expect(actionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"mark-failover": drv1.ActionSucceeded, "notify": drv1.ActionSkipped}))
		cm := configMap(ns, "dr-active-site")
		Expect(cm).NotTo(BeNil())
		Expect(cm.Data).To(Equal(map[string]string{"site": "site-b", "plan": "quickstart"}))
		Expect(action(e, "mark-failover").Outputs.ResourceRef.UID).To(Equal(cm.UID))
		checkMapping(argoWorkflow(ns, e))

		applyExample(ns, "examples", "revert", "revert.yaml")
		undo := waitPhase(ns, "quickstart-revert", drv1.ExecutionSucceeded)
		Expect(actionPhases(entry(undo))).To(HaveKeyWithValue("mark-failover", drv1.ActionSucceeded))
		Expect(configMap(ns, "dr-active-site")).To(BeNil(), "the revert deleted the marker")
	})

	It("runs examples/job: the Job is created, its pod completes, the action Succeeded", func() {
		ns := newNamespace()
		applyExample(ns, "examples", "job", "job.yaml")
		ex := waitPhase(ns, "verify-replica-run", drv1.ExecutionSucceeded)
		check := action(entry(ex), "check-lag")
		Expect(check.Phase).To(Equal(drv1.ActionSucceeded))
		Expect(check.Outputs.JobRef).NotTo(BeNil())
		job := &batchv1.Job{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: check.Outputs.JobRef.Name}, job)).To(Succeed())
		Expect(job.UID).To(Equal(check.Outputs.JobRef.UID))
		Expect(job.Status.Succeeded).To(BeNumerically(">=", 1))
		Expect(job.Spec.Template.Spec.Containers[0].Args).To(ContainElement("--database=orders"))
		pods := &corev1.PodList{}
		Expect(k8sClient.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"job-name": job.Name})).To(Succeed())
		Expect(pods.Items).To(ContainElement(HaveField("Status.Phase", corev1.PodSucceeded)))
	})

	It("runs examples/failover-localization on the Clusternet CRDs, then reverts it", func() {
		ns := newNamespace()
		// The example names the child clusters' namespaces and the application's namespace "shop"; as the
		// executor's Role says, the ClusterRole of config/executor/clusternet is bound in each of them.
		roles := loadObjects(repoPath("config", "executor", "clusternet", "cluster_role.yaml"))
		Expect(roles).To(HaveLen(1))
		Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, roles[0]))).To(Succeed())
		for _, target := range []string{"clusternet-xy34z", "clusternet-ab12c", "shop"} {
			Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: target}}))).To(Succeed())
			Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "drplan-executor-" + ns, Namespace: target},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: roles[0].GetName()},
				Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: drv1.DefaultExecutorServiceAccount, Namespace: ns}}})).To(Succeed())
			waitAllowed(ns, target, rbacv1.PolicyRule{APIGroups: []string{"apps.clusternet.io"}, Resources: []string{"localizations"}, Verbs: []string{"patch"}})
		}
		// The primary cluster's baseline Localization, which drain-primary patches.
		baseline := localization("clusternet-ab12c", "shop-api-baseline")
		Expect(unstructured.SetNestedField(baseline.Object, map[string]any{
			"priority": int64(500), "overridePolicy": "ApplyNow",
			"feed":      map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "namespace": "shop"},
			"overrides": []any{map[string]any{"name": "scale", "type": "MergePatch", "value": `{"spec":{"replicas":3}}`}},
		}, "spec")).To(Succeed())
		Expect(k8sClient.Create(ctx, baseline)).To(Succeed())

		applyExample(ns, "examples", "failover-localization", "failover.yaml")
		ex := waitPhase(ns, "shop-failover-run", drv1.ExecutionSucceeded)
		e := entry(ex)
		Expect(actionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"scale-up-standby": drv1.ActionSucceeded,
			"drain-primary": drv1.ActionSucceeded, "subscribe-standby": drv1.ActionSucceeded}))
		// The execution's replicas (4) win over the stage entry's (5).
		standby := localization("clusternet-xy34z", "shop-api-failover")
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(standby), standby)).To(Succeed())
		Expect(standby.Object["spec"]).To(HaveKeyWithValue("overrides",
			ConsistOf(HaveKeyWithValue("value", `{"spec":{"replicas":4}}`))))
		Expect(action(e, "scale-up-standby").Outputs.LocalizationRef.UID).To(Equal(standby.GetUID()))
		Expect(overrideValue("clusternet-ab12c", "shop-api-baseline")).To(Equal(`{"spec":{"replicas":0}}`))
		checkMapping(argoWorkflow(ns, e))
		sub := &unstructured.Unstructured{}
		sub.SetGroupVersionKind(schema.GroupVersionKind{Group: "apps.clusternet.io", Version: "v1alpha1", Kind: "Subscription"})
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "shop-standby"}, sub)).To(Succeed())
		Expect(action(e, "subscribe-standby").Outputs.SubscriptionRef).To(HaveField("Created", BeTrue()))
		Expect(action(e, "subscribe-standby").Outputs.SubscriptionRef.UID).To(Equal(sub.GetUID()))

		revert(ns, "shop-failover-undo", "shop-failover", "shop-failover-run")
		undo := waitPhase(ns, "shop-failover-undo", drv1.ExecutionSucceeded)
		checkMapping(argoWorkflow(ns, entry(undo)))
		Expect(actionPhases(entry(undo))).To(And(HaveKeyWithValue("restore-primary", drv1.ActionSucceeded),
			HaveKeyWithValue("scale-up-standby", drv1.ActionSucceeded)))
		err := k8sClient.Get(ctx, client.ObjectKeyFromObject(standby), localization("clusternet-xy34z", "shop-api-failover"))
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the revert deleted the Localization the run created: %v", err)
		Expect(overrideValue("clusternet-ab12c", "shop-api-baseline")).To(Equal(`{"spec":{"replicas":4}}`), "the custom rollback restored the primary")
		Expect(action(entry(undo), "subscribe-standby").Phase).To(Equal(drv1.ActionSucceeded))
		err = k8sClient.Get(ctx, client.ObjectKeyFromObject(sub), sub.DeepCopy())
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the revert deleted the Subscription the run's Apply created: %v", err)
	})
})

// localization is an empty Clusternet Localization object with its name, for Get and Create.
func localization(ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: "apps.clusternet.io", Version: "v1alpha1", Kind: "Localization"})
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// overrideValue reads the value of a Localization's only override.
func overrideValue(ns, name string) string {
	GinkgoHelper()
	u := localization(ns, name)
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), u)).To(Succeed())
	overrides, _, err := unstructured.NestedSlice(u.Object, "spec", "overrides")
	Expect(err).NotTo(HaveOccurred())
	Expect(overrides).To(HaveLen(1))
	return overrides[0].(map[string]any)["value"].(string)
}
