package translator

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

func TestParseModeExpression(t *testing.T) {
	for when, want := range map[string][]string{
		`mode == "install"`:                         {"install"},
		`mode == install`:                           {"install"},
		` mode=='Upgrade' || operation == "DELETE"`: {"upgrade", "delete"},
		`mode == "rollback"`:                        {"rollback"},
	} {
		got, ok := parseModeExpression(when)
		if !ok || !equalStrings(got, want) {
			t.Errorf("parseModeExpression(%q) = %v, %v; want %v", when, got, ok, want)
		}
	}
	for _, when := range []string{`mode == "reinstall"`, `mode != "install"`, `mode == "install" &&`, "true",
		`{{ eq .mode "install" }}`, `mode == "$(params.m)"`, `mode == "install" || `} {
		if got, ok := parseModeExpression(when); ok {
			t.Errorf("parseModeExpression(%q) = %v; not a mode expression", when, got)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

const modeWorkflowYAML = `
metadata: {name: gen, namespace: shop}
spec:
  actions:
  - {name: install, type: HTTP, when: 'mode == "install" || mode == "upgrade"', http: {url: "https://x/$(params.mode)"}}
  - {name: remove, type: HTTP, when: 'mode == "delete"', http: {url: "https://x/remove"}}
  - {name: both, type: HTTP, when: '{{ ne .mode "delete" }}', http: {url: "https://x/{{ .mode }}"}}
`

func TestModeSelectsActions(t *testing.T) {
	g := NewWithT(t)
	wf := mustUnmarshal[v1alpha1.DRWorkflow](t, modeWorkflowYAML)
	g.Expect(ValidateWorkflow(wf)).To(BeEmpty())
	for mode, skipped := range map[v1alpha1.ExecutionMode][]bool{
		v1alpha1.ModeInstall: {false, true, false},
		v1alpha1.ModeUpgrade: {false, true, false},
		v1alpha1.ModeDelete:  {true, false, true},
	} {
		exec := &v1alpha1.DRPlanExecution{Spec: v1alpha1.DRPlanExecutionSpec{Mode: mode}}
		params, errs := ResolveParams(wf, nil, 0, 0, exec)
		g.Expect(errs).To(BeEmpty())
		ir, err := BuildForward(testInput(t, wf, params...))
		g.Expect(err).NotTo(HaveOccurred())
		for i, a := range ir.Actions {
			g.Expect(a.Skipped).To(Equal(skipped[i]), "mode %s action %s", mode, a.Name)
		}
		if mode == v1alpha1.ModeInstall {
			g.Expect(ir.Actions[0].HTTP.URL).To(Equal("https://x/install"))
			g.Expect(ir.Actions[2].HTTP.URL).To(Equal("https://x/install"))
		}
	}
}

func TestModeRules(t *testing.T) {
	g := NewWithT(t)
	wf := mustUnmarshal[v1alpha1.DRWorkflow](t, modeWorkflowYAML)
	wf.Name = "gen"

	// No mode, but the workflow selects by mode: refused before anything runs.
	_, errs := ResolveParams(wf, nil, 0, 0, &v1alpha1.DRPlanExecution{})
	g.Expect(errs).To(ConsistOf(And(HaveField("Type", field.ErrorTypeRequired), HaveField("Field", "mode"),
		HaveField("Detail", ContainSubstring(`DRWorkflow gen action install selects by mode (when: mode == "install" || mode == "upgrade"); set spec.mode`)))))

	// With spec.mode set, no params list may set mode too; without it, a parameter named mode is the user's.
	exec := &v1alpha1.DRPlanExecution{Spec: v1alpha1.DRPlanExecutionSpec{Mode: v1alpha1.ModeInstall, Params: paramValues("mode", "upgrade")}}
	_, errs = ResolveParams(wf, nil, 0, 0, exec)
	g.Expect(errs).To(ConsistOf(HaveField("Detail", ContainSubstring("spec.mode sets the parameter mode"))))
	plain := &v1alpha1.DRWorkflow{Spec: v1alpha1.DRWorkflowSpec{Parameters: []v1alpha1.Parameter{{Name: "mode"}}}}
	params, errs := ResolveParams(plain, nil, 0, 0, &v1alpha1.DRPlanExecution{Spec: v1alpha1.DRPlanExecutionSpec{Params: paramValues("mode", "dry")}})
	g.Expect(errs).To(BeEmpty())
	g.Expect(params).To(Equal(paramValues("mode", "dry")))

	// A Revert runs in mode rollback.
	revert := &v1alpha1.DRPlanExecution{Spec: v1alpha1.DRPlanExecutionSpec{OperationType: v1alpha1.OperationRevert}}
	params, errs = ResolveParams(wf, nil, 0, 0, revert)
	g.Expect(errs).To(BeEmpty())
	g.Expect(params).To(ContainElement(v1alpha1.ParamValue{Name: "mode", Value: "rollback"}))

	// A reverse run sees mode rollback whatever the reverted run's mode was.
	wf.Spec.Actions[0].Rollback = &v1alpha1.RollbackAction{ActionBody: v1alpha1.ActionBody{HTTP: &v1alpha1.HTTPAction{URL: "https://x/undo/$(params.mode)/{{ .mode }}"}}}
	rev, err := BuildReverse(testInput(t, wf, paramValues("mode", "install")...), []v1alpha1.ActionStatus{{Name: "install", Phase: v1alpha1.ActionSucceeded}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rev.Actions[0].HTTP.URL).To(Equal("https://x/undo/rollback/rollback"))
	rev, err = BuildReverse(testInput(t, wf, paramValues("mode", "dry")...), []v1alpha1.ActionStatus{{Name: "install", Phase: v1alpha1.ActionSucceeded}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rev.Actions[0].HTTP.URL).To(Equal("https://x/undo/dry/rollback"), "a parameter mode that holds no mode is the user's")

	// Plain text that is neither true, false nor a mode expression is refused at admission.
	wf.Spec.Actions[1].When = `mode = "install"`
	g.Expect(ValidateWorkflow(wf)).To(ConsistOf(And(HaveField("Field", "spec.actions[1].when"),
		HaveField("Detail", ContainSubstring(`mode expression such as mode == "install"`)))))
}
