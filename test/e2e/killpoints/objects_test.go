//go:build e2e

package killpoints

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// newNamespace creates a namespace with config/executor applied into it, as a user sets up a plan namespace.
func newNamespace(prefix string) string {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	var k struct {
		Resources []string `json:"resources"`
	}
	dir := filepath.Join(repoRoot, "config", "executor")
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	Expect(err).NotTo(HaveOccurred())
	Expect(yaml.Unmarshal(raw, &k)).To(Succeed())
	for _, r := range k.Resources {
		for _, obj := range loadObjects(filepath.Join(dir, r)) {
			obj.SetNamespace(ns.Name)
			Expect(k8sClient.Create(ctx, obj)).To(Succeed(), "creating %s %s", obj.GetKind(), obj.GetName())
		}
	}
	return ns.Name
}

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

// httpRetries is every HTTP action's retry limit: a kill must not make an action call more than this plus one
// times.
const httpRetries = 2

func hookAction(ns, name string, deps ...string) drv1.Action {
	a := drv1.Action{Name: name, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
		HTTP: &drv1.HTTPAction{URL: hooks.URL("/" + ns + "/" + name), Method: "POST", Body: `{"action":"` + name + `"}`}}}
	a.RetryPolicy = &drv1.RetryPolicy{Limit: httpRetries, Interval: drv1.Duration(1e9)}
	return a
}

// undoable is a hook action whose rollback calls /<ns>/<name>-undo.
func undoable(ns, name string, deps ...string) drv1.Action {
	a := hookAction(ns, name, deps...)
	a.Rollback = &drv1.RollbackAction{Name: name + "-undo", ActionBody: hookAction(ns, name+"-undo").ActionBody}
	return a
}

func jobAction(name, ns string, deps ...string) drv1.Action {
	spec := `{"backoffLimit":0,"template":{"spec":{"restartPolicy":"Never",` +
		`"containers":[{"name":"main","image":"registry.example/dr/check:1","command":["check"]}]}}}`
	return drv1.Action{Name: name, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeJob,
		Job: &drv1.JobAction{Namespace: ns, Template: drv1.JobTemplate{Spec: runtime.RawExtension{Raw: []byte(spec)}}}}}
}

func approvalAction(name string, deps ...string) drv1.Action {
	return drv1.Action{Name: name, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeApproval,
		Approval: &drv1.ApprovalAction{Message: "go on?"}}}
}

// createPlan creates DRWorkflow "w" of the actions on engine and a one-stage plan "p" running it, and waits
// until the plan is Ready.
func createPlan(ns string, engine drv1.ExecutorType, policy drv1.PlanFailurePolicy, actions ...drv1.Action) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: ns},
		Spec: drv1.DRWorkflowSpec{Actions: actions, Executor: &drv1.ExecutorSpec{Type: engine}}})).To(Succeed())
	p := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: ns}, Spec: drv1.DRPlanSpec{FailurePolicy: policy,
		Stages: []drv1.Stage{{Name: "main", Workflows: []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: "w"}}}}}}}
	Expect(k8sClient.Create(ctx, p)).To(Succeed())
	Eventually(func(g Gomega) bool {
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
		return meta.IsStatusConditionTrue(p.Status.Conditions, drv1.ConditionReady)
	}).Should(BeTrue(), "plan %s/p Ready", ns)
}
