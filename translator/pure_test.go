package translator

import (
	"fmt"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// TestCompileLeavesInputAlone: compiling reads the workflow (an informer's cached object in the operator) and
// never writes into it, forward or reverse, and two compiles of the same input give equal results (nothing
// carried over between calls).
func TestCompileLeavesInputAlone(t *testing.T) {
	wf, plan := benchWorkflow(25, "mixed")
	// A Job with labels and annotations: every block walkActionStrings writes when rendering.
	wf.Spec.Actions[4].Job.Template.Metadata.Labels = map[string]string{"app": "{{ .params.toCluster }}"}
	wf.Spec.Actions[4].Job.Template.Metadata.Annotations = map[string]string{"note": "{{ .planName }}"}
	before := wf.DeepCopy()
	params, errs := ResolveParams(wf, plan, 0, 0, nil)
	if len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	in := Input{Workflow: wf, Params: params, Namespace: "shop", PlanName: plan.Name, ExecutionName: "run-1", StageName: "s", ExecutionUID: "uid"}
	var statuses []v1alpha1.ActionStatus
	for _, a := range wf.Spec.Actions {
		statuses = append(statuses, v1alpha1.ActionStatus{Name: a.Name, Phase: v1alpha1.ActionSucceeded})
	}
	var first [2]*IR
	for round := 0; round < 2; round++ {
		fwd, _, err := CompileForward(in, EmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rev, _, err := CompileReverse(in, statuses, EmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(wf, before) {
			t.Fatal("compiling changed the input workflow")
		}
		if round == 0 {
			first = [2]*IR{fwd, rev}
			continue
		}
		if !reflect.DeepEqual(first[0], fwd) || !reflect.DeepEqual(first[1], rev) {
			t.Fatal("a second compile of the same input differs from the first")
		}
	}
	// Actions whose specs are written alike render alike.
	ir := first[0]
	a, b := ir.Actions[1].Resource.Object["spec"].(map[string]any), ir.Actions[6].Resource.Object["spec"].(map[string]any)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("actions 1 and 6 render the same spec differently: %v, %v", a, b)
	}
}

// TestJobRequestLeavesSharedSpecAlone: Job actions written with the same spec each get their own
// ttlSecondsAfterFinished and restartPolicy: what is set on one action's Job never reaches another's.
func TestJobRequestLeavesSharedSpecAlone(t *testing.T) {
	wf, plan := benchWorkflow(15, "mixed") // actions 4, 9 and 14 are Jobs with the same spec
	ttl := int32(60)
	wf.Spec.Actions[9].Job.TTLSecondsAfterFinished = &ttl
	params, errs := ResolveParams(wf, plan, 0, 0, nil)
	if len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	ir, err := BuildForward(Input{Workflow: wf, Params: params, Namespace: "shop", PlanName: plan.Name, ExecutionName: "run-1", StageName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	spec := func(i int) map[string]any { return ir.Actions[i].Resource.Object["spec"].(map[string]any) }
	podSpec := func(i int) map[string]any {
		return spec(i)["template"].(map[string]any)["spec"].(map[string]any)
	}
	if got := spec(9)["ttlSecondsAfterFinished"]; got != int64(60) {
		t.Fatalf("action 9: ttlSecondsAfterFinished = %v, want 60", got)
	}
	for _, i := range []int{4, 14} {
		if got, ok := spec(i)["ttlSecondsAfterFinished"]; ok {
			t.Fatalf("action %d took another action's ttlSecondsAfterFinished: %v", i, got)
		}
	}
	for _, i := range []int{4, 9, 14} {
		if podSpec(i)["restartPolicy"] != "Never" {
			t.Fatalf("action %d: restartPolicy = %v, want Never", i, podSpec(i)["restartPolicy"])
		}
		want := []any{"sh", "-c", "echo clusternet-xy34z"}
		if got := podSpec(i)["containers"].([]any)[0].(map[string]any)["args"]; !reflect.DeepEqual(got, want) {
			t.Fatalf("action %d: args = %v, want %v", i, got, want)
		}
	}
}

// TestSharedSpecErrorsPerAction: actions written with the same spec each report their own errors, at their
// own path, in validation and in rendering.
func TestSharedSpecErrorsPerAction(t *testing.T) {
	wf, plan := benchWorkflow(7, "mixed") // actions 1 and 6 are Localizations with the same spec
	bad := []byte(`{"priority":1,"feed":{"name":"{{workflow.name}}"}}`)
	wf.Spec.Actions[1].Localization.Spec.Raw = bad
	wf.Spec.Actions[6].Localization.Spec.Raw = bad
	errs := ValidateWorkflow(wf)
	if len(errs) != 2 || errs[0].Field != "spec.actions[1].localization.spec.feed.name" || errs[1].Field != "spec.actions[6].localization.spec.feed.name" {
		t.Fatalf("want one error per action, got %v", errs)
	}

	wf, plan = benchWorkflow(7, "mixed")
	params, _ := ResolveParams(wf, plan, 0, 0, nil)
	for i := range params {
		if params[i].Name == "replicas" {
			params[i].Value = "{{workflow.name}}"
		}
	}
	_, err := BuildForward(Input{Workflow: wf, Params: params, Namespace: "shop", PlanName: "p", ExecutionName: "e", StageName: "s"})
	errs = FieldErrors(err)
	if len(errs) != 2 || errs[0].Field != "spec.actions[1].localization.spec.overrides[0].value" || errs[1].Field != "spec.actions[6].localization.spec.overrides[0].value" {
		t.Fatalf("want one rendering error per action, got %v", err)
	}
}

// TestSpecErrorsInKeyOrder: a spec with several wrong strings reports each at its path, in key order, in
// validation and in rendering, whether or not another action has the same spec.
func TestSpecErrorsInKeyOrder(t *testing.T) {
	for _, n := range []int{2, 7} { // actions 1 (and 6) are Localizations with the same spec
		wf, plan := benchWorkflow(n, "mixed")
		bad := []byte(`{"z":"{{workflow.name}}","a":{"y":["ok","{{workflow.uid}}"],"b":"{{ .params.replicas }}"},"m":"{{=x}}"}`)
		for i := 1; i < n; i += 5 {
			wf.Spec.Actions[i].Localization.Spec.Raw = bad
		}
		var want []string
		for i := 1; i < n; i += 5 {
			for _, f := range []string{"a.y[1]", "m", "z"} {
				want = append(want, fmt.Sprintf("spec.actions[%d].localization.spec.%s", i, f))
			}
		}
		if got := errorFields(ValidateWorkflow(wf)); !reflect.DeepEqual(got, want) {
			t.Fatalf("%d actions: validation errors at %v, want %v", n, got, want)
		}

		// Rendering: only the parameter's value is wrong, at two places of the spec.
		wf, plan = benchWorkflow(n, "mixed")
		for i := 1; i < n; i += 5 {
			wf.Spec.Actions[i].Localization.Spec.Raw = []byte(`{"z":"{{ .params.replicas }}","a":{"y":["{{ .params.replicas }}"]},"m":"fine"}`)
		}
		params, _ := ResolveParams(wf, plan, 0, 0, nil)
		for i := range params {
			if params[i].Name == "replicas" {
				params[i].Value = "{{workflow.name}}"
			}
		}
		_, err := BuildForward(Input{Workflow: wf, Params: params, Namespace: "shop", PlanName: "p", ExecutionName: "e", StageName: "s"})
		want = nil
		for i := 1; i < n; i += 5 {
			want = append(want, fmt.Sprintf("spec.actions[%d].localization.spec.a.y[0]", i), fmt.Sprintf("spec.actions[%d].localization.spec.z", i))
		}
		if got := errorFields(FieldErrors(err)); !reflect.DeepEqual(got, want) {
			t.Fatalf("%d actions: rendering errors at %v, want %v", n, got, want)
		}
	}
}

func errorFields(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	return out
}
