package webhook_test

import (
	"context"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// newNamespace creates a fresh namespace for one spec (envtest has no namespace controller, so they stay).
func newNamespace(ctx context.Context) string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "wh-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

// warningRecorder collects the warnings the API server returns (admission warnings among them).
type warningRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warningRecorder) HandleWarningHeaderWithContext(_ context.Context, _ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

func (w *warningRecorder) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.msgs
	w.msgs = nil
	return m
}

// clientWithWarnings returns a client whose warnings land in the returned recorder.
func clientWithWarnings() (client.Client, *warningRecorder) {
	rec := &warningRecorder{}
	c := rest.CopyConfig(cfg)
	c.WarningHandler = nil
	c.WarningHandlerWithContext = rec
	cl, err := client.New(c, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	return cl, rec
}

// expectInvalid asserts err is a 422 Invalid whose message contains every part.
func expectInvalid(err error, parts ...string) {
	GinkgoHelper()
	Expect(err).To(HaveOccurred())
	Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want an Invalid error, got %v", err)
	for _, p := range parts {
		Expect(err.Error()).To(ContainSubstring(p))
	}
}

// expectForbidden asserts err is a 403 Forbidden whose message contains every part.
func expectForbidden(err error, parts ...string) {
	GinkgoHelper()
	Expect(err).To(HaveOccurred())
	Expect(apierrors.IsForbidden(err)).To(BeTrue(), "want a Forbidden error, got %v", err)
	for _, p := range parts {
		Expect(err.Error()).To(ContainSubstring(p))
	}
}

// httpAction is a valid HTTP action.
func httpAction(name string, deps ...string) drv1.Action {
	return drv1.Action{
		Name:      name,
		DependsOn: deps,
		ActionBody: drv1.ActionBody{
			Type: drv1.ActionTypeHTTP,
			HTTP: &drv1.HTTPAction{URL: "https://hooks.example/{{ .planName }}", Method: "POST"},
		},
	}
}

// configMapAction is a valid KubernetesResource action creating a ConfigMap.
func configMapAction(name string, deps ...string) drv1.Action {
	return drv1.Action{
		Name:      name,
		DependsOn: deps,
		ActionBody: drv1.ActionBody{
			Type: drv1.ActionTypeKubernetesResource,
			Resource: &drv1.ResourceAction{
				Operation: drv1.OperationCreate,
				Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: marker-{{ .executionName }}\n" +
					"  namespace: {{ .namespace }}\ndata:\n  site: \"{{ .params.site }}\"\n",
			},
		},
	}
}

// validWorkflow is a two-action DAG with a required string parameter "site" and a number "replicas".
func validWorkflow(ns, name string) *drv1.DRWorkflow {
	return &drv1.DRWorkflow{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: drv1.DRWorkflowSpec{
			Parameters: []drv1.Parameter{
				{Name: "site", Type: drv1.ParameterTypeString, Required: true},
				{Name: "replicas", Type: drv1.ParameterTypeNumber, Default: ptr.To("3")},
			},
			Actions: []drv1.Action{httpAction("notify"), configMapAction("mark", "notify")},
		},
	}
}

// plan returns a plan whose stages each run the named workflows of namespace ns.
func plan(ns, name string, stages ...drv1.Stage) *drv1.DRPlan {
	return &drv1.DRPlan{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       drv1.DRPlanSpec{Stages: stages},
	}
}

// stage returns a stage running the given workflows (names in the plan's namespace).
func stage(name string, deps []string, workflows ...string) drv1.Stage {
	st := drv1.Stage{Name: name, DependsOn: deps}
	for _, wf := range workflows {
		st.Workflows = append(st.Workflows, drv1.WorkflowEntry{WorkflowRef: drv1.ObjectReference{Name: wf}})
	}
	return st
}

// execution returns an Execute of planName with the given name=value params.
func execution(ns, name, planName string, params ...string) *drv1.DRPlanExecution {
	ex := &drv1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       drv1.DRPlanExecutionSpec{PlanRef: planName, OperationType: drv1.OperationExecute},
	}
	for _, p := range params {
		k, v, _ := strings.Cut(p, "=")
		ex.Spec.Params = append(ex.Spec.Params, drv1.ParamValue{Name: k, Value: v})
	}
	return ex
}

// revert returns a Revert of target.
func revert(ns, name, planName, target string) *drv1.DRPlanExecution {
	return &drv1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: drv1.DRPlanExecutionSpec{
			PlanRef: planName, OperationType: drv1.OperationRevert, RevertExecutionRef: target,
		},
	}
}

// setPhase writes the execution's status phase, as the reconciler would.
func setPhase(ctx context.Context, ex *drv1.DRPlanExecution, phase drv1.ExecutionPhase) {
	GinkgoHelper()
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(ex), ex)).To(Succeed())
	ex.Status.Phase = phase
	Expect(k8sClient.Status().Update(ctx, ex)).To(Succeed())
}

// create creates obj and expects success.
func create(ctx context.Context, obj client.Object) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, obj)).To(Succeed())
}
