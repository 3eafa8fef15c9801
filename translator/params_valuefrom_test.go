package translator

import (
	"errors"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

const valueFromYAML = `
workflow:
  metadata: {name: w}
  spec:
    parameters:
    - name: endpoint
      valueFrom: {manifestRef: {apiVersion: v1, kind: ConfigMap, name: cluster-info, jsonPath: "{.data.endpoint}"}}
    - {name: replicas, type: number}
    - {name: region}
    actions: [{name: a, type: HTTP, http: {url: "$(params.endpoint)"}}]
plan:
  metadata: {name: p}
  spec:
    globalParams:
    - name: replicas
      valueFrom: {manifestRef: {apiVersion: apps/v1, kind: Deployment, labelSelector: app=api, jsonPath: "{.spec.replicas}", select: Single}}
    - name: region
      valueFrom: {manifestRef: {apiVersion: v1, kind: ConfigMap, name: cluster-info, jsonPath: "{.data.region}"}}
    stages: [{name: s, workflows: [{workflowRef: {name: w}}]}]
`

func TestResolveParamsValueFrom(t *testing.T) {
	g := NewWithT(t)
	doc := mustUnmarshal[struct {
		Workflow v1alpha1.DRWorkflow `json:"workflow"`
		Plan     v1alpha1.DRPlan     `json:"plan"`
	}](t, valueFromYAML)
	wf, plan := &doc.Workflow, &doc.Plan
	exec := &v1alpha1.DRPlanExecution{}
	exec.Name = "run"
	exec.Spec.Params = []v1alpha1.ParamValue{{Name: "region", Value: "eu-1"}} // overrides the plan's valueFrom

	var asked []string
	values := map[string]string{"endpoint": "https://api.shop.example", "replicas": "4"}
	params, errs := ResolveParamsWith(wf, plan, 0, 0, exec, func(param string, ref *v1alpha1.ManifestRef) (string, error) {
		asked = append(asked, param+"="+ref.Kind)
		return values[param], nil
	})
	g.Expect(errs).To(BeEmpty())
	g.Expect(asked).To(Equal([]string{"endpoint=ConfigMap", "replicas=Deployment"}), "only the valueFroms that give the final value are read")
	g.Expect(params).To(Equal([]v1alpha1.ParamValue{{Name: "endpoint", Value: "https://api.shop.example"},
		{Name: "region", Value: "eu-1"}, {Name: "replicas", Value: "4"}}))
	g.Expect(ValueFromParams(wf, plan, 0, 0, exec)).To(Equal([]string{"endpoint", "replicas"}))

	// A value read is type-checked like any other.
	values["replicas"] = "many"
	_, errs = ResolveParamsWith(wf, plan, 0, 0, exec, func(param string, _ *v1alpha1.ManifestRef) (string, error) { return values[param], nil })
	g.Expect(errs.ToAggregate().Error()).To(ContainSubstring(`params[replicas]: Invalid value: "many": must be a number`))
	g.Expect(errs.ToAggregate().Error()).To(ContainSubstring("value from DRPlan p spec.globalParams[0].valueFrom"))

	// A read that fails names the parameter and where its valueFrom is.
	_, errs = ResolveParamsWith(wf, plan, 0, 0, exec, func(param string, _ *v1alpha1.ManifestRef) (string, error) {
		if param == "endpoint" {
			return "", errors.New(`configmaps "cluster-info" not found`)
		}
		return "4", nil
	})
	g.Expect(errs).To(HaveLen(1))
	g.Expect(errs[0].Field).To(Equal("params[endpoint].valueFrom.manifestRef"))
	g.Expect(errs[0].Detail).To(Equal(`the valueFrom of DRWorkflow w: configmaps "cluster-info" not found`))

	// Without a reader (admission) the values are deferred: supplied, not type-checked.
	params, errs = ResolveParams(wf, plan, 0, 0, exec)
	g.Expect(errs).To(BeEmpty())
	g.Expect(params).To(ContainElement(v1alpha1.ParamValue{Name: "replicas", Value: ""}))

	// Value and valueFrom together are refused.
	plan.Spec.GlobalParams[0].Value = "3"
	g.Expect(ValidatePlan(plan)).To(ContainElement(HaveField("Field", "spec.globalParams[0].value")))
}

// drplanctl reads a valueFrom from the objects it was given, and says so when the object is not among them.
func TestOfflineReader(t *testing.T) {
	g := NewWithT(t)
	objs := &Objects{}
	g.Expect(objs.ReadObjects(strings.NewReader(`apiVersion: v1
kind: ConfigMap
metadata: {name: settings, labels: {app: shop}}
data: {replicas: "5"}
`), "in.yaml")).To(Succeed())
	read := offlineReader(objs.Others, DefaultNamespace)
	g.Expect(read("replicas", &v1alpha1.ManifestRef{APIVersion: "v1", Kind: "ConfigMap", Name: "settings", JSONPath: "{.data.replicas}"})).To(Equal("5"))
	g.Expect(read("replicas", &v1alpha1.ManifestRef{APIVersion: "v1", Kind: "ConfigMap", LabelSelector: "app=shop", JSONPath: "{.data.replicas}"})).To(Equal("5"))
	_, err := read("replicas", &v1alpha1.ManifestRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "other", Name: "settings", JSONPath: "{.data.replicas}"})
	g.Expect(err).To(MatchError(ContainSubstring("ConfigMap other/settings is not among the objects given")))
}
