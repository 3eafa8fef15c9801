//go:build bench

package main

import (
	"fmt"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/bench/report"
	"github.com/drplan/drplan-operator/translator"
)

// stageName is the one stage of every bench plan.
const stageName = "main"

// layers splits n actions into depth layers, as even as they go (the first layers take the remainder).
func layers(n, depth int) [][]string {
	depth = max(1, min(depth, n))
	out := make([][]string, depth)
	for k := range out {
		width := n / depth
		if k < n%depth {
			width++
		}
		for j := 0; j < width; j++ {
			out[k] = append(out[k], fmt.Sprintf("l%d-%d", k, j))
		}
	}
	return out
}

// dagWorkflow is a DRWorkflow of shape s: action j of layer k depends on actions j and j+1 (mod width) of
// layer k-1. HTTP actions call the hook server at /<execution>/<action>; resource actions create the ConfigMap
// <execution>-<action> labelled with the run. "mixed" alternates the two.
func dagWorkflow(ns, name string, s report.Shape, hookURL string, engine drv1.ExecutorType) *drv1.DRWorkflow {
	ls := layers(s.Actions, s.Depth)
	var actions []drv1.Action
	i := 0
	for k, layer := range ls {
		for j, a := range layer {
			var deps []string
			if k > 0 {
				prev := ls[k-1]
				deps = append(deps, prev[j%len(prev)])
				if d := prev[(j+1)%len(prev)]; d != deps[0] {
					deps = append(deps, d)
				}
			}
			kind := s.Kind
			if kind == "mixed" {
				kind = []string{"http", "resource"}[i%2]
			}
			actions = append(actions, action(a, ns, kind, hookURL, deps))
			i++
		}
	}
	return &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: drv1.DRWorkflowSpec{Actions: actions, Executor: &drv1.ExecutorSpec{Type: engine}}}
}

func action(name, ns, kind, hookURL string, deps []string) drv1.Action {
	a := drv1.Action{Name: name, DependsOn: deps}
	if kind == "http" {
		a.ActionBody = drv1.ActionBody{Type: drv1.ActionTypeHTTP, HTTP: &drv1.HTTPAction{
			URL: hookURL + "/{{ .executionName }}/" + name, Method: "POST", Body: `{"action":"` + name + `"}`}}
		return a
	}
	manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"{{ .executionName }}-" + name + "\"\n  namespace: " + ns +
		"\n  labels:\n    " + runLabel + ": \"{{ .executionName }}\"\ndata:\n  action: " + name + "\n"
	a.ActionBody = drv1.ActionBody{Type: drv1.ActionTypeKubernetesResource,
		Resource: &drv1.ResourceAction{Operation: drv1.OperationCreate, Manifest: manifest}}
	return a
}

// httpActions counts the HTTP actions of a shape.
func httpActions(s report.Shape) int {
	switch s.Kind {
	case "http":
		return s.Actions
	case "mixed":
		return (s.Actions + 1) / 2
	}
	return 0
}

// plan is a plan of one stage running the workflow.
func plan(ns, name, workflow string) *drv1.DRPlan {
	return &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: drv1.DRPlanSpec{
		Stages: []drv1.Stage{{Name: stageName, Workflows: []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: workflow}}}}}}}
}

// compiled is the Workflow the operator would create for an execution named run of p, from the translator
// itself (TranslateExecution, as `drplanctl translate` prints it). The execution is not created: the Workflow has
// no owner, and the HTTP idempotency keys have no execution UID.
func compiled(wf *drv1.DRWorkflow, p *drv1.DRPlan, run string) (*wfv1.Workflow, error) {
	ex := &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: run},
		Spec: drv1.DRPlanExecutionSpec{PlanRef: p.Name, OperationType: drv1.OperationExecute}}
	objs := &translator.Objects{Workflows: []*drv1.DRWorkflow{wf}, Plans: []*drv1.DRPlan{p}, Executions: []*drv1.DRPlanExecution{ex}}
	wfs, err := objs.TranslateExecution(ex, translator.EmitOptions{})
	if err != nil {
		return nil, err
	}
	if len(wfs) != 1 {
		return nil, fmt.Errorf("translating %s: %d Workflows, want 1", run, len(wfs))
	}
	return wfs[0], nil
}
