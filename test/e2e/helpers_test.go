//go:build e2e

package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/testenv"
)

func repoPath(parts ...string) string { return filepath.Join(append([]string{repoRoot}, parts...)...) }

// loadObjects reads the objects of a multi-document YAML file.
func loadObjects(path string) []*unstructured.Unstructured {
	GinkgoHelper()
	f, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	var objs []*unstructured.Unstructured
	reader := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		Expect(err).NotTo(HaveOccurred(), "reading %s", path)
		m := map[string]any{}
		Expect(yaml.Unmarshal(doc, &m)).To(Succeed(), "parsing %s", path)
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
}

// executorObjects are the objects of config/executor (its kustomization's resources, in order), as a user
// applies them into a plan namespace with `kubectl apply -n <ns> -k config/executor`.
func executorObjects() []*unstructured.Unstructured {
	GinkgoHelper()
	var k struct {
		Resources []string `json:"resources"`
	}
	raw, err := os.ReadFile(repoPath("config", "executor", "kustomization.yaml"))
	Expect(err).NotTo(HaveOccurred())
	Expect(yaml.Unmarshal(raw, &k)).To(Succeed())
	Expect(k.Resources).NotTo(BeEmpty())
	var objs []*unstructured.Unstructured
	for _, r := range k.Resources {
		objs = append(objs, loadObjects(repoPath("config", "executor", r))...)
	}
	return objs
}

// newNamespace creates a fresh namespace for one spec with the executor ServiceAccount of config/executor, and,
// when rules are given, a Role "e2e-extra" with them bound to the executor (what a user adds for the kinds
// their KubernetesResource actions touch). It waits until the API server's authorizer grants the executor
// the Argo verbs and every extra rule, because a Forbidden is a permanent action failure.
func newNamespace(rules ...rbacv1.PolicyRule) string {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	for _, obj := range executorObjects() {
		obj.SetNamespace(ns.Name)
		Expect(k8sClient.Create(ctx, obj)).To(Succeed(), "creating %s %s", obj.GetKind(), obj.GetName())
	}
	if len(rules) > 0 {
		grant(ns.Name, "e2e-extra", ns.Name, rules...)
	}
	waitAllowed(ns.Name, ns.Name, rbacv1.PolicyRule{APIGroups: []string{"argoproj.io"},
		Resources: []string{"workflowtaskresults"}, Verbs: []string{"create"}})
	for _, r := range rules {
		waitAllowed(ns.Name, ns.Name, r)
	}
	return ns.Name
}

// grant gives the executor ServiceAccount of saNamespace the rules in namespace ns (Role + RoleBinding).
func grant(ns, name, saNamespace string, rules ...rbacv1.PolicyRule) {
	GinkgoHelper()
	sa := drv1.DefaultExecutorServiceAccount
	Expect(k8sClient.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Rules: rules})).To(Succeed())
	Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa, Namespace: saNamespace}}})).To(Succeed())
}

// executorCan asks the API server's authorizer whether the executor of saNamespace may do the rule's first
// verb on its first resource in ns.
func executorCan(g Gomega, saNamespace, ns string, r rbacv1.PolicyRule) bool {
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   "system:serviceaccount:" + saNamespace + ":" + drv1.DefaultExecutorServiceAccount,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + saNamespace, "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: r.Verbs[0],
			Group: r.APIGroups[0], Resource: r.Resources[0]}}}
	g.Expect(k8sClient.Create(ctx, sar)).To(Succeed())
	return sar.Status.Allowed
}

// waitAllowed waits until the RBAC authorizer, which learns of new Roles through its informers, allows the rule.
func waitAllowed(saNamespace, ns string, r rbacv1.PolicyRule) {
	GinkgoHelper()
	Eventually(func(g Gomega) bool { return executorCan(g, saNamespace, ns, r) }).
		Should(BeTrue(), "RBAC for the executor of %s in %s to take effect: %+v", saNamespace, ns, r)
}

// configMapRule lets the executor do anything with ConfigMaps (the kind the specs' resource actions touch).
var configMapRule = rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"*"}}

// --- DR objects ---------------------------------------------------------------------------------------------

func httpAction(name, url string, deps ...string) drv1.Action {
	return drv1.Action{Name: name, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
		HTTP: &drv1.HTTPAction{URL: url, Method: "POST", Body: `{"plan":"{{ .planName }}","action":"` + name + `"}`}}}
}

// hookAction is an HTTP action calling the hook server at /<ns>/<name>.
func hookAction(ns, name string, deps ...string) drv1.Action {
	return httpAction(name, hooks.URL("/"+ns+"/"+name), deps...)
}

func configMapManifest(name, ns string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
		"\ndata:\n  plan: \"{{ .planName }}\"\n  execution: \"{{ .executionName }}\"\n"
}

func resourceAction(name string, op drv1.ResourceOperation, manifest string, deps ...string) drv1.Action {
	return drv1.Action{Name: name, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeKubernetesResource,
		Resource: &drv1.ResourceAction{Operation: op, Manifest: manifest}}}
}

// jobAction is a Job action whose pod kwok completes, or fails when fail is set (annotation drplan.e2e/fail).
func jobAction(name, ns string, fail bool, deps ...string) drv1.Action {
	annotations := ""
	if fail {
		annotations = `"metadata":{"annotations":{"drplan.e2e/fail":"true"}},`
	}
	spec := `{"backoffLimit":0,"template":{` + annotations + `"spec":{"restartPolicy":"Never",` +
		`"containers":[{"name":"main","image":"registry.example/dr/check:1","command":["check"]}]}}}`
	return drv1.Action{Name: name, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeJob,
		Job: &drv1.JobAction{Namespace: ns, Template: drv1.JobTemplate{Spec: runtime.RawExtension{Raw: []byte(spec)}}}}}
}

func withRetry(a drv1.Action, limit int32) drv1.Action {
	a.RetryPolicy = &drv1.RetryPolicy{Limit: limit, Interval: drv1.Duration(1e9)}
	return a
}

func createWorkflow(ns, name string, policy drv1.WorkflowFailurePolicy, params []drv1.Parameter, actions ...drv1.Action) *drv1.DRWorkflow {
	GinkgoHelper()
	wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: drv1.DRWorkflowSpec{FailurePolicy: policy, Actions: actions, Parameters: params,
			Executor: &drv1.ExecutorSpec{Type: drv1.ExecutorArgo}}}
	Expect(k8sClient.Create(ctx, wf)).To(Succeed())
	return wf
}

// createPlan creates a plan of one stage "main" running the workflows, and waits until it is Ready, as a user
// would before executing it.
func createPlan(ns, name string, workflows ...string) *drv1.DRPlan {
	GinkgoHelper()
	st := drv1.Stage{Name: "main"}
	for _, w := range workflows {
		st.Workflows = append(st.Workflows, drv1.WorkflowEntry{WorkflowRef: drv1.ObjectReference{Name: w}})
	}
	p := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: drv1.DRPlanSpec{Stages: []drv1.Stage{st}}}
	Expect(k8sClient.Create(ctx, p)).To(Succeed())
	Eventually(func(g Gomega) bool {
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
		return meta.IsStatusConditionTrue(p.Status.Conditions, drv1.ConditionReady)
	}).Should(BeTrue(), "plan %s/%s Ready", ns, name)
	return p
}

func execute(ns, name, plan string, params ...drv1.ParamValue) *drv1.DRPlanExecution {
	GinkgoHelper()
	ex := testenv.Execution(ns, name, plan, params...)
	Expect(k8sClient.Create(ctx, ex)).To(Succeed())
	return ex
}

func revert(ns, name, plan, target string) *drv1.DRPlanExecution {
	GinkgoHelper()
	ex := testenv.Revert(ns, name, plan, target)
	Expect(k8sClient.Create(ctx, ex)).To(Succeed())
	return ex
}

func getExecution(ns, name string) *drv1.DRPlanExecution {
	GinkgoHelper()
	ex := &drv1.DRPlanExecution{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, ex)).To(Succeed())
	return ex
}

// waitPhase waits for the execution to reach phase and returns it; on timeout the message shows its status
// and the Argo Workflows of its namespace.
func waitPhase(ns, name string, phase drv1.ExecutionPhase) *drv1.DRPlanExecution {
	GinkgoHelper()
	var ex *drv1.DRPlanExecution
	Eventually(func(g Gomega) drv1.ExecutionPhase {
		ex = &drv1.DRPlanExecution{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, ex)).To(Succeed())
		return ex.Status.Phase
	}).Should(Equal(phase), func() string { return describeRun(ns, ex) })
	return ex
}

// describeRun is the failure message of a wait: the execution's status and its namespace's Workflows' nodes.
func describeRun(ns string, ex *drv1.DRPlanExecution) string {
	var b strings.Builder
	if ex != nil {
		s, _ := yaml.Marshal(ex.Status)
		fmt.Fprintf(&b, "execution %s/%s status:\n%s\n", ns, ex.Name, s)
	}
	list := &wfv1.WorkflowList{}
	if err := k8sClient.List(ctx, list, client.InNamespace(ns)); err == nil {
		for _, wf := range list.Items {
			fmt.Fprintf(&b, "argo Workflow %s: phase %s %q\n%s", wf.Name, wf.Status.Phase, wf.Status.Message, nodeTable(&wf))
		}
	}
	return b.String()
}

// entry is the first workflow entry of the first stage.
func entry(ex *drv1.DRPlanExecution) drv1.WorkflowExecutionStatus {
	GinkgoHelper()
	Expect(ex.Status.StageStatuses).NotTo(BeEmpty())
	Expect(ex.Status.StageStatuses[0].WorkflowExecutions).NotTo(BeEmpty())
	return ex.Status.StageStatuses[0].WorkflowExecutions[0]
}

func action(e drv1.WorkflowExecutionStatus, name string) drv1.ActionStatus {
	GinkgoHelper()
	a, ok := testenv.ActionNamed(e.ActionStatuses, name)
	Expect(ok).To(BeTrue(), "no action %s", name)
	return a
}

func actionPhases(e drv1.WorkflowExecutionStatus) map[string]drv1.ActionPhase {
	return testenv.ActionPhases(e.ActionStatuses)
}

func actionNames(e drv1.WorkflowExecutionStatus) []string {
	var out []string
	for _, a := range e.ActionStatuses {
		out = append(out, a.Name)
	}
	return out
}

// completed is the execution's Completed condition.
func completed(ex *drv1.DRPlanExecution) metav1.Condition {
	GinkgoHelper()
	c := meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionCompleted)
	Expect(c).NotTo(BeNil(), "Completed condition")
	return *c
}

// argoWorkflow reads the real Argo Workflow of an entry.
func argoWorkflow(ns string, e drv1.WorkflowExecutionStatus) *wfv1.Workflow {
	GinkgoHelper()
	Expect(e.ArgoWorkflow).NotTo(BeNil())
	wf := &wfv1.Workflow{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: e.ArgoWorkflow.Name}, wf)).To(Succeed())
	return wf
}

// configMap reads a ConfigMap; nil when it does not exist.
func configMap(ns, name string) *corev1.ConfigMap {
	GinkgoHelper()
	cm := &corev1.ConfigMap{}
	err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, cm)
	if client.IgnoreNotFound(err) == nil && err != nil {
		return nil
	}
	Expect(err).NotTo(HaveOccurred())
	return cm
}

func rawMerge(patch string) client.Patch { return client.RawPatch(types.MergePatchType, []byte(patch)) }
