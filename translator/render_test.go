package translator

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

func testInput(t testing.TB, wf *v1alpha1.DRWorkflow, params ...v1alpha1.ParamValue) Input {
	return Input{
		Workflow: wf, Params: params, Namespace: "shop", PlanName: "p", ExecutionName: "e1", StageName: "s1",
		ExecutionUID: "uid-1",
	}
}

// The seed's error table (section 3): undefined -> error, empty -> "", syntax error -> error, type mismatch
// -> passed through.
func TestRenderSeedErrorTable(t *testing.T) {
	wf := &v1alpha1.DRWorkflow{}
	wf.Name = "w"
	in := testInput(t, wf, v1alpha1.ParamValue{Name: "empty"}, v1alpha1.ParamValue{Name: "replicas", Value: "three"})
	r, err := newRenderer(&in, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tmpl, want string
		fails      bool
	}{
		{tmpl: "{{ .params.unknown }}", fails: true},
		{tmpl: "[{{ .params.empty }}]", want: "[]"},
		{tmpl: "{{ .params.", fails: true},
		{tmpl: `{"replicas": {{ .params.replicas }}}`, want: `{"replicas": three}`},
		{tmpl: "{{ .planName }}/{{ .executionName }}/{{ .namespace }}/{{ .stageName }}/{{ .workflowName }}/{{ .operation }}", want: "p/e1/shop/s1/w/Execute"},
		{tmpl: "{{ .outputs.x }}", fails: true}, // no outputs in a forward run
		{tmpl: "{{ .nope }}", fails: true},
	} {
		got, ferr := r.render(tc.tmpl, true)
		if tc.fails != (ferr != nil) || (!tc.fails && got != tc.want) {
			t.Errorf("render(%q) = %q, %v; want %q, fails=%v", tc.tmpl, got, ferr, tc.want, tc.fails)
		}
	}
	// Literal text is never rendered.
	got, ferr := r.render("{{ .params.unknown }}", false)
	if ferr != nil || got != "{{ .params.unknown }}" {
		t.Errorf("literal text rendered: %q, %v", got, ferr)
	}
}

func TestRenderWhen(t *testing.T) {
	wf := &v1alpha1.DRWorkflow{}
	in := testInput(t, wf, v1alpha1.ParamValue{Name: "on", Value: "true"})
	r, _ := newRenderer(&in, nil)
	p := field.NewPath("when")
	for when, want := range map[string]bool{"": true, "true": true, " false ": false, "{{ .params.on }}": true, `{{ eq .params.on "x" }}`: false} {
		got, err := r.renderWhen(p, when)
		if err != nil || got != want {
			t.Errorf("renderWhen(%q) = %v, %v; want %v", when, got, err, want)
		}
	}
	if _, err := r.renderWhen(p, "yes"); err == nil {
		t.Error(`renderWhen("yes") should fail: only "true" and "false" are allowed`)
	}
}

func TestRenderRejectsArgoPlaceholderFromParams(t *testing.T) {
	g := NewWithT(t)
	wf := validWorkflow(t)
	in := testInput(t, wf, v1alpha1.ParamValue{Name: "toCluster", Value: "{{workflow.name}}"}, v1alpha1.ParamValue{Name: "replicas", Value: "3"})
	_, err := BuildForward(in)
	g.Expect(err).To(HaveOccurred())
	g.Expect(FieldErrors(err)).NotTo(BeEmpty())
	g.Expect(err.Error()).To(ContainSubstring("Argo"))
	g.Expect(err.Error()).To(ContainSubstring("DRWorkflow shop/shift"))
}

func TestRenderRejectsInvalidRenderedValues(t *testing.T) {
	g := NewWithT(t)
	wf := validWorkflow(t)
	// The Localization namespace renders from toCluster: an invalid namespace is caught after rendering.
	in := testInput(t, wf, v1alpha1.ParamValue{Name: "toCluster", Value: "Not_A_Namespace"}, v1alpha1.ParamValue{Name: "replicas", Value: "3"})
	_, err := BuildForward(in)
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("spec.actions[1].localization.namespace"))
}

func TestRenderOutputsInReverse(t *testing.T) {
	g := NewWithT(t)
	wf := validWorkflow(t)
	wf.Spec.Actions[1].Rollback.HTTP.URL = "https://hooks.example/undo/{{ .outputs.promote.localizationRef.namespace }}/{{ .outputs.promote.localizationRef.name }}"
	in := testInput(t, wf, v1alpha1.ParamValue{Name: "toCluster", Value: "clusternet-a"}, v1alpha1.ParamValue{Name: "replicas", Value: "3"})
	ir, err := BuildReverse(in, []v1alpha1.ActionStatus{
		{Name: "promote", Phase: v1alpha1.ActionSucceeded, Outputs: &v1alpha1.ActionOutputs{
			LocalizationRef: &v1alpha1.ResourceRef{Namespace: "clusternet-a", Name: "promote-x", Created: true}}},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ir.Actions).To(HaveLen(1))
	g.Expect(ir.Actions[0].Name).To(Equal("undo-promote"))
	g.Expect(ir.Actions[0].Reverts).To(Equal("promote"))
	g.Expect(ir.Actions[0].HTTP.URL).To(Equal("https://hooks.example/undo/clusternet-a/promote-x"))
}
