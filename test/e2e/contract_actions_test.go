//go:build e2e

package e2e

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// The actions and objects of the engine contract (contract_test.go).

// clusternetRule lets the executor manage the Clusternet objects of the contract in its own namespace.
var clusternetRule = rbacv1.PolicyRule{APIGroups: []string{"apps.clusternet.io"},
	Resources: []string{"localizations", "subscriptions"}, Verbs: []string{"*"}}

// localizationAction creates the Localization dr-<name> in ns (ApplyNow, so deleting it is a clean inverse).
func localizationAction(name, ns string) drv1.Action {
	spec := `{"priority":800,"overridePolicy":"ApplyNow","feed":{"apiVersion":"apps/v1","kind":"Deployment","name":"api","namespace":"shop"},` +
		`"overrides":[{"name":"scale","type":"MergePatch","value":"{\"spec\":{\"replicas\":4}}"}]}`
	return drv1.Action{Name: name, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeLocalization,
		Localization: &drv1.LocalizationAction{Operation: drv1.OperationCreate, Name: "dr-" + name, Namespace: ns,
			Spec: &runtime.RawExtension{Raw: []byte(spec)}}}}
}

// subscriptionAction applies the Subscription dr-<name> in ns (not waiting for a binding: no Clusternet
// controller runs here).
func subscriptionAction(name, ns string) drv1.Action {
	spec := `{"subscribers":[{"clusterAffinity":{"matchLabels":{"clusters.clusternet.io/cluster-name":"standby"}}}],` +
		`"feeds":[{"apiVersion":"apps/v1","kind":"Deployment","name":"api","namespace":"shop"}]}`
	return drv1.Action{Name: name, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeSubscription,
		Subscription: &drv1.SubscriptionAction{Operation: drv1.SubscriptionOperation(drv1.OperationApply), Name: "dr-" + name,
			Namespace: ns, Spec: &runtime.RawExtension{Raw: []byte(spec)}}}}
}

// scaleOverride is the Localization override setting the feed's replicas.
func scaleOverride(replicas int) map[string]any {
	return map[string]any{"name": "scale", "type": "MergePatch", "value": fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas)}
}

// scalePatch patches the Localization dr-baseline of ns to the replicas.
func scalePatch(name, ns string, replicas int) drv1.Action {
	spec := fmt.Sprintf(`{"overrides":[{"name":"scale","type":"MergePatch","value":"{\"spec\":{\"replicas\":%d}}"}]}`, replicas)
	return drv1.Action{Name: name, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeLocalization,
		Localization: &drv1.LocalizationAction{Operation: drv1.OperationPatch, Name: "dr-baseline", Namespace: ns,
			Spec: &runtime.RawExtension{Raw: []byte(spec)}}}}
}

// failFirstJob is a Job action whose first attempt's pod kwok fails (test/stack/kwok-stages.yaml).
func failFirstJob(name, ns string) drv1.Action {
	a := jobAction(name, ns, false)
	a.Job.Template.Spec.Raw = []byte(`{"backoffLimit":0,"template":{"metadata":{"annotations":{"drplan.e2e/fail-first-attempt":"true"}},` +
		`"spec":{"restartPolicy":"Never","containers":[{"name":"main","image":"registry.example/dr/check:1","command":["check"]}]}}}`)
	return a
}

func clusternetStub(kind string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: "apps.clusternet.io", Version: "v1alpha1", Kind: kind})
	return u
}

func clusternetObject(kind, ns, name string) *unstructured.Unstructured {
	GinkgoHelper()
	u := clusternetStub(kind)
	Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u)).To(Succeed())
	return u
}

// outputRef is the object an action's outputs name, whichever ref holds it.
func outputRef(e drv1.WorkflowExecutionStatus, name string) drv1.ResourceRef {
	GinkgoHelper()
	o := action(e, name).Outputs
	Expect(o).NotTo(BeNil(), "outputs of %s", name)
	for _, ref := range []*drv1.ResourceRef{o.JobRef, o.LocalizationRef, o.SubscriptionRef, o.ResourceRef} {
		if ref != nil {
			return *ref
		}
	}
	Fail("no object in the outputs of " + name)
	return drv1.ResourceRef{}
}

func jobNames(g Gomega, ns string) []string {
	var out []string
	for _, j := range jobsIn(g, ns) {
		if j.DeletionTimestamp == nil {
			out = append(out, j.Name)
		}
	}
	return out
}
