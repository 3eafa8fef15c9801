package translator

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

func TestValidateWorkflowAcceptsValidWorkflow(t *testing.T) {
	g := NewWithT(t)
	g.Expect(ValidateWorkflow(validWorkflow(t))).To(BeEmpty())
}

// wantError is the one error a broken object must produce.
type wantError struct {
	typ    field.ErrorType
	field  string
	detail string // substring of the detail; empty matches any
}

func expectOnly(t *testing.T, errs field.ErrorList, want wantError) {
	t.Helper()
	if len(errs) != 1 {
		t.Fatalf("want exactly one error %s %s, got %d:\n%s", want.typ, want.field, len(errs), errs.ToAggregate())
	}
	e := errs[0]
	if e.Type != want.typ || e.Field != want.field || !strings.Contains(e.Detail, want.detail) {
		t.Fatalf("want %s at %s containing %q, got %s at %s: %q", want.typ, want.field, want.detail, e.Type, e.Field, e.Detail)
	}
}

func TestValidateWorkflowRejects(t *testing.T) {
	raw := func(s string) *runtime.RawExtension { return &runtime.RawExtension{Raw: []byte(s)} }
	cases := []struct {
		name   string
		mutate func(wf *v1alpha1.DRWorkflow)
		want   wantError
	}{
		{"no actions", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions = nil },
			wantError{field.ErrorTypeRequired, "spec.actions", ""}},
		{"duplicate action name", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[4].Name = "promote" },
			wantError{field.ErrorTypeDuplicate, "spec.actions[4].name", ""}},
		{"action name not a DNS label", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[0].Name = "Notify_Team"
			wf.Spec.Actions[1].DependsOn = nil
			wf.Spec.Actions[2].DependsOn = nil
		},
			wantError{field.ErrorTypeInvalid, "spec.actions[0].name", "RFC 1123"}},
		{"action name too long", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[4].Name = strings.Repeat("a", 64) },
			wantError{field.ErrorTypeInvalid, "spec.actions[4].name", "63"}},
		{"unknown dependency", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[3].DependsOn[1] = "nope" },
			wantError{field.ErrorTypeNotFound, "spec.actions[3].dependsOn[1]", ""}},
		{"self dependency", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[1].DependsOn = []string{"promote"} },
			wantError{field.ErrorTypeInvalid, "spec.actions[1].dependsOn[0]", "itself"}},
		{"repeated dependency", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[1].DependsOn = []string{"notify", "notify"} },
			wantError{field.ErrorTypeDuplicate, "spec.actions[1].dependsOn[1]", ""}},
		{"cycle is named", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].DependsOn = []string{"verify"} },
			wantError{field.ErrorTypeInvalid, "spec.actions[0].dependsOn", "notify -> verify -> marker -> promote -> notify"}},
		{"config block missing", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].HTTP = nil },
			wantError{field.ErrorTypeRequired, "spec.actions[0].http", ""}},
		{"config block of another type", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[0].Job = wf.Spec.Actions[4].Job.DeepCopy()
		}, wantError{field.ErrorTypeForbidden, "spec.actions[0].job", `type is "HTTP"`}},
		{"unknown type", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].Type = "Email"; wf.Spec.Actions[0].HTTP = nil },
			wantError{field.ErrorTypeNotSupported, "spec.actions[0].type", ""}},
		{"zero timeout", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].Timeout = v1alpha1.Duration(0) },
			wantError{field.ErrorTypeInvalid, "spec.actions[0].timeout", "positive"}},
		{"negative retry limit", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].RetryPolicy.Limit = -1 },
			wantError{field.ErrorTypeInvalid, "spec.actions[0].retryPolicy.limit", ""}},
		{"retry limit too high", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].RetryPolicy.Limit = 101 },
			wantError{field.ErrorTypeInvalid, "spec.actions[0].retryPolicy.limit", ""}},
		{"negative retry interval", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[0].RetryPolicy.Interval = v1alpha1.Duration(-time.Second)
		},
			wantError{field.ErrorTypeInvalid, "spec.actions[0].retryPolicy.interval", ""}},
		{"backoff multiplier not a number", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].RetryPolicy.BackoffMultiplier = "fast" },
			wantError{field.ErrorTypeInvalid, "spec.actions[0].retryPolicy.backoffMultiplier", "decimal"}},
		{"backoff multiplier below one", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].RetryPolicy.BackoffMultiplier = "0.5" },
			wantError{field.ErrorTypeInvalid, "spec.actions[0].retryPolicy.backoffMultiplier", "at least 1"}},
		{"fractional backoff multiplier on Argo", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].RetryPolicy.BackoffMultiplier = "1.5" },
			wantError{field.ErrorTypeInvalid, "spec.actions[0].retryPolicy.backoffMultiplier", "whole number"}},
		{"patch without rollback", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[2].Subscription.Operation = v1alpha1.SubscriptionOperation(v1alpha1.OperationPatch)
		},
			wantError{field.ErrorTypeRequired, "spec.actions[2].rollback", "custom rollback"}},
		{"template syntax error", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].HTTP.URL = "https://x/{{ .params." },
			wantError{field.ErrorTypeInvalid, "spec.actions[0].http.url", "template"}},
		{"when template syntax error", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[1].When = "{{ if }}" },
			wantError{field.ErrorTypeInvalid, "spec.actions[1].when", ""}},
		{"argo placeholder in body", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].HTTP.Body = "{{workflow.name}}" },
			wantError{field.ErrorTypeInvalid, "spec.actions[0].http.body", "Argo"}},
		{"argo placeholder with spaces in header", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[0].HTTP.Headers["X-Step"] = "{{  tasks.notify.outputs.result }}"
		}, wantError{field.ErrorTypeInvalid, "spec.actions[0].http.headers[X-Step]", "Argo"}},
		{"argo expression in literal spec", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[1].Localization.Literal = true
			wf.Spec.Actions[1].Localization.Spec = raw(`{"overrides":[{"value":"{{= sprig.upper('x') }}"}]}`)
		}, wantError{field.ErrorTypeInvalid, "spec.actions[1].localization.spec.overrides[0].value", "Argo"}},
		{"argo item placeholder in manifest", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[3].Resource.Manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: {x: '{{item}}'}\n"
		}, wantError{field.ErrorTypeInvalid, "spec.actions[3].resource.manifest", "Argo"}},
		{"unclosed braces in literal manifest", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[3].Resource.Literal = true
			wf.Spec.Actions[3].Resource.Manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: {x: 'a {{ b'}\n"
		}, wantError{field.ErrorTypeInvalid, "spec.actions[3].resource.manifest", "closing"}},
		{"job spec with unknown field", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[4].Job.Template.Spec = runtime.RawExtension{Raw: []byte(`{"backofLimit":2,"template":{"spec":{"containers":[{"name":"c","image":"i"}]}}}`)}
		}, wantError{field.ErrorTypeInvalid, "spec.actions[4].job.template.spec", "backofLimit"}},
		{"job spec without containers", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[4].Job.Template.Spec = runtime.RawExtension{Raw: []byte(`{"template":{"spec":{}}}`)}
		}, wantError{field.ErrorTypeRequired, "spec.actions[4].job.template.spec.template.spec.containers", ""}},
		{"job restart policy Always", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[4].Job.Template.Spec = runtime.RawExtension{Raw: []byte(`{"template":{"spec":{"restartPolicy":"Always","containers":[{"name":"c","image":"i"}]}}}`)}
		}, wantError{field.ErrorTypeNotSupported, "spec.actions[4].job.template.spec.template.spec.restartPolicy", ""}},
		{"job spec missing", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[4].Job.Template.Spec = runtime.RawExtension{} },
			wantError{field.ErrorTypeRequired, "spec.actions[4].job.template.spec", ""}},
		{"job bad label key", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[4].Job.Template.Metadata.Labels["bad key"] = "x" },
			wantError{field.ErrorTypeInvalid, "spec.actions[4].job.template.metadata.labels[bad key]", ""}},
		{"manifest not yaml", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[3].Resource.Manifest = "kind: [" },
			wantError{field.ErrorTypeInvalid, "spec.actions[3].resource.manifest", "YAML"}},
		{"manifest without name", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[3].Resource.Manifest = "apiVersion: v1\nkind: ConfigMap\n"
		},
			wantError{field.ErrorTypeInvalid, "spec.actions[3].resource.manifest", "metadata.name"}},
		{"unknown resource operation", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[3].Resource.Operation = "Replace" },
			wantError{field.ErrorTypeNotSupported, "spec.actions[3].resource.operation", ""}},
		{"localization spec missing", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[1].Localization.Spec = nil },
			wantError{field.ErrorTypeRequired, "spec.actions[1].localization.spec", ""}},
		{"localization spec not an object", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[1].Localization.Spec = raw(`[1]`) },
			wantError{field.ErrorTypeInvalid, "spec.actions[1].localization.spec", "object"}},
		{"localization namespace missing", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[1].Localization.Namespace = "" },
			wantError{field.ErrorTypeRequired, "spec.actions[1].localization.namespace", ""}},
		{"subscription name invalid", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[2].Subscription.Name = "Bad_Name" },
			wantError{field.ErrorTypeInvalid, "spec.actions[2].subscription.name", ""}},
		{"http url missing", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].HTTP.URL = "" },
			wantError{field.ErrorTypeRequired, "spec.actions[0].http.url", ""}},
		{"http method unknown", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].HTTP.Method = "FETCH" },
			wantError{field.ErrorTypeNotSupported, "spec.actions[0].http.method", ""}},
		{"http success code out of range", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].HTTP.SuccessCodes = []int32{200, 700} },
			wantError{field.ErrorTypeInvalid, "spec.actions[0].http.successCodes[1]", ""}},
		{"http header given twice", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].HTTP.Headers["authorization"] = "x" },
			wantError{field.ErrorTypeDuplicate, "spec.actions[0].http.headersFrom[0].name", ""}},
		{"http idempotency header set by user", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].HTTP.Headers[IdempotencyHeader] = "x" },
			wantError{field.ErrorTypeForbidden, "spec.actions[0].http.headers[X-DR-Idempotency-Key]", ""}},
		{"http header name invalid", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].HTTP.Headers["Bad Header"] = "x" },
			wantError{field.ErrorTypeInvalid, "spec.actions[0].http.headers[Bad Header]", "header name"}},
		{"secret header without key", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[0].HTTP.HeadersFrom[0].ValueFrom.SecretKeyRef.Key = "" },
			wantError{field.ErrorTypeRequired, "spec.actions[0].http.headersFrom[0].valueFrom.secretKeyRef.key", ""}},
		{"rollback validated recursively", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[1].Rollback.HTTP.URL = "{{ .nope" },
			wantError{field.ErrorTypeInvalid, "spec.actions[1].rollback.http.url", ""}},
		{"rollback name invalid", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[1].Rollback.Name = "Undo" },
			wantError{field.ErrorTypeInvalid, "spec.actions[1].rollback.name", ""}},
		{"rollback name clashes with another action", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Actions[1].Rollback.Name = "verify" },
			wantError{field.ErrorTypeDuplicate, "spec.actions[1].rollback.name", ""}},
		{"rollback with two config blocks", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Actions[1].Rollback.Resource = &v1alpha1.ResourceAction{Operation: v1alpha1.OperationDelete, Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n"}
		}, wantError{field.ErrorTypeForbidden, "spec.actions[1].rollback.resource", ""}},
		{"parameter name not an identifier", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Parameters[0].Name = "to-cluster" },
			wantError{field.ErrorTypeInvalid, "spec.parameters[0].name", "identifier"}},
		{"duplicate parameter", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Parameters[1].Name = "toCluster" },
			wantError{field.ErrorTypeDuplicate, "spec.parameters[1].name", ""}},
		{"unknown parameter type", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Parameters[0].Type = "int" },
			wantError{field.ErrorTypeNotSupported, "spec.parameters[0].type", ""}},
		{"number default not a number", func(wf *v1alpha1.DRWorkflow) { d := "three"; wf.Spec.Parameters[1].Default = &d },
			wantError{field.ErrorTypeInvalid, "spec.parameters[1].default", "number"}},
		{"boolean default not a boolean", func(wf *v1alpha1.DRWorkflow) {
			d := "yes"
			wf.Spec.Parameters = append(wf.Spec.Parameters, v1alpha1.Parameter{Name: "dryRun", Type: v1alpha1.ParameterTypeBoolean, Default: &d})
		}, wantError{field.ErrorTypeInvalid, "spec.parameters[2].default", "true"}},
		{"argo placeholder in default", func(wf *v1alpha1.DRWorkflow) { d := "{{workflow.uid}}"; wf.Spec.Parameters[0].Default = &d },
			wantError{field.ErrorTypeInvalid, "spec.parameters[0].default", "Argo"}},
		{"unknown failure policy", func(wf *v1alpha1.DRWorkflow) { wf.Spec.FailurePolicy = "Retry" },
			wantError{field.ErrorTypeNotSupported, "spec.failurePolicy", ""}},
		{"unknown executor", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Executor.Type = "Tekton" },
			wantError{field.ErrorTypeNotSupported, "spec.executor.type", ""}},
		{"unknown pod GC strategy", func(wf *v1alpha1.DRWorkflow) {
			wf.Spec.Executor.ArgoOptions.PodGC = &v1alpha1.ArgoPodGC{Strategy: "Never"}
		}, wantError{field.ErrorTypeNotSupported, "spec.executor.argoOptions.podGC.strategy", ""}},
		{"service account name invalid", func(wf *v1alpha1.DRWorkflow) { wf.Spec.Executor.ArgoOptions.ServiceAccountName = "Runner!" },
			wantError{field.ErrorTypeInvalid, "spec.executor.argoOptions.serviceAccountName", ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wf := validWorkflow(t)
			tc.mutate(wf)
			expectOnly(t, ValidateWorkflow(wf), tc.want)
		})
	}
}

func TestValidateWorkflowReportsEveryProblem(t *testing.T) {
	g := NewWithT(t)
	wf := validWorkflow(t)
	wf.Spec.Actions[0].HTTP.URL = ""
	wf.Spec.Actions[1].DependsOn = []string{"ghost"}
	wf.Spec.Parameters[1].Type = "float"
	g.Expect(ValidateWorkflow(wf)).To(HaveLen(3))
}

func TestValidateWorkflowAcceptsFractionalBackoffOnNative(t *testing.T) {
	g := NewWithT(t)
	wf := validWorkflow(t)
	wf.Spec.Executor.Type = v1alpha1.ExecutorNative
	wf.Spec.Actions[0].RetryPolicy.BackoffMultiplier = "1.5"
	g.Expect(ValidateWorkflow(wf)).To(BeEmpty())
}

func TestValidateWorkflowAllowsPatchWithRollbackAndPatchRollbacks(t *testing.T) {
	g := NewWithT(t)
	wf := validWorkflow(t)
	wf.Spec.Actions[1].Localization.Operation = v1alpha1.OperationPatch
	wf.Spec.Actions[1].Rollback = &v1alpha1.RollbackAction{Name: "unpatch", ActionBody: v1alpha1.ActionBody{
		Type: v1alpha1.ActionTypeLocalization,
		Localization: &v1alpha1.LocalizationAction{Operation: v1alpha1.OperationPatch, Name: "promote", Namespace: "clusternet-a",
			Spec: &runtime.RawExtension{Raw: []byte(`{"priority":500}`)}},
	}}
	g.Expect(ValidateWorkflow(wf)).To(BeEmpty())
}

func TestValidatePlan(t *testing.T) {
	NewWithT(t).Expect(ValidatePlan(validPlan(t))).To(BeEmpty())
	cases := []struct {
		name   string
		mutate func(p *v1alpha1.DRPlan)
		want   wantError
	}{
		{"no stages", func(p *v1alpha1.DRPlan) { p.Spec.Stages = nil }, wantError{field.ErrorTypeRequired, "spec.stages", ""}},
		{"duplicate stage", func(p *v1alpha1.DRPlan) { p.Spec.Stages[1].Name = "traffic"; p.Spec.Stages[1].DependsOn = nil },
			wantError{field.ErrorTypeDuplicate, "spec.stages[1].name", ""}},
		{"stage name not a DNS label", func(p *v1alpha1.DRPlan) { p.Spec.Stages[0].Name = "Traffic"; p.Spec.Stages[1].DependsOn = nil },
			wantError{field.ErrorTypeInvalid, "spec.stages[0].name", ""}},
		{"unknown stage dependency", func(p *v1alpha1.DRPlan) { p.Spec.Stages[1].DependsOn = []string{"db"} },
			wantError{field.ErrorTypeNotFound, "spec.stages[1].dependsOn[0]", ""}},
		{"self stage dependency", func(p *v1alpha1.DRPlan) { p.Spec.Stages[0].DependsOn = []string{"traffic"} },
			wantError{field.ErrorTypeInvalid, "spec.stages[0].dependsOn[0]", "itself"}},
		{"stage cycle", func(p *v1alpha1.DRPlan) { p.Spec.Stages[0].DependsOn = []string{"dns"} },
			wantError{field.ErrorTypeInvalid, "spec.stages[0].dependsOn", "traffic -> dns -> traffic"}},
		{"workflowRef name missing", func(p *v1alpha1.DRPlan) { p.Spec.Stages[0].Workflows[0].WorkflowRef.Name = "" },
			wantError{field.ErrorTypeRequired, "spec.stages[0].workflows[0].workflowRef.name", ""}},
		{"stage without workflows", func(p *v1alpha1.DRPlan) { p.Spec.Stages[0].Workflows = nil },
			wantError{field.ErrorTypeRequired, "spec.stages[0].workflows", ""}},
		{"duplicate global param", func(p *v1alpha1.DRPlan) {
			p.Spec.GlobalParams = append(p.Spec.GlobalParams, v1alpha1.ParamValue{Name: "toCluster", Value: "b"})
		}, wantError{field.ErrorTypeDuplicate, "spec.globalParams[1].name", ""}},
		{"duplicate entry param", func(p *v1alpha1.DRPlan) {
			p.Spec.Stages[0].Workflows[0].Params = append(p.Spec.Stages[0].Workflows[0].Params, v1alpha1.ParamValue{Name: "replicas"})
		}, wantError{field.ErrorTypeDuplicate, "spec.stages[0].workflows[0].params[1].name", ""}},
		{"unknown plan failure policy", func(p *v1alpha1.DRPlan) { p.Spec.FailurePolicy = "Abort" },
			wantError{field.ErrorTypeNotSupported, "spec.failurePolicy", ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := validPlan(t)
			tc.mutate(p)
			expectOnly(t, ValidatePlan(p), tc.want)
		})
	}
}

func TestFindArgoPlaceholder(t *testing.T) {
	cases := map[string]bool{
		"":                          false,
		"plain":                     false,
		"{{ .params.x }}":           false,
		"{{ index .params \"a\" }}": false,
		"{{workflow.name}}":         true,
		"{{ inputs.parameters.a}}":  true,
		"{{outputs.result}}":        true,
		"{{tasks.a.status}}":        true,
		"{{steps.a.outputs}}":       true,
		"{{item}}":                  true,
		"{{ item.x }}":              true,
		"{{pod.name}}":              true,
		"{{node.name}}":             true,
		"{{retries}}":               true,
		"{{lastRetry.exitCode}}":    true,
		"{{=1+1}}":                  true,
		"{{ = 1 }}":                 true,
		"a {{ b":                    true,
		"{{{{workflow.name}}":       true,
		"}} {{ ok }}":               false,
	}
	for s, want := range cases {
		if _, got := findArgoPlaceholder(s); got != want {
			t.Errorf("findArgoPlaceholder(%q) = %v, want %v", s, got, want)
		}
	}
}
