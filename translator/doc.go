// Package translator compiles DR workflows. It is pure: no client, no clock, no environment, no globals
// that change; the same input always gives the same output, byte for byte.
//
// The pipeline, for one workflow entry of one stage of an execution:
//
//	ValidateWorkflow / ValidatePlan   admission-time checks, every problem as a field.ErrorList
//	ResolveParams                     workflow default < plan globalParams < stage entry params < execution params
//	BuildForward / BuildReverse       validate again, render Go templates, evaluate `when`: the IR both engines run
//	EmitArgo                          IR -> Argo Workflow (DESIGN.md section 4)
//
// CompileForward and CompileReverse chain the last two. Objects reads DR objects from YAML and translates whole
// executions offline, for drplanctl and tests.
//
// User text never reaches Argo as something Argo would evaluate: templates are rendered here, and any "{{"
// that Argo would read as its own placeholder is rejected (before and after rendering). The few strings in
// Argo's own syntax (depends, when, conditions) are built in argoexpr.go.
package translator
