package integration

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/testenv"
)

// exampleFiles lists every YAML file under examples/.
func exampleFiles() []string {
	var files []string
	root := filepath.Join(repoRoot, "examples")
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return nil
	})
	return files
}

// expectAcceptedAndReady creates objs in a fresh namespace and waits until every DRWorkflow and every DRPlan
// whose workflows are all in that namespace is Ready.
func expectAcceptedAndReady(objs []*unstructured.Unstructured, source string) {
	GinkgoHelper()
	ns := newNamespace()
	Expect(objs).NotTo(BeEmpty(), "%s holds no objects", source)
	var workflows, plans []types.NamespacedName
	for _, obj := range objs {
		Expect(createInNamespace(obj, ns)).To(Succeed(), "%s: %s %s was rejected", source, obj.GetKind(), obj.GetName())
		key := types.NamespacedName{Namespace: ns, Name: obj.GetName()}
		switch obj.GetKind() {
		case "DRWorkflow":
			workflows = append(workflows, key)
		case "DRPlan":
			if onlyLocalWorkflowRefs(obj) {
				plans = append(plans, key)
			}
		}
	}
	for _, key := range workflows {
		wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
		Eventually(readyOf(wf)).Should(haveReady(metav1.ConditionTrue, drv1.ReasonValid),
			"%s: DRWorkflow %s is not Ready", source, key.Name)
	}
	for _, key := range plans {
		plan := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
		Eventually(readyOf(plan)).Should(haveReady(metav1.ConditionTrue, drv1.ReasonValid),
			"%s: DRPlan %s is not Ready", source, key.Name)
	}
}

// onlyLocalWorkflowRefs reports whether a plan references workflows of its own namespace only.
func onlyLocalWorkflowRefs(obj *unstructured.Unstructured) bool {
	stages, _, _ := unstructured.NestedSlice(obj.Object, "spec", "stages")
	for _, s := range stages {
		entries, _, _ := unstructured.NestedSlice(s.(map[string]any), "workflows")
		for _, e := range entries {
			if ns, _, _ := unstructured.NestedString(e.(map[string]any), "workflowRef", "namespace"); ns != "" {
				return false
			}
		}
	}
	return true
}

var _ = Describe("Shipped manifests", func() {
	It("finds examples to check", func() {
		Expect(exampleFiles()).NotTo(BeEmpty())
	})

	for _, path := range exampleFilesAtTreeConstruction() {
		rel := path
		It("accepts "+rel+" and its workflows and plans become Ready", func() {
			expectAcceptedAndReady(loadObjects(filepath.Join(repoRoot, rel)), rel)
		})
	}

	It("accepts config/samples (through kustomize) and its workflows and plans become Ready", func() {
		out, err := kubectl("kustomize", "config/samples")
		Expect(err).NotTo(HaveOccurred(), out)
		objs, err := decodeObjects(strings.NewReader(out))
		Expect(err).NotTo(HaveOccurred())
		Expect(kinds(objs)).To(ContainElements("DRWorkflow", "DRPlan", "DRPlanExecution"))
		expectAcceptedAndReady(objs, "config/samples")
	})

	It("builds config/default: the operator in drplan-system with its RBAC, webhook service and self-provisioned certificate", func() {
		out, err := kubectl("kustomize", "config/default")
		Expect(err).NotTo(HaveOccurred(), out)
		objs, err := decodeObjects(strings.NewReader(out))
		Expect(err).NotTo(HaveOccurred())
		names := map[string]*unstructured.Unstructured{}
		for _, o := range objs {
			names[o.GetKind()+"/"+o.GetName()] = o
			if o.GetKind() != "Namespace" && o.GetNamespace() != "" {
				Expect(o.GetNamespace()).To(Equal("drplan-system"), "%s/%s", o.GetKind(), o.GetName())
			}
		}
		Expect(names).To(HaveKey("Namespace/drplan-system"))
		for _, crd := range []string{"drworkflows", "drplans", "drplanexecutions"} {
			Expect(names).To(HaveKey("CustomResourceDefinition/" + crd + ".dr.bkbcs.tencent.com"))
		}
		for _, k := range []string{
			"ClusterRole/drplan-manager-role", "ClusterRoleBinding/drplan-manager-rolebinding",
			"ServiceAccount/drplan-controller-manager", "Role/drplan-leader-election-role",
			"ClusterRole/drplan-metrics-auth-role", "Service/drplan-webhook-service",
			"Service/drplan-controller-manager-metrics-service", "Secret/drplan-webhook-server-cert",
			"Role/drplan-cert-rotator", "ClusterRole/drplan-cert-rotator", "Deployment/drplan-controller-manager",
		} {
			Expect(names).To(HaveKey(k))
		}

		dep := names["Deployment/drplan-controller-manager"]
		containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
		Expect(containers).To(HaveLen(1))
		manager := containers[0].(map[string]any)
		Expect(manager["image"]).To(Equal("controller:latest"), "make deploy replaces this image")
		Expect(manager["args"]).To(ContainElements("--leader-elect", "--local-control-plane=never", "--webhook-certs=self",
			"--webhook-cert-secret=drplan-webhook-server-cert", "--webhook-service=drplan-webhook-service",
			"--webhook-configuration=drplan-validating-webhook-configuration",
			"--mutating-webhook-configuration=drplan-mutating-webhook-configuration"))
		Expect(manager).To(HaveKey("livenessProbe"))
		Expect(manager).To(HaveKey("readinessProbe"))
		sa, _, _ := unstructured.NestedString(dep.Object, "spec", "template", "spec", "serviceAccountName")
		Expect(sa).To(Equal("drplan-controller-manager"))

		// Once `make manifests` generates webhook configurations, config/default must ship them wired to the
		// service; the operator fills their caBundle (--webhook-certs=self).
		if _, err := os.Stat(filepath.Join(repoRoot, "config", "webhook", "manifests.yaml")); err == nil {
			var webhooks int
			for _, o := range objs {
				if o.GetKind() == "ValidatingWebhookConfiguration" || o.GetKind() == "MutatingWebhookConfiguration" {
					webhooks++
					Expect(o.GetAnnotations()).NotTo(HaveKey("cert-manager.io/inject-ca-from"))
					hooks, _, _ := unstructured.NestedSlice(o.Object, "webhooks")
					for _, h := range hooks {
						svc, _, _ := unstructured.NestedStringMap(h.(map[string]any), "clientConfig", "service")
						Expect(svc).To(HaveKeyWithValue("name", "drplan-webhook-service"))
						Expect(svc).To(HaveKeyWithValue("namespace", "drplan-system"))
					}
				}
			}
			Expect(webhooks).To(BeNumerically(">", 0), "config/webhook/manifests.yaml exists but config/default does not include it")
		}
	})

	It("builds config/default-certmanager: cert-manager's certificate and CA injection instead", func() {
		out, err := kubectl("kustomize", "config/default-certmanager")
		Expect(err).NotTo(HaveOccurred(), out)
		objs, err := decodeObjects(strings.NewReader(out))
		Expect(err).NotTo(HaveOccurred())
		names := map[string]*unstructured.Unstructured{}
		for _, o := range objs {
			names[o.GetKind()+"/"+o.GetName()] = o
		}
		Expect(names).To(HaveKey("Certificate/drplan-serving-cert"))
		Expect(names).To(HaveKey("Issuer/drplan-selfsigned-issuer"))
		Expect(names).NotTo(HaveKey("Role/drplan-cert-rotator"))
		Expect(names["ValidatingWebhookConfiguration/drplan-validating-webhook-configuration"].GetAnnotations()).
			To(HaveKeyWithValue("cert-manager.io/inject-ca-from", "drplan-system/drplan-serving-cert"))
		Expect(names["MutatingWebhookConfiguration/drplan-mutating-webhook-configuration"].GetAnnotations()).
			To(HaveKeyWithValue("cert-manager.io/inject-ca-from", "drplan-system/drplan-serving-cert"))
		containers, _, _ := unstructured.NestedSlice(names["Deployment/drplan-controller-manager"].Object, "spec", "template", "spec", "containers")
		Expect(containers[0].(map[string]any)["args"]).To(ContainElement("--webhook-certs=provided"))
	})

	It("applies config/default to the API server (but for cert-manager's kinds and the CRDs, installed already)", func() {
		out, err := kubectl("kustomize", "config/default")
		Expect(err).NotTo(HaveOccurred(), out)
		objs, err := decodeObjects(strings.NewReader(out))
		Expect(err).NotTo(HaveOccurred())
		var applied int
		for _, o := range objs {
			switch o.GetKind() {
			case "Certificate", "Issuer", "ServiceMonitor", "CustomResourceDefinition":
				continue // cert-manager's and the Prometheus Operator's CRDs are not installed here
			case "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration":
				// Only validated: installed, it would send every later request of the suite to a webhook
				// Service that has no pods.
				Expect(k8sClient.Create(ctx, o, client.DryRunAll)).To(Succeed(), "%s %s", o.GetKind(), o.GetName())
				continue
			}
			Expect(k8sClient.Create(ctx, o)).To(Succeed(), "%s %s", o.GetKind(), o.GetName())
			applied++
		}
		Expect(applied).To(BeNumerically(">", 10))
	})

	Describe("the executor ServiceAccount (config/executor)", func() {
		var ns string
		BeforeEach(func() {
			ns = newNamespace()
			out, err := kubectl("kustomize", "config/executor")
			Expect(err).NotTo(HaveOccurred(), out)
			objs, err := decodeObjects(strings.NewReader(out))
			Expect(err).NotTo(HaveOccurred())
			Expect(kinds(objs)).To(ConsistOf("ServiceAccount", "Secret", "Role", "RoleBinding"))
			for _, o := range objs {
				Expect(createInNamespace(o, ns)).To(Succeed(), "%s %s", o.GetKind(), o.GetName())
			}
		})

		It("creates drplan-executor with its long-lived token Secret", func() {
			sa := &corev1.ServiceAccount{}
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: drv1.DefaultExecutorServiceAccount}, sa)).To(Succeed())
			secret := &corev1.Secret{}
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "drplan-executor.service-account-token"}, secret)).To(Succeed())
			Expect(secret.Type).To(Equal(corev1.SecretTypeServiceAccountToken))
			Expect(secret.Annotations).To(HaveKeyWithValue(corev1.ServiceAccountNameKey, "drplan-executor"))
			rb := &rbacv1.RoleBinding{}
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "drplan-executor"}, rb)).To(Succeed())
			Expect(rb.RoleRef.Kind).To(Equal("Role"))
		})

		It("grants what Argo's executor and agent need and the action kinds, nothing more", func() {
			user := "system:serviceaccount:" + ns + ":drplan-executor"
			allowed := []authorizationv1.ResourceAttributes{
				{Namespace: ns, Group: "argoproj.io", Resource: "workflowtaskresults", Verb: "create"},
				{Namespace: ns, Group: "argoproj.io", Resource: "workflowtaskresults", Verb: "patch"},
				{Namespace: ns, Group: "argoproj.io", Resource: "workflowtasksets", Verb: "list"},
				{Namespace: ns, Group: "argoproj.io", Resource: "workflowtasksets", Verb: "watch"},
				{Namespace: ns, Group: "argoproj.io", Resource: "workflowtasksets", Subresource: "status", Verb: "patch"},
				{Namespace: ns, Group: "batch", Resource: "jobs", Verb: "create"},
				{Namespace: ns, Group: "batch", Resource: "jobs", Verb: "delete"},
				{Namespace: ns, Group: "apps.clusternet.io", Resource: "subscriptions", Verb: "create"},
				{Namespace: ns, Group: "apps.clusternet.io", Resource: "localizations", Verb: "delete"},
				{Namespace: ns, Resource: "secrets", Name: "db-admin-token", Verb: "get"}, // examples/dag's headersFrom
			}
			denied := []authorizationv1.ResourceAttributes{
				{Namespace: ns, Group: "argoproj.io", Resource: "workflows", Verb: "create"},
				{Namespace: ns, Group: "argoproj.io", Resource: "workflowtasksets", Verb: "create"},
				{Namespace: ns, Group: "apps", Resource: "deployments", Verb: "create"},
				{Namespace: ns, Resource: "secrets", Verb: "list"},
				{Namespace: ns, Resource: "secrets", Verb: "get"}, // any Secret: only the named ones
				{Namespace: ns, Resource: "secrets", Name: "drplan-executor.service-account-token", Verb: "get"},
				{Namespace: ns, Resource: "secrets", Name: "other-app-password", Verb: "get"},
				{Namespace: ns, Resource: "pods", Verb: "create"},
				{Namespace: ns, Group: "dr.bkbcs.tencent.com", Resource: "drplanexecutions", Verb: "create"},
				{Namespace: ns, Group: "rbac.authorization.k8s.io", Resource: "roles", Verb: "create"},
				{Namespace: "default", Group: "batch", Resource: "jobs", Verb: "create"},
				{Namespace: "clusternet-abcde", Group: "apps.clusternet.io", Resource: "localizations", Verb: "create"},
			}
			for _, a := range allowed {
				// The authorizer learns of the just-applied Role through informers: allow it a moment.
				Eventually(func() bool { return canI(user, a) }).Should(BeTrue(), "%s should be allowed %+v", user, a)
			}
			for _, a := range denied {
				Expect(canI(user, a)).To(BeFalse(), "%s should be denied %+v", user, a)
			}
		})

		It("reaches a child cluster's namespace only through config/executor/clusternet", func() {
			out, err := kubectl("kustomize", "config/executor/clusternet")
			Expect(err).NotTo(HaveOccurred(), out)
			objs, err := decodeObjects(strings.NewReader(out))
			Expect(err).NotTo(HaveOccurred())
			for _, o := range objs {
				o.SetName(o.GetName() + "-" + ns) // cluster-scoped: one per spec
				Expect(k8sClient.Create(ctx, o)).To(Succeed())
			}
			child := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "clusternet-"}}
			Expect(k8sClient.Create(ctx, child)).To(Succeed())
			user := "system:serviceaccount:" + ns + ":drplan-executor"
			loc := authorizationv1.ResourceAttributes{Namespace: child.Name, Group: "apps.clusternet.io", Resource: "localizations", Verb: "create"}
			Expect(canI(user, loc)).To(BeFalse())

			Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Namespace: child.Name, Name: "drplan-executor"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: objs[0].GetName()},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "drplan-executor", Namespace: ns}},
			})).To(Succeed())
			Eventually(func() bool { return canI(user, loc) }).Should(BeTrue())
			Expect(canI(user, authorizationv1.ResourceAttributes{Namespace: child.Name, Group: "apps", Resource: "deployments", Verb: "create"})).To(BeFalse())
		})
	})
})

// canI asks the API server's authorizer whether user may do attrs.
func canI(user string, attrs authorizationv1.ResourceAttributes) bool {
	GinkgoHelper()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:               user,
		Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + strings.Split(user, ":")[2], "system:authenticated"},
		ResourceAttributes: &attrs,
	}}
	Expect(k8sClient.Create(ctx, sar)).To(Succeed())
	return sar.Status.Allowed
}

func kinds(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind())
	}
	return out
}

// exampleFilesAtTreeConstruction lists the example files relative to the repository, while Ginkgo builds the
// spec tree (before BeforeSuite), so each file gets its own spec.
func exampleFilesAtTreeConstruction() []string {
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil
	}
	repoRoot = root
	var rel []string
	for _, f := range exampleFiles() {
		r, err := filepath.Rel(root, f)
		if err == nil {
			rel = append(rel, r)
		}
	}
	return rel
}

var _ = Describe("Clusternet test CRDs (test/fixtures/clusternet)", func() {
	It("serve the Clusternet kinds with the fields the operator uses", func() {
		ns := newNamespace()
		loc := objectFromYAML(`
apiVersion: apps.clusternet.io/v1alpha1
kind: Localization
metadata: {name: promote}
spec:
  overridePolicy: ApplyNow
  feed: {apiVersion: apps/v1, kind: Deployment, name: api, namespace: shop}
  overrides:
  - {name: scale, type: MergePatch, value: '{"spec":{"replicas":5}}'}
`)
		Expect(createInNamespace(loc, ns)).To(Succeed())
		priority, _, _ := unstructured.NestedInt64(loc.Object, "spec", "priority")
		Expect(priority).To(BeEquivalentTo(500), "priority defaults to 500")

		bad := objectFromYAML(`{apiVersion: apps.clusternet.io/v1alpha1, kind: Localization, metadata: {name: bad},
  spec: {priority: 2000, overridePolicy: Sometimes, feed: {apiVersion: v1, kind: ConfigMap, name: x}}}`)
		err := createInNamespace(bad, ns)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(And(ContainSubstring("spec.priority"), ContainSubstring(`Unsupported value: "Sometimes"`)))

		sub := objectFromYAML(`
apiVersion: apps.clusternet.io/v1alpha1
kind: Subscription
metadata: {name: shop}
spec:
  feeds: [{apiVersion: apps/v1, kind: Deployment, name: api, namespace: shop}]
  subscribers: [{clusterAffinity: {matchLabels: {clusters.clusternet.io/cluster-id: abc}}}]
`)
		Expect(createInNamespace(sub, ns)).To(Succeed())
		// Status is a subresource, as on a real Clusternet: the binding is reported there.
		Expect(unstructured.SetNestedStringSlice(sub.Object, []string{"clusternet-abcde/child"}, "status", "bindingClusters")).To(Succeed())
		Expect(unstructured.SetNestedField(sub.Object, int64(1), "status", "desiredReleases")).To(Succeed())
		Expect(k8sClient.Status().Update(ctx, sub)).To(Succeed())
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(sub.GroupVersionKind())
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "shop"}, got)).To(Succeed())
		bound, _, _ := unstructured.NestedStringSlice(got.Object, "status", "bindingClusters")
		Expect(bound).To(Equal([]string{"clusternet-abcde/child"}))

		glob := objectFromYAML(`{apiVersion: apps.clusternet.io/v1alpha1, kind: Globalization, metadata: {name: ` + ns + `},
  spec: {feed: {apiVersion: apps/v1, kind: Deployment, name: api, namespace: shop}}}`)
		Expect(createInNamespace(glob, ns)).To(Succeed())
		Expect(glob.GetNamespace()).To(BeEmpty(), "Globalization is cluster scoped")
		mcls := objectFromYAML(`{apiVersion: clusters.clusternet.io/v1beta1, kind: ManagedCluster, metadata: {name: child},
  spec: {clusterId: 7c5b1e52-0000-4000-8000-000000000001, syncMode: Pull}}`)
		Expect(createInNamespace(mcls, ns)).To(Succeed())
	})
})
