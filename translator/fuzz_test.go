package translator

import (
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// FuzzTranslate feeds arbitrary workflow YAML and parameter values through validate, resolve, render and
// emit, forward and reverse. It must never panic, and whatever it emits Argo's validator must accept.
// Without -fuzz only the small seed corpus runs, so it is an ordinary quick test.
func FuzzTranslate(f *testing.F) {
	f.Add(validWorkflowYAML, "clusternet-a")
	f.Add(validWorkflowYAML, "{{workflow.name}}")
	f.Add(validWorkflowYAML, "{{ x")
	f.Add(`
metadata: {name: w}
spec:
  parameters: [{name: v}]
  actions:
  - {name: 0a, type: HTTP, http: {url: "https://x/{{ .params.v }}", headers: {X: "{{ .params.v }}"}}}
  - {name: main, type: HTTP, dependsOn: [0a], when: "{{ .params.v }}", http: {url: "https://y"}}
`, "true")
	f.Add(`
metadata: {name: w}
spec:
  parameters: [{name: v}]
  actions:
  - name: r
    type: KubernetesResource
    resource: {operation: Create, manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: '{{ .params.v }}'}\n"}
`, "a}}b")
	// Upstream's $() references beside {{ }}, shell and Kubernetes $(VAR) text and the $$( escape.
	f.Add(`
metadata: {name: w}
spec:
  parameters: [{name: v}]
  actions:
  - {name: a, type: HTTP, when: "$(params.v)", http: {url: "https://x/$(params.v)/{{ .params.v }}/$(planName)", body: "$(date) $$(params.v)"}}
  - name: b
    type: Localization
    localization: {operation: Create, name: "l-$(params.v)", namespace: "$(params.v)", spec: {feed: {name: "$(params.v)"}}}
    rollback: {name: b-undo, type: HTTP, http: {url: "https://x/$(outputs.b.localizationRef.name)/$(outputs.a.phase)"}}
`, "true")
	f.Add(validWorkflowYAML, "$(params.toCluster)")
	f.Fuzz(func(t *testing.T, workflowYAML, paramValue string) {
		var wf v1alpha1.DRWorkflow
		if err := yaml.Unmarshal([]byte(workflowYAML), &wf); err != nil {
			return
		}
		if len(ValidateWorkflow(&wf)) > 0 {
			return
		}
		var params []v1alpha1.ParamValue
		var statuses []v1alpha1.ActionStatus
		for _, p := range wf.Spec.Parameters {
			params = append(params, v1alpha1.ParamValue{Name: p.Name, Value: paramValue})
		}
		for _, a := range wf.Spec.Actions {
			statuses = append(statuses, v1alpha1.ActionStatus{Name: a.Name, Phase: v1alpha1.ActionSucceeded})
		}
		in := Input{Workflow: &wf, Params: params, Namespace: "ns", PlanName: "p", ExecutionName: "e", StageName: "s", ExecutionUID: "u"}
		for _, reverse := range []bool{false, true} {
			var ir *IR
			var err error
			if reverse {
				ir, err = BuildReverse(in, statuses)
			} else {
				ir, err = BuildForward(in)
			}
			if err != nil {
				continue // rejected inputs are fine; panics and bad output are not
			}
			out, err := EmitArgo(ir, EmitOptions{})
			if err != nil {
				continue
			}
			if err := validateWithArgo(out); err != nil {
				t.Fatalf("Argo rejects the compiled workflow (reverse=%v): %v", reverse, err)
			}
		}
	})
}
