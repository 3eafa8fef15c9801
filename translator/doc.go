// Package translator compiles DR workflows. It is pure: no client, no clock, no environment, no globals
// that change; the same input always gives the same output, byte for byte. It stands on the standard
// libraries: encoding/json (numbers kept as written), sigs.k8s.io/yaml and its YAML printer, text/template,
// k8s.io/apimachinery's validation, and Argo's own types and validator.
//
// The pipeline, for one workflow entry of one stage of an execution, each pass a function of the one before:
//
//  1. ValidateWorkflow / ValidatePlan   admission-time checks, every problem as a field.ErrorList
//  2. ResolveParams                     workflow default < plan globalParams < stage entry params < execution params
//  3. render                            Go templates (and $() references) filled in, `when` on params evaluated, the rendered text checked again
//  4. BuildForward / BuildReverse       validate (1), render (3) and build each action: the IR both engines run
//  5. EmitArgo                          IR -> Argo Workflow (DESIGN.md section 4)
//
// The files, in that order (follow one action from YAML to its Argo template by reading them top to bottom):
//
//	objects.go            DRWorkflow, DRPlan and DRPlanExecution read from YAML (drplanctl, tests)
//	upstream.go           0: upstream bcs-drplan-controller's defaults filled in; its unsupported fields refused
//	validate_workflow.go  1: a DRWorkflow as a whole: parameters, executor, action names, dependencies
//	validate_action.go    1: one action's body: type, config block, retries, HTTP, Job, Clusternet, manifest
//	validate_plan.go      1: a DRPlan: stages, workflow references, stage dependencies
//	graph.go              dependency graphs: cycles (1), topological order (4, execution.go)
//	userstrings.go        the one walk over every user string of an action: checked in 1, rendered in 3
//	placeholder.go        user text Argo would read as its own placeholder is rejected (before and after 3)
//	manifest.go           a KubernetesResource manifest, parsed with sigs.k8s.io/yaml
//	params.go             2: ResolveParams
//	render.go             3: template data, text/template rendering, `when`, checks on the rendered text
//	references.go         3: upstream's $(params.X), $(planName), $(outputs.A.F) turned into template actions
//	mode.go               2, 3: the execution's mode and upstream's `when: mode == "install"`
//	when.go               1, 4: a `when` on earlier actions' results: parsed, whitelisted, made canonical
//	when_eval.go          the native engine's evaluation of such a `when`, in-process
//	ir.go                 the IR types
//	ir_forward.go         4: BuildForward
//	ir_reverse.go         4: BuildReverse: rollbacks and automatic inverses, in reverse topological order
//	requests.go           4: the API call of each action (HTTP request, Job, Clusternet object, manifest)
//	argo.go               5: EmitArgo: the Workflow, its labels and annotations, the DAG
//	argo_template.go      5: one action's leaf template (http or resource), retries, outputs
//	manifestyaml.go       5: a resource manifest printed as YAML (sigs.k8s.io/yaml's printer, keys sorted)
//	argoexpr.go           5: every Argo expression string (depends, when, conditions, jsonPaths, run-time when)
//	names.go              deterministic Workflow, Job and task names
//	argonames.go          names shared with argoexec, which reads compiled Workflows back
//	argovalidate.go       Argo's validator, run offline
//	compile.go            CompileForward / CompileReverse: 4 then 5
//	execution.go          whole executions offline (Objects.Validate, TranslateExecution), for drplanctl
//	yamlout.go            Workflows printed as YAML for argo lint / argo submit
//
// User text never reaches Argo as something Argo would evaluate: templates are rendered here, and any "{{"
// that Argo would read as its own placeholder is rejected (before and after rendering). The few strings in
// Argo's own syntax (depends, when, conditions) are built in argoexpr.go.
package translator
