package translator

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

func TestValidateParamNames(t *testing.T) {
	wf := func(name string, params ...string) *v1alpha1.DRWorkflow {
		w := &v1alpha1.DRWorkflow{}
		w.Name = name
		for _, p := range params {
			w.Spec.Parameters = append(w.Spec.Parameters, v1alpha1.Parameter{Name: p})
		}
		return w
	}
	pv := func(names ...string) []v1alpha1.ParamValue {
		var out []v1alpha1.ParamValue
		for _, n := range names {
			out = append(out, v1alpha1.ParamValue{Name: n, Value: "v"})
		}
		return out
	}
	plan := &v1alpha1.DRPlan{Spec: v1alpha1.DRPlanSpec{GlobalParams: pv("toCluster", "tocluster"),
		Stages: []v1alpha1.Stage{
			{Name: "a", Workflows: []v1alpha1.WorkflowEntry{{Params: pv("replicas", "toCluster")}}},
			{Name: "b", Workflows: []v1alpha1.WorkflowEntry{{Params: pv("replicas")}}},
		}}}
	plan.Name = "p"
	known := map[[2]int]*v1alpha1.DRWorkflow{{0, 0}: wf("shift", "toCluster", "replicas"), {1, 0}: wf("dns", "zone")}
	lookup := func(i, j int) *v1alpha1.DRWorkflow { return known[[2]int{i, j}] }
	exec := &v1alpha1.DRPlanExecution{Spec: v1alpha1.DRPlanExecutionSpec{Params: pv("zone", "replica")}}

	cases := []struct {
		name   string
		lookup func(i, j int) *v1alpha1.DRWorkflow
		exec   *v1alpha1.DRPlanExecution
		want   []string // field: detail
	}{
		{"every misspelling, naming what is declared", lookup, exec, []string{
			`spec.stages[1].workflows[0].params[0].name: DRWorkflow dns does not declare parameter "replicas" (it declares: zone)`,
			`spec.globalParams[1].name: no DRWorkflow of DRPlan p declares parameter "tocluster" (declared: replicas, toCluster, zone)`,
			`spec.params[1].name: no DRWorkflow of DRPlan p declares parameter "replica" (declared: replicas, toCluster, zone)`,
		}},
		{"with a workflow not found, only the entries whose workflow is known", func(i, j int) *v1alpha1.DRWorkflow {
			if i == 1 {
				return nil
			}
			return lookup(i, j)
		}, exec, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			errs := ValidateParamNames(plan, c.lookup, c.exec)
			var got []string
			for _, e := range errs {
				g.Expect(e.Type).To(Equal(field.ErrorTypeInvalid))
				got = append(got, e.Field+": "+e.Detail)
			}
			g.Expect(got).To(Equal(c.want))
		})
	}
}
