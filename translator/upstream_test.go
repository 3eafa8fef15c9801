package translator

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// upstreamShapesYAML leaves out what upstream bcs-drplan-controller lets users leave out: operations, the
// Subscription namespace, the rollback's name and type; it puts waitReady on the action, and a workflow
// parameter's value where upstream writes it.
const upstreamShapesYAML = `
metadata: {name: install, namespace: shop}
spec:
  parameters: [{name: ns, value: clusternet-a}]
  actions:
  - name: promote
    type: Localization
    localization:
      name: promote
      namespace: $(params.ns)
      spec: {feed: {apiVersion: apps/v1, kind: Deployment, name: api, namespace: shop}}
    rollback:
      localization: {operation: Delete, name: promote, namespace: $(params.ns)}
  - name: subscribe
    type: Subscription
    waitReady: true
    subscription:
      name: api
      spec: {feeds: [{apiVersion: apps/v1, kind: Deployment, name: api, namespace: shop}], subscribers: [{clusterAffinity: {}}]}
  - name: marker
    type: KubernetesResource
    resource: {manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: marker, namespace: shop}\n"}
  - name: check
    type: Job
    waitReady: true
    job: {template: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}}
`

func TestUpstreamDefaults(t *testing.T) {
	g := NewWithT(t)
	wf := mustUnmarshal[v1alpha1.DRWorkflow](t, upstreamShapesYAML)
	g.Expect(ValidateWorkflow(wf)).To(BeEmpty())

	params, perrs := ResolveParams(wf, nil, 0, 0, nil)
	g.Expect(perrs).To(BeEmpty())
	g.Expect(params).To(Equal(paramValues("ns", "clusternet-a"))) // the parameter's value acts as its default
	ir, err := BuildForward(testInput(t, wf, params...))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ir.Actions[0].Resource.Operation).To(Equal(v1alpha1.OperationCreate))
	g.Expect(ir.Actions[0].Resource.Namespace).To(Equal("clusternet-a"))
	sub := ir.Actions[1].Resource
	g.Expect(sub.Operation).To(Equal(v1alpha1.OperationCreate))
	g.Expect(sub.Namespace).To(Equal("default"))
	g.Expect(sub.WaitFor).To(Equal(WaitSubscriptionBound))
	g.Expect(ir.Actions[2].Resource.Operation).To(Equal(v1alpha1.OperationCreate))
	g.Expect(wf.Spec.Actions[1].Subscription.Namespace).To(BeEmpty(), "the caller's object is not written")

	rev, err := BuildReverse(testInput(t, wf, params...), []v1alpha1.ActionStatus{{Name: "promote", Phase: v1alpha1.ActionSucceeded}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rev.Actions).To(HaveLen(1))
	g.Expect(rev.Actions[0].Name).To(Equal("promote-rollback"))
	g.Expect(rev.Actions[0].Resource.Kind).To(Equal(KindLocalization)) // the parent's type
	g.Expect(rev.Actions[0].Resource.Operation).To(Equal(v1alpha1.OperationDelete))
}

func TestUpstreamRollbackNameDefault(t *testing.T) {
	long := strings.Repeat("a", 63)
	a := v1alpha1.Action{Name: long, ActionBody: v1alpha1.ActionBody{Type: v1alpha1.ActionTypeHTTP},
		Rollback: &v1alpha1.RollbackAction{}}
	rb := a.GetRollback()
	if len(rb.Name) != 63 || !strings.HasSuffix(rb.Name, "-rollback") || rb.Type != v1alpha1.ActionTypeHTTP {
		t.Errorf("GetRollback() = %q %q; want a 63-character name ending in -rollback, type HTTP", rb.Name, rb.Type)
	}
	if a.Rollback.Name != "" || a.Rollback.Type != "" {
		t.Error("GetRollback wrote the action")
	}
}

func TestUpstreamFieldsNotSupported(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(wf *v1alpha1.DRWorkflow)
		field  string
		detail string
	}{
		{"PerCluster", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[1].ClusterExecutionMode = "PerCluster" },
			"spec.actions[1].clusterExecutionMode", "not supported by this operator: per-cluster fan-out"},
		{"rollback hook", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[2].HookType = "pre-rollback" },
			"spec.actions[2].hookType", "not supported by this operator: rollback hooks"},
		{"hookCleanup", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[1].HookCleanup = &v1alpha1.HookCleanup{OnFailure: true} },
			"spec.actions[1].hookCleanup", "not supported by this operator"},
		{"HelmChart", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[2] = v1alpha1.Action{Name: "chart", ActionBody: v1alpha1.ActionBody{Type: v1alpha1.ActionTypeHelmChart}}
		}, "spec.actions[2].type", "not supported by this operator: HelmChart actions"},
		{"Globalization", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[2] = v1alpha1.Action{Name: "glob", ActionBody: v1alpha1.ActionBody{Type: v1alpha1.ActionTypeGlobalization}}
		}, "spec.actions[2].globalization", "type Globalization needs its globalization block"},
		{"Globalization without a spec", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[2] = v1alpha1.Action{Name: "glob", ActionBody: v1alpha1.ActionBody{Type: v1alpha1.ActionTypeGlobalization,
				Globalization: &v1alpha1.GlobalizationAction{Operation: v1alpha1.OperationApply, Name: "g"}}}
		}, "spec.actions[2].globalization.spec", "required when operation is Apply"},
		{"Replace on a Localization", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[0] = v1alpha1.Action{Name: "loc", ActionBody: v1alpha1.ActionBody{Type: v1alpha1.ActionTypeLocalization,
				Localization: &v1alpha1.LocalizationAction{Operation: v1alpha1.OperationReplace, Name: "l", Namespace: "clusternet-a", Spec: raw(`{}`)}}}
		}, "spec.actions[0].localization.operation", `supported values: "Create", "Apply", "Patch", "Delete"`},
		{"waitReady on HTTP-like types", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[2].WaitReady = true },
			"spec.actions[2].waitReady", "only supported on Subscription actions"},
		{"workflow parameter from a Secret", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Parameters[0].ValueFrom = &v1alpha1.ParamValueSource{ManifestRef: &v1alpha1.ManifestRef{APIVersion: "v1", Kind: "secret", Name: "s", JSONPath: "{.data.x}"}}
		}, "spec.parameters[0].valueFrom.manifestRef", "reads a Secret: parameter values are stored"},
		{"workflow parameter from an object named by a template", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Parameters[0].ValueFrom = &v1alpha1.ParamValueSource{ManifestRef: &v1alpha1.ManifestRef{APIVersion: "v1", Kind: "ConfigMap", Name: "$(params.x)", JSONPath: "{.data.x}"}}
		}, "spec.parameters[0].valueFrom.manifestRef.name", "must be literal"},
		{"workflow parameter from a bad JSONPath", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Parameters[0].ValueFrom = &v1alpha1.ParamValueSource{ManifestRef: &v1alpha1.ManifestRef{APIVersion: "v1", Kind: "ConfigMap", Name: "c", JSONPath: "{.data[}"}}
		}, "spec.parameters[0].valueFrom.manifestRef.jsonPath", "not a JSONPath"},
		{"workflow parameter from a name and a selector", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Parameters[0].ValueFrom = &v1alpha1.ParamValueSource{ManifestRef: &v1alpha1.ManifestRef{APIVersion: "v1", Kind: "ConfigMap", Name: "c", LabelSelector: "a=b", JSONPath: "{.data.x}"}}
		}, "spec.parameters[0].valueFrom.manifestRef.labelSelector", "not both"},
		{"generated rollback name taken", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[2].Name = "promote-rollback" },
			"spec.actions[0].rollback.name", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wf := mustUnmarshal[v1alpha1.DRWorkflow](t, upstreamShapesYAML)
			tc.mutate(wf)
			errs := ValidateWorkflow(wf)
			for _, e := range errs {
				if e.Field == tc.field && strings.Contains(e.Detail, tc.detail) {
					return
				}
			}
			t.Errorf("want an error at %s containing %q; got %v", tc.field, tc.detail, errs)
		})
	}
}

func TestUpstreamArgoNamespace(t *testing.T) {
	g := NewWithT(t)
	wf := mustUnmarshal[v1alpha1.DRWorkflow](t, upstreamShapesYAML)
	wf.Spec.Executor = &v1alpha1.ExecutorSpec{ArgoOptions: &v1alpha1.ArgoOptions{Namespace: "shop"}}
	_, err := BuildForward(testInput(t, wf, paramValues("ns", "clusternet-a")...)) // testInput runs in namespace shop
	g.Expect(err).NotTo(HaveOccurred())
	wf.Spec.Executor.ArgoOptions.Namespace = "argo"
	_, err = BuildForward(testInput(t, wf, paramValues("ns", "clusternet-a")...))
	g.Expect(err).To(MatchError(And(ContainSubstring("spec.executor.argoOptions.namespace"), ContainSubstring("execution's namespace shop"))))
}

// Plan and execution entries in upstream's parameter shape: defaults, types and required, and the Secret rule.
func TestUpstreamParameterShape(t *testing.T) {
	g := NewWithT(t)
	wf := &v1alpha1.DRWorkflow{Spec: v1alpha1.DRWorkflowSpec{Parameters: []v1alpha1.Parameter{{Name: "endpoint", Default: strPtr("wf")}}}}
	wf.Name = "w"
	plan := &v1alpha1.DRPlan{Spec: v1alpha1.DRPlanSpec{
		GlobalParams: []v1alpha1.ParamValue{
			{Name: "endpoint", Type: v1alpha1.ParameterTypeString, Default: strPtr("https://plan")},
			{Name: "replicas", Type: v1alpha1.ParameterTypeNumber, Default: strPtr("3")},
			{Name: "declared", Type: v1alpha1.ParameterTypeString, Description: "declares only: sets nothing"},
			{Name: "target", Required: true, Description: "the execution says"},
		},
		Stages: []v1alpha1.Stage{{Name: "s", Workflows: []v1alpha1.WorkflowEntry{{WorkflowRef: v1alpha1.ObjectReference{Name: "w"},
			Params: []v1alpha1.ParamValue{{Name: "replicas", Default: strPtr("5")}, {Name: "endpoint", Value: ""}}}}}},
	}}
	plan.Name = "p"
	g.Expect(ValidatePlan(plan)).To(BeEmpty())
	exec := &v1alpha1.DRPlanExecution{Spec: v1alpha1.DRPlanExecutionSpec{Params: []v1alpha1.ParamValue{{Name: "target", Value: "b"}}}}
	got, errs := ResolveParams(wf, plan, 0, 0, exec)
	g.Expect(errs).To(BeEmpty())
	g.Expect(got).To(Equal([]v1alpha1.ParamValue{
		{Name: "endpoint", Value: ""}, // a plain {name, value: ""} still sets the empty string
		{Name: "replicas", Value: "5"},
		{Name: "target", Value: "b"},
	}))

	// required on globalParams: the execution (or the stage entry) must supply it; the type is checked on the
	// final value, naming who declared it.
	exec.Spec.Params = []v1alpha1.ParamValue{{Name: "replicas", Value: "many"}}
	_, errs = ResolveParams(wf, plan, 0, 0, exec)
	g.Expect(errs.ToAggregate().Error()).To(And(
		ContainSubstring("params[target]: Required value: required by DRPlan p spec.globalParams[3]"),
		ContainSubstring(`params[replicas]: Invalid value: "many": must be a number (declared number by DRPlan p spec.globalParams[1]`),
	))

	// A value from a Secret never becomes a parameter.
	exec.Spec.Params = []v1alpha1.ParamValue{{Name: "target", ValueFrom: &v1alpha1.ParamValueSource{SecretKeyRef: nil, ManifestRef: &v1alpha1.ManifestRef{APIVersion: "v1", Kind: "Secret", Name: "s", JSONPath: "{.data.t}"}}}}
	_, errs = ResolveParams(wf, plan, 0, 0, exec)
	g.Expect(errs).To(ContainElement(HaveField("Field", "params[target].valueFrom.manifestRef")))
	g.Expect(errs.ToAggregate().Error()).To(ContainSubstring("reads a Secret"))

	plan.Spec.GlobalParams[0].ValueFrom = &v1alpha1.ParamValueSource{SecretKeyRef: secretRef()}
	plan.Spec.Stages[0].FailurePolicy = "FailFast"
	perrs := ValidatePlan(plan)
	g.Expect(perrs).To(ContainElement(HaveField("Field", "spec.globalParams[0].valueFrom.secretKeyRef")))
	g.Expect(perrs).NotTo(ContainElement(HaveField("Field", "spec.stages[0].failurePolicy")), "upstream's stage policies are run")
	plan.Spec.Stages[0].FailurePolicy = "Rollback"
	g.Expect(ValidatePlan(plan)).To(ContainElement(And(HaveField("Field", "spec.stages[0].failurePolicy"),
		HaveField("Type", field.ErrorTypeNotSupported))), "Rollback is a plan policy only")
}

func raw(s string) *runtime.RawExtension { return &runtime.RawExtension{Raw: []byte(s)} }

func secretRef() *corev1.SecretKeySelector {
	return &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k"}
}

// A Subscription Replace is an IR operation of its own (delete if present, wait until gone, create), run by
// the native engine; on Argo it is refused, naming the engine and the way out.
func TestSubscriptionReplace(t *testing.T) {
	g := NewWithT(t)
	wf := mustUnmarshal[v1alpha1.DRWorkflow](t, `
metadata: {name: w, namespace: shop}
spec:
  executor: {type: Native}
  actions:
  - name: resubscribe
    type: Subscription
    waitReady: true
    subscription: {operation: Replace, name: api, spec: {feeds: []}}
`)
	g.Expect(ValidateWorkflow(wf)).To(BeEmpty())
	ir, err := BuildForward(Input{Workflow: wf, Namespace: "shop", PlanName: "p", ExecutionName: "e", StageName: "s"})
	g.Expect(err).NotTo(HaveOccurred())
	req := ir.Actions[0].Resource
	g.Expect(req.Operation).To(Equal(v1alpha1.OperationReplace))
	g.Expect(req.WaitFor).To(Equal(WaitSubscriptionBound))
	g.Expect(req.Namespace).To(Equal("default"))

	rev, err := BuildReverse(Input{Workflow: wf, Namespace: "shop", PlanName: "p", ExecutionName: "e", StageName: "s"},
		[]v1alpha1.ActionStatus{{Name: "resubscribe", Phase: v1alpha1.ActionSucceeded, Outputs: &v1alpha1.ActionOutputs{
			SubscriptionRef: &v1alpha1.ResourceRef{APIVersion: ClusternetAPIVersion, Kind: KindSubscription, Namespace: "default", Name: "api", Created: true}}}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rev.Actions[0].Resource.Operation).To(Equal(v1alpha1.OperationDelete), "the inverse deletes the Subscription it created")

	g.Expect(ValidateForArgo(wf)).To(ContainElement(And(HaveField("Field", "spec.actions[0].subscription.operation"),
		HaveField("Detail", ContainSubstring("native engine only")))))
	wf.Spec.Executor.Type = v1alpha1.ExecutorArgo
	g.Expect(ValidateWorkflow(wf)).To(ContainElement(HaveField("Detail", ContainSubstring("a Delete action followed by a Create action"))))
}
