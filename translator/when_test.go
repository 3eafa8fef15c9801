package translator

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/argoproj/argo-workflows/v3/util/template"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// whenWorkflowYAML is the seed's DAG example (section 11.4) with configs filled in, and an action outside it.
const whenWorkflowYAML = `
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: dag, namespace: shop}
spec:
  parameters:
  - {name: expected, default: "ready"}
  actions:
  - {name: notify-start, type: HTTP, http: {url: "https://hooks.example/start"}}
  - name: create-localization
    type: Localization
    dependsOn: [notify-start]
    localization: {name: promote, namespace: clusternet-abcde, spec: {feed: {apiVersion: v1, kind: ConfigMap, name: c, namespace: shop}}}
  - name: create-subscription
    type: Subscription
    dependsOn: [notify-start]
    subscription: {name: s, namespace: shop, spec: {subscribers: []}}
  - name: run-sync-job
    type: Job
    dependsOn: [create-localization, create-subscription]
    when: "{{ .outputs.create-localization.phase == 'Succeeded' }}"
    job: {template: {spec: {template: {spec: {containers: [{name: c, image: busybox}]}}}}}
  - {name: side, type: HTTP, http: {url: "https://hooks.example/side"}}
`

func whenWorkflow(t testing.TB, when string) *v1alpha1.DRWorkflow {
	wf := mustUnmarshal[v1alpha1.DRWorkflow](t, whenWorkflowYAML)
	if when != "" {
		wf.Spec.Actions[3].When = when
	}
	return wf
}

func TestRuntimeWhenAccepted(t *testing.T) {
	for _, when := range []string{
		"{{ .outputs.create-localization.phase == 'Succeeded' }}", // the seed's form
		`{{ .outputs.notify-start.httpResponse.body contains '"ok":true' }}`,
		"{{ .outputs.create-localization.localizationRef.name == 'promote' && !(.outputs.create-subscription.phase in ['Skipped']) }}",
		"{{ .outputs.notify-start.httpResponse.body == .params.expected || .outputs.notify-start.phase != 'Succeeded' }}",
		`{{ .outputs.create-subscription.subscriptionRef.namespace startsWith "sh" and not (.outputs.notify-start.httpResponse.body endsWith "}}") }}`,
	} {
		t.Run(when, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(ValidateWorkflow(whenWorkflow(t, when))).To(BeEmpty())
		})
	}
}

func TestRuntimeWhenRejected(t *testing.T) {
	const path = "spec.actions[3].when"
	cases := []struct {
		name, when string
		detail     []string
	}{
		{"action outside its dependencies", "{{ .outputs.side.phase == 'Succeeded' }}",
			[]string{`action "side"`, "not among the actions this one depends on", "create-localization, create-subscription, notify-start", "dependsOn"}},
		{"unknown action", "{{ .outputs.nope.phase == 'Succeeded' }}", []string{`action "nope"`, "not among"}},
		{"its own outputs", "{{ .outputs.run-sync-job.phase == 'Succeeded' }}", []string{`action "run-sync-job"`, "not among"}},
		{"Go template form", `{{ eq .outputs.create-localization.phase "Succeeded" }}`,
			[]string{"{{ .outputs.create-localization.phase == 'Succeeded' }}"}},
		{"text around the braces", "yes {{ .outputs.create-localization.phase == 'Succeeded' }}",
			[]string{"run-time condition", "{{ .outputs.create-localization.phase == 'Succeeded' }}"}},
		{"upstream reference", "$(outputs.create-localization.phase) == Succeeded",
			[]string{"{{ .outputs.create-localization.phase == 'Succeeded' }}"}},
		{"a field the action does not have", "{{ .outputs.create-localization.httpResponse.body == 'x' }}",
			[]string{`action "create-localization" has no "httpResponse.body"`, "localizationRef.name", "phase"}},
		{"status code on Argo", "{{ .outputs.notify-start.httpResponse.statusCode == 200 }}",
			[]string{"only the native engine records", "Native"}},
		{"a phase that does not exist", "{{ .outputs.create-localization.phase == 'Succeded' }}",
			[]string{`"Succeded" is not a phase`, "Succeeded, Skipped, Failed"}},
		{"a function call", "{{ len(.outputs.notify-start.httpResponse.body) > 2 }}", []string{"not supported in a run-time condition"}},
		{"a regular expression", "{{ .outputs.notify-start.httpResponse.body matches 'x' }}", []string{`operator "matches" is not supported`}},
		{"arithmetic", "{{ .outputs.notify-start.httpResponse.body + 'x' == 'y' }}", []string{`operator "+" is not supported`}},
		{"types that do not compare", "{{ .outputs.notify-start.phase == 200 }}", []string{"compares a string with a number"}},
		{"not a condition", "{{ .outputs.notify-start.phase }}", []string{"is a string, not a condition"}},
		{"no field", "{{ .outputs.notify-start == 'x' }}", []string{"not something a run-time condition can read"}},
		{"other template data", "{{ .outputs.notify-start.phase == .planName }}", []string{"does not parse", "{{ .outputs.create-localization.phase == 'Succeeded' }}"}},
		{"a syntax error", "{{ .outputs.notify-start.phase == }}", []string{"does not parse"}},
		{"in without a list", "{{ .outputs.notify-start.phase in .params.expected }}", []string{"in needs a list of literals"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			errs := ValidateWorkflow(whenWorkflow(t, tc.when))
			g.Expect(errs).To(HaveLen(1), "errors: %v", errs)
			g.Expect(errs[0].Type).To(Equal(field.ErrorTypeInvalid))
			g.Expect(errs[0].Field).To(Equal(path))
			for _, d := range tc.detail {
				g.Expect(errs[0].Detail).To(ContainSubstring(d))
			}
		})
	}
}

// A `when` on params stays a compile-time template, also when a parameter's name starts with "outputs".
func TestStaticWhenIsNotRuntime(t *testing.T) {
	g := NewWithT(t)
	wf := whenWorkflow(t, `{{ eq .params.outputsDir "/tmp" }}`)
	wf.Spec.Parameters = append(wf.Spec.Parameters, v1alpha1.Parameter{Name: "outputsDir"})
	g.Expect(ValidateWorkflow(wf)).To(BeEmpty())
	ir, err := BuildForward(Input{Workflow: wf, Namespace: "shop", Params: paramValues("outputsDir", "/var")})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ir.Actions[3].When).To(BeNil())
	g.Expect(ir.Actions[3].Skipped).To(BeTrue())
	g.Expect(ir.Actions[3].SkipReason).To(Equal("when rendered false"))
	for _, when := range []string{"{{ .outputs.a.phase }}", "x == {{(.outputs.a)}}", "$(outputs.a.phase)"} {
		g.Expect(isRuntimeWhen(when)).To(BeTrue(), when)
	}
}

func TestRuntimeWhenStatusCodeOnNative(t *testing.T) {
	g := NewWithT(t)
	wf := whenWorkflow(t, "{{ .outputs.notify-start.httpResponse.statusCode == 200 }}")
	wf.Spec.Executor = &v1alpha1.ExecutorSpec{Type: v1alpha1.ExecutorNative}
	g.Expect(ValidateWorkflow(wf)).To(BeEmpty())
}

func TestRuntimeWhenSequentialReadsEveryEarlierAction(t *testing.T) {
	g := NewWithT(t)
	wf := whenWorkflow(t, "{{ .outputs.notify-start.phase == 'Succeeded' }}")
	for i := range wf.Spec.Actions {
		wf.Spec.Actions[i].DependsOn = nil
	}
	g.Expect(ValidateWorkflow(wf)).To(BeEmpty())
	wf.Spec.Actions[3].When = "{{ .outputs.side.phase == 'Succeeded' }}" // after it in list order
	errs := ValidateWorkflow(wf)
	g.Expect(errs).To(HaveLen(1))
	g.Expect(errs[0].Detail).To(ContainSubstring(`action "side"`))
}

// buildWhen compiles the workflow with the given run-time `when` on run-sync-job and returns its IR action
// and its Argo task's `when`.
func buildWhen(t *testing.T, when string, params ...string) (*Action, string) {
	t.Helper()
	ir, err := BuildForward(Input{Workflow: whenWorkflow(t, when), Namespace: "shop", PlanName: "p", ExecutionName: "e",
		StageName: "s", Params: paramValues(params...)})
	if err != nil {
		t.Fatal(err)
	}
	wf, err := EmitArgo(ir, EmitOptions{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range wf.Spec.Templates[0].DAG.Tasks {
		if task.Name == "run-sync-job" {
			return &ir.Actions[3], task.When
		}
	}
	t.Fatal("no task run-sync-job")
	return nil, ""
}

func TestRuntimeWhenCompiled(t *testing.T) {
	g := NewWithT(t)
	act, when := buildWhen(t, "{{ .outputs.create-localization.phase == 'Succeeded' && .outputs.notify-start.httpResponse.body != .params.expected }}",
		"expected", `{{"x"}}`)
	g.Expect(act.Skipped).To(BeFalse())
	g.Expect(act.When.Reads).To(Equal([]string{"create-localization", "notify-start"}))
	// The parameter's value is a literal of the expression, its braces escaped: no "{{" inside the tag.
	g.Expect(act.When.Expr).To(Equal(`((outputs["create-localization"]["phase"] == "Succeeded") && ` +
		`(outputs["notify-start"]["httpResponse.body"] != "\u007b\u007b\u0022x\u0022\u007d\u007d"))`))
	g.Expect(when).To(HavePrefix("{{="))
	g.Expect(strings.Count(when, "{{")).To(Equal(1))
	g.Expect(strings.Count(when, "}}")).To(Equal(1))
	g.Expect(when).To(ContainSubstring(`tasks["create-localization"].status`))
}

// argoScope is a DAG task's ancestors as Argo's controller puts them in scope (workflow/controller/operator.go,
// buildLocalScope): tasks.NAME.status, .outputs.result and .outputs.parameters.NAME, as strings.
type argoTask struct {
	status, result string
	params         map[string]string
}

// argoDecides resolves an Argo `when` the way the controller does before it evaluates it
// (workflow/controller/dag.go, resolveDependencyReferences): JSON-marshalled, substituted with Argo's
// template.ReplaceStrictAny, with "tasks" and "steps" strict, and JSON-unmarshalled.
func argoDecides(t *testing.T, when string, tasks map[string]argoTask) string {
	t.Helper()
	scope := map[string]any{}
	for name, task := range tasks {
		scope["tasks."+name+".status"] = task.status
		if task.result != "" {
			scope["tasks."+name+".outputs.result"] = task.result
		}
		for k, v := range task.params {
			scope["tasks."+name+".outputs.parameters."+k] = v
		}
	}
	raw, err := json.Marshal(when)
	if err != nil {
		t.Fatal(err)
	}
	out, err := template.ReplaceStrictAny(string(raw), scope, []string{"tasks", "steps"})
	if err != nil {
		t.Fatalf("argo cannot resolve %s: %v", when, err)
	}
	var resolved string
	if err := json.Unmarshal([]byte(out), &resolved); err != nil {
		t.Fatal(err)
	}
	return resolved
}

// TestRuntimeWhenSameOnBothEngines decides conditions over the same results with the native evaluation and with
// Argo's own substitution of the compiled `when`: both must agree, including bodies that try to break out of
// the expression and dependencies that recorded no outputs.
func TestRuntimeWhenSameOnBothEngines(t *testing.T) {
	hostile := `'}} || true || {{ "x" == "x" \" }}`
	cases := []struct {
		name, when string
		argo       map[string]argoTask
		native     []v1alpha1.ActionStatus
		want       bool
	}{
		{"seed form, succeeded", "{{ .outputs.create-localization.phase == 'Succeeded' }}",
			map[string]argoTask{"create-localization": {status: "Succeeded"}},
			[]v1alpha1.ActionStatus{{Name: "create-localization", Phase: v1alpha1.ActionSucceeded}}, true},
		{"seed form, skipped", "{{ .outputs.create-localization.phase == 'Succeeded' }}",
			map[string]argoTask{"create-localization": {status: "Skipped"}},
			[]v1alpha1.ActionStatus{{Name: "create-localization", Phase: v1alpha1.ActionSkipped}}, false},
		{"omitted reads as skipped", "{{ .outputs.create-localization.phase == 'Skipped' }}",
			map[string]argoTask{"create-localization": {status: "Omitted"}},
			[]v1alpha1.ActionStatus{{Name: "create-localization", Phase: v1alpha1.ActionSkipped}}, true},
		{"body matches", `{{ .outputs.notify-start.httpResponse.body contains '"ok":true' }}`,
			map[string]argoTask{"notify-start": {status: "Succeeded", result: `{"ok":true}`}},
			[]v1alpha1.ActionStatus{{Name: "notify-start", Phase: v1alpha1.ActionSucceeded,
				Outputs: &v1alpha1.ActionOutputs{HTTPResponse: &v1alpha1.HTTPResponse{StatusCode: 200, Body: `{"ok":true}`}}}}, true},
		{"hostile body", `{{ .outputs.notify-start.httpResponse.body == 'safe' }}`,
			map[string]argoTask{"notify-start": {status: "Succeeded", result: hostile}},
			[]v1alpha1.ActionStatus{{Name: "notify-start", Phase: v1alpha1.ActionSucceeded,
				Outputs: &v1alpha1.ActionOutputs{HTTPResponse: &v1alpha1.HTTPResponse{Body: hostile}}}}, false},
		{"literal with braces and quotes", `{{ .outputs.notify-start.httpResponse.body == '{"a":{"b":"\\u003c}}"}}' }}`,
			map[string]argoTask{"notify-start": {status: "Succeeded", result: `{"a":{"b":"\u003c}}"}}`}},
			[]v1alpha1.ActionStatus{{Name: "notify-start", Phase: v1alpha1.ActionSucceeded,
				Outputs: &v1alpha1.ActionOutputs{HTTPResponse: &v1alpha1.HTTPResponse{Body: `{"a":{"b":"\u003c}}"}}`}}}}, true},
		{"skipped dependency has an empty body", `{{ .outputs.notify-start.httpResponse.body == '' && .outputs.create-localization.localizationRef.name == '' }}`,
			map[string]argoTask{"notify-start": {status: "Skipped"}, "create-localization": {status: "Skipped"}},
			[]v1alpha1.ActionStatus{{Name: "notify-start", Phase: v1alpha1.ActionSkipped}, {Name: "create-localization", Phase: v1alpha1.ActionSkipped}}, true},
		{"object name", `{{ .outputs.create-localization.localizationRef.name in ['promote', 'other'] }}`,
			map[string]argoTask{"create-localization": {status: "Succeeded", params: map[string]string{"name": "promote", "namespace": "clusternet-abcde"}}},
			[]v1alpha1.ActionStatus{{Name: "create-localization", Phase: v1alpha1.ActionSucceeded,
				Outputs: &v1alpha1.ActionOutputs{LocalizationRef: &v1alpha1.ResourceRef{Name: "promote", Namespace: "clusternet-abcde"}}}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			act, when := buildWhen(t, tc.when)
			native, err := EvaluateCondition(act.When, tc.native)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(native).To(Equal(tc.want), "native")
			want := "false"
			if tc.want {
				want = "true"
			}
			g.Expect(argoDecides(t, when, tc.argo)).To(Equal(want), "argo, when %s", when)
		})
	}
}

func TestRuntimeWhenMissingParameter(t *testing.T) {
	g := NewWithT(t)
	wf := whenWorkflow(t, "{{ .outputs.notify-start.httpResponse.body == .params.other }}")
	g.Expect(ValidateWorkflow(wf)).To(BeEmpty()) // resolved when the run is built
	_, err := BuildForward(Input{Workflow: wf, Namespace: "shop"})
	g.Expect(err).To(HaveOccurred())
	g.Expect(FieldErrors(err)).To(ContainElement(And(
		HaveField("Field", "spec.actions[3].when"),
		HaveField("Detail", ContainSubstring(`parameter "other" is not set`)))))
}

// FuzzRuntimeWhen feeds arbitrary run-time conditions and parameter values through admission, compilation and
// Argo's own substitution. It must never panic; whatever is accepted compiles into exactly one Argo expression
// tag that Argo resolves to "true" or "false", and the native evaluation agrees with it. Without -fuzz only the
// seeds run.
func FuzzRuntimeWhen(f *testing.F) {
	f.Add("{{ .outputs.create-localization.phase == 'Succeeded' }}", "x", `{"ok":true}`)
	f.Add("{{ .outputs.notify-start.httpResponse.body == .params.expected }}", "}}{{=", "}}{{=")
	f.Add(`{{ .outputs.notify-start.httpResponse.body contains "\u007d}" || !(.outputs.notify-start.phase in ['Skipped']) }}`, `\u003c`, `\"}}`)
	f.Add("{{ .outputs.notify-start.httpResponse.body startsWith .params.expected and .outputs.create-subscription.subscriptionRef.name >= 'a' }}", "\n'\"", "\x00")
	f.Fuzz(func(t *testing.T, when, param, body string) {
		wf := whenWorkflow(t, "{{ true }}")
		wf.Spec.Actions[3].When = when
		if !isRuntimeWhen(when) || len(ValidateWorkflow(wf)) > 0 {
			return
		}
		ir, err := BuildForward(Input{Workflow: wf, Namespace: "shop", Params: paramValues("expected", param)})
		if err != nil {
			return // e.g. a parameter it names is not set
		}
		argoWF, err := EmitArgo(ir, EmitOptions{})
		if err != nil {
			t.Fatalf("accepted %q but cannot emit it: %v", when, err)
		}
		argoWhen := argoWF.Spec.Templates[0].DAG.Tasks[3].When
		if strings.Count(argoWhen, "{{") != 1 || strings.Count(argoWhen, "}}") != 1 {
			t.Fatalf("%q compiled into %q", when, argoWhen)
		}
		tasks := map[string]argoTask{
			"notify-start":        {status: "Succeeded", result: body},
			"create-localization": {status: "Succeeded", params: map[string]string{"name": "promote", "namespace": "n"}},
			"create-subscription": {status: "Skipped"},
		}
		native, err := EvaluateCondition(ir.Actions[3].When, []v1alpha1.ActionStatus{
			{Name: "notify-start", Phase: v1alpha1.ActionSucceeded, Outputs: &v1alpha1.ActionOutputs{HTTPResponse: &v1alpha1.HTTPResponse{Body: body}}},
			{Name: "create-localization", Phase: v1alpha1.ActionSucceeded, Outputs: &v1alpha1.ActionOutputs{LocalizationRef: &v1alpha1.ResourceRef{Name: "promote", Namespace: "n"}}},
			{Name: "create-subscription", Phase: v1alpha1.ActionSkipped},
		})
		if err != nil {
			t.Fatalf("native evaluation of %q: %v", ir.Actions[3].When.Expr, err)
		}
		if got := argoDecides(t, argoWhen, tasks); got != strconv.FormatBool(native) {
			t.Fatalf("%q: argo decided %q, native %v (argo when %s)", when, got, native, argoWhen)
		}
	})
}
