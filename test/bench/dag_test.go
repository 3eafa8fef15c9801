//go:build bench

package main

import (
	"strings"
	"testing"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/bench/report"
	"github.com/drplan/drplan-operator/translator"
)

func TestLayers(t *testing.T) {
	ls := layers(11, 5)
	widths := []int{}
	total := 0
	for _, l := range ls {
		widths = append(widths, len(l))
		total += len(l)
	}
	if total != 11 || len(ls) != 5 || widths[0] != 3 || widths[4] != 2 {
		t.Fatalf("layers(11, 5) widths = %v", widths)
	}
	if got := layers(2, 5); len(got) != 2 {
		t.Fatalf("layers(2, 5) = %v: never more layers than actions", got)
	}
}

// TestDAGWorkflowCompiles checks the bench's DAGs are valid plans and compile to one Argo task per action, so a
// run on the stack fails for what it measures, not for its input.
func TestDAGWorkflowCompiles(t *testing.T) {
	for _, s := range []report.Shape{{Kind: "http", Actions: 10, Depth: 5}, {Kind: "resource", Actions: 100, Depth: 5},
		{Kind: "mixed", Actions: 7, Depth: 3}} {
		wf := dagWorkflow("bench-x", "dag", s, "http://127.0.0.1:1", drv1.ExecutorArgo)
		if errs := translator.ValidateWorkflow(wf); len(errs) > 0 {
			t.Fatalf("%+v: %v", s, errs)
		}
		p := plan("bench-x", "p", "dag")
		if errs := translator.ValidatePlan(p); len(errs) > 0 {
			t.Fatalf("%+v: plan: %v", s, errs)
		}
		awf, err := compiled(wf, p, "argo-run")
		if err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		tasks := awf.Spec.Templates[0].DAG
		for _, tmpl := range awf.Spec.Templates {
			if tmpl.Name == awf.Spec.Entrypoint {
				tasks = tmpl.DAG
			}
		}
		if tasks == nil || len(tasks.Tasks) != s.Actions {
			t.Fatalf("%+v: entrypoint DAG has %v tasks, want %d", s, tasks, s.Actions)
		}
		if awf.Labels[drv1.LabelExecution] != "argo-run" || len(awf.OwnerReferences) != 0 {
			t.Fatalf("%+v: labels %v owners %v", s, awf.Labels, awf.OwnerReferences)
		}
		deps := 0
		for _, task := range tasks.Tasks {
			if strings.HasPrefix(task.Name, "l0-") && (task.Depends != "" || len(task.Dependencies) > 0) {
				t.Fatalf("%+v: first-layer task %s has dependencies", s, task.Name)
			}
			if task.Depends != "" || len(task.Dependencies) > 0 {
				deps++
			}
		}
		if want := s.Actions - len(layers(s.Actions, s.Depth)[0]); deps != want {
			t.Fatalf("%+v: %d tasks with dependencies, want %d", s, deps, want)
		}
	}
	if n := httpActions(report.Shape{Kind: "mixed", Actions: 7}); n != 4 {
		t.Fatalf("httpActions(mixed 7) = %d", n)
	}
}
