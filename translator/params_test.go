package translator

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

func strPtr(s string) *string { return &s }

func paramsWorkflow() *v1alpha1.DRWorkflow {
	return &v1alpha1.DRWorkflow{Spec: v1alpha1.DRWorkflowSpec{Parameters: []v1alpha1.Parameter{
		{Name: "a", Default: strPtr("wf")},
		{Name: "b", Default: strPtr("wf")},
		{Name: "c", Default: strPtr("wf")},
		{Name: "d", Default: strPtr("wf")},
		{Name: "n", Type: v1alpha1.ParameterTypeNumber, Default: strPtr("1")},
		{Name: "flag", Type: v1alpha1.ParameterTypeBoolean},
	}}}
}

func paramsPlan() *v1alpha1.DRPlan {
	p := &v1alpha1.DRPlan{Spec: v1alpha1.DRPlanSpec{
		GlobalParams: []v1alpha1.ParamValue{{Name: "b", Value: "plan"}, {Name: "c", Value: "plan"}, {Name: "d", Value: "plan"}, {Name: "shared", Value: "x"}},
		Stages: []v1alpha1.Stage{{Name: "s", Workflows: []v1alpha1.WorkflowEntry{
			{WorkflowRef: v1alpha1.ObjectReference{Name: "w"}},
			{WorkflowRef: v1alpha1.ObjectReference{Name: "w"}, Params: []v1alpha1.ParamValue{{Name: "c", Value: "entry"}, {Name: "d", Value: "entry"}}},
		}}},
	}}
	p.Name = "p"
	return p
}

func TestResolveParamsPrecedence(t *testing.T) {
	g := NewWithT(t)
	exec := &v1alpha1.DRPlanExecution{Spec: v1alpha1.DRPlanExecutionSpec{Params: []v1alpha1.ParamValue{{Name: "d", Value: "exec"}}}}
	got, errs := ResolveParams(paramsWorkflow(), paramsPlan(), 0, 1, exec)
	g.Expect(errs).To(BeEmpty())
	g.Expect(got).To(Equal([]v1alpha1.ParamValue{
		{Name: "a", Value: "wf"},
		{Name: "b", Value: "plan"},
		{Name: "c", Value: "entry"},
		{Name: "d", Value: "exec"},
		{Name: "flag", Value: ""}, // optional, no default, not supplied: empty
		{Name: "n", Value: "1"},
		{Name: "shared", Value: "x"}, // undeclared: passed through
	}))

	// Entry 0 has no params of its own; a nil execution is allowed.
	got, errs = ResolveParams(paramsWorkflow(), paramsPlan(), 0, 0, nil)
	g.Expect(errs).To(BeEmpty())
	g.Expect(got).To(ContainElement(v1alpha1.ParamValue{Name: "c", Value: "plan"}))
}

func TestResolveParamsReportsEveryOffender(t *testing.T) {
	g := NewWithT(t)
	wf := paramsWorkflow()
	wf.Name = "w"
	wf.Spec.Parameters = append(wf.Spec.Parameters,
		v1alpha1.Parameter{Name: "must", Required: true},
		v1alpha1.Parameter{Name: "mustToo", Required: true, Default: strPtr("a default does not satisfy required")})
	exec := &v1alpha1.DRPlanExecution{Spec: v1alpha1.DRPlanExecutionSpec{Params: []v1alpha1.ParamValue{
		{Name: "n", Value: "many"}, {Name: "flag", Value: "yes"},
	}}}
	exec.Name = "e"
	_, errs := ResolveParams(wf, paramsPlan(), 0, 0, exec)
	type brief struct {
		Type  field.ErrorType
		Field string
	}
	var got []brief
	for _, e := range errs {
		got = append(got, brief{e.Type, e.Field})
	}
	g.Expect(got).To(ConsistOf(
		brief{field.ErrorTypeInvalid, "params[n]"},
		brief{field.ErrorTypeInvalid, "params[flag]"},
		brief{field.ErrorTypeRequired, "params[must]"},
		brief{field.ErrorTypeRequired, "params[mustToo]"},
	))
	g.Expect(errs.ToAggregate().Error()).To(ContainSubstring("DRPlanExecution e spec.params[0]"))
}

func TestResolveParamsTypes(t *testing.T) {
	for _, tc := range []struct {
		typ   v1alpha1.ParameterType
		value string
		ok    bool
	}{
		{v1alpha1.ParameterTypeNumber, "3", true},
		{v1alpha1.ParameterTypeNumber, "-2.5e3", true},
		{v1alpha1.ParameterTypeNumber, "NaN", false},
		{v1alpha1.ParameterTypeNumber, "", false},
		{v1alpha1.ParameterTypeBoolean, "true", true},
		{v1alpha1.ParameterTypeBoolean, "false", true},
		{v1alpha1.ParameterTypeBoolean, "True", false},
		{v1alpha1.ParameterTypeString, "anything {{ at all", true},
	} {
		wf := &v1alpha1.DRWorkflow{Spec: v1alpha1.DRWorkflowSpec{Parameters: []v1alpha1.Parameter{{Name: "p", Type: tc.typ}}}}
		exec := &v1alpha1.DRPlanExecution{Spec: v1alpha1.DRPlanExecutionSpec{Params: []v1alpha1.ParamValue{{Name: "p", Value: tc.value}}}}
		_, errs := ResolveParams(wf, nil, 0, 0, exec)
		if (len(errs) == 0) != tc.ok {
			t.Errorf("%s %q: errors %v, want ok=%v", tc.typ, tc.value, errs, tc.ok)
		}
	}
}

func TestResolveParamsBadIndexes(t *testing.T) {
	g := NewWithT(t)
	_, errs := ResolveParams(paramsWorkflow(), paramsPlan(), 3, 0, nil)
	g.Expect(errs).To(HaveLen(1))
	_, errs = ResolveParams(paramsWorkflow(), paramsPlan(), 0, 5, nil)
	g.Expect(errs).To(HaveLen(1))
}
