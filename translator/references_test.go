package translator

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Both syntaxes side by side: each upstream $() reference renders exactly like its {{ }} equivalent, and
// fails exactly where it fails.
func TestReferencesRenderLikeTemplates(t *testing.T) {
	wf := &v1alpha1.DRWorkflow{}
	wf.Name = "w"
	in := testInput(t, wf, paramValues("endpoint", "https://api.shop", "ns", "clusternet-a", "feed_ns", "shop",
		"empty", "", "tricky", "$(params.ns){{ .params.ns }}")...)
	r, err := newRenderer(&in, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dollar, braces, want string
		fails                string // a substring of the error, when it must fail
	}{
		{dollar: "$(params.endpoint)/health", braces: "{{ .params.endpoint }}/health", want: "https://api.shop/health"},
		{dollar: "$(planName)", braces: "{{ .planName }}", want: "p"},
		{dollar: "$(params.feed_ns)", braces: "{{ .params.feed_ns }}", want: "shop"}, // upstream leaves this literal
		{dollar: "[$(params.empty)]", braces: "[{{ .params.empty }}]", want: "[]"},
		{dollar: "$(params.ns)-$(params.ns)", braces: "{{ .params.ns }}-{{ .params.ns }}", want: "clusternet-a-clusternet-a"},
		{dollar: "{$(params.ns)}", braces: "{{ `{` }}{{ .params.ns }}}", want: "{clusternet-a}"},
		// A value is substituted once: references or actions inside it are not read again.
		{dollar: "$(params.tricky)", braces: "{{ .params.tricky }}", want: "$(params.ns){{ .params.ns }}"},
		{dollar: "$(params.unknown)", braces: "{{ .params.unknown }}", fails: `no entry for key "unknown"`},
		{dollar: "$(outputs.promote.localizationRef.name)", braces: "{{ .outputs.promote.localizationRef.name }}", fails: "outputs"},
	} {
		for _, s := range []string{tc.dollar, tc.braces} {
			got, err := r.render(s, true)
			switch {
			case tc.fails != "" && (err == nil || !strings.Contains(err.Error(), tc.fails)):
				t.Errorf("render(%q) = %q, %v; want an error containing %q", s, got, err, tc.fails)
			case tc.fails == "" && (err != nil || got != tc.want):
				t.Errorf("render(%q) = %q, %v; want %q", s, got, err, tc.want)
			}
		}
	}
}

func TestReferencesMixedAndPassThrough(t *testing.T) {
	wf := &v1alpha1.DRWorkflow{}
	in := testInput(t, wf, paramValues("a", "A", "b", "B")...)
	r, _ := newRenderer(&in, nil)
	for s, want := range map[string]string{
		"$(params.a)/{{ .params.b }}":                        "A/B",
		`{{ if eq .params.a "A" }}$(params.b){{ end }}`:      "B",
		`{{ printf "%s" "$(params.a)" }}`:                    "$(params.a)", // inside an action: a Go string
		"echo $(date) $(date +%s) $(HOME)":                   "echo $(date) $(date +%s) $(HOME)",
		"$(POD_NAME) $(MY-VAR) $(params) $(mode) $(planNam)": "$(POD_NAME) $(MY-VAR) $(params) $(mode) $(planNam)",
		"$$(params.a) $$(POD_NAME)":                          "$$(params.a) $$(POD_NAME)", // Kubernetes' escape, kept
		"$$(params.a) $(params.b)":                           "$$(params.a) B",
		"$(params.a":                                         "$(params.a",
	} {
		got, err := r.render(s, true)
		if err != nil || got != want {
			t.Errorf("render(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
	// Literal text renders neither syntax.
	if got, err := r.render("$(params.unknown)", false); err != nil || got != "$(params.unknown)" {
		t.Errorf("literal text rendered: %q, %v", got, err)
	}
	got, err := r.renderWhen(nil, "$(params.a)")
	if err == nil {
		t.Errorf(`renderWhen("$(params.a)") = %v; "A" is neither true nor false`, got)
	}
}

func TestReferencesMalformed(t *testing.T) {
	for s, want := range map[string]string{
		"$(params.feed-ns)":      "parameter names are letters, digits and _",
		"$(params.)":             "parameter names",
		"$(params.a.b)":          "parameter names",
		"$(outputs.promote)":     "$(outputs.ACTION.FIELD)",
		"$(outputs.Promote_1.x)": "$(outputs.ACTION.FIELD)",
		"$(outputs.promote.a-b)": "$(outputs.ACTION.FIELD)",
		"$(params.a $(params.b)": "parameter names",
	} {
		err := checkString(s, true)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("checkString(%q) = %v; want an error containing %q", s, err, want)
		}
		if err := checkString(s, false); err != nil {
			t.Errorf("checkString(%q) on literal text = %v; literal text is never read", s, err)
		}
	}
}

func TestReferencesToRevertedOutputs(t *testing.T) {
	in := testInput(t, &v1alpha1.DRWorkflow{})
	r, err := newRenderer(&in, []v1alpha1.ActionStatus{
		{Name: "step-1", Phase: v1alpha1.ActionSucceeded, Message: "done", Outputs: &v1alpha1.ActionOutputs{
			LocalizationRef: &v1alpha1.ResourceRef{Namespace: "clusternet-a", Name: "promote-x", Created: true}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]string{
		"$(outputs.step-1.localizationRef.namespace)/$(outputs.step-1.localizationRef.name)": "clusternet-a/promote-x",
		"$(outputs.step-1.phase): $(outputs.step-1.message)":                                 "Succeeded: done",
		`{{ drOutput $ "step-1" "phase" }}`:                                                  "Succeeded",
	} {
		got, err := r.render(s, true)
		if err != nil || got != want {
			t.Errorf("render(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
	for s, want := range map[string]string{
		"$(outputs.other.phase)":               `no action "other"`,
		"$(outputs.step-1.jobRef.name)":        "have no jobRef",
		"$(outputs.step-1.phase.x)":            "phase is not an object",
		"$(outputs.step-1.localizationRef.no)": "have no localizationRef.no",
	} {
		if _, err := r.render(s, true); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("render(%q) = %v; want an error containing %q", s, err, want)
		}
	}
}

// A workflow written in upstream's style passes admission, is checked after rendering where a name is
// expected, and leaves shell and Kubernetes $(VAR) text in a Job alone.
func TestReferencesThroughBuildForward(t *testing.T) {
	g := NewWithT(t)
	wf := mustUnmarshal[v1alpha1.DRWorkflow](t, `
metadata: {name: up, namespace: shop}
spec:
  parameters: [{name: managedClusterNamespace}, {name: endpoint, default: "https://api.shop"}]
  actions:
  - {name: health, type: HTTP, http: {url: "$(params.endpoint)/health", headers: {X-Plan: "$(planName)"}}}
  - name: promote
    type: Localization
    when: "{{ ne \"$(params.managedClusterNamespace)\" \"\" }}"
    localization:
      operation: Create
      name: promote-$(planName)
      namespace: $(params.managedClusterNamespace)
      spec: {feed: {apiVersion: apps/v1, kind: Deployment, name: api, namespace: $(params.feedNamespace)}}
  - name: check
    type: Job
    job:
      template:
        spec:
          template:
            spec:
              restartPolicy: Never
              containers:
              - name: c
                image: busybox:1.36
                env: [{name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
                args: [sh, -c, "echo $(POD) $$(POD) $(date +%s) $(params.managedClusterNamespace)"]
`)
	g.Expect(ValidateWorkflow(wf)).To(BeEmpty())

	ir, err := BuildForward(testInput(t, wf, paramValues("managedClusterNamespace", "clusternet-a", "feedNamespace", "shop", "endpoint", "https://api.shop")...))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ir.Actions[0].HTTP.URL).To(Equal("https://api.shop/health"))
	g.Expect(ir.Actions[0].HTTP.Headers).To(ContainElement(HTTPHeader{Name: "X-Plan", Value: "p"}))
	wfs, err := EmitArgo(ir, EmitOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	out, err := MarshalWorkflowsYAML(toList(wfs))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(out)).To(ContainSubstring(`"name": "promote-p"`))
	g.Expect(string(out)).To(ContainSubstring(`"namespace": "clusternet-a"`))
	g.Expect(string(out)).To(ContainSubstring("echo $(POD) $$(POD) $(date +%s) clusternet-a"))
	g.Expect(string(out)).NotTo(ContainSubstring("$(params."))

	// An invalid namespace is caught once rendered, at its path.
	_, err = BuildForward(testInput(t, wf, paramValues("managedClusterNamespace", "Not_A_Namespace", "feedNamespace", "shop")...))
	g.Expect(err).To(MatchError(ContainSubstring("spec.actions[1].localization.namespace")))
	// An undeclared, unsupplied parameter is an error naming the field, never literal text.
	_, err = BuildForward(testInput(t, wf, paramValues("managedClusterNamespace", "clusternet-a")...))
	g.Expect(err).To(MatchError(ContainSubstring("spec.actions[1].localization.spec.feed.namespace")))
	g.Expect(err).To(MatchError(ContainSubstring(`"feedNamespace"`)))
}

// Admission rejects a malformed reference at the field that holds it.
func TestValidateWorkflowRejectsMalformedReferences(t *testing.T) {
	g := NewWithT(t)
	wf := validWorkflow(t)
	wf.Spec.Actions[0].HTTP.URL = "https://x/$(params.to-cluster)"
	wf.Spec.Actions[1].When = "$(outputs.notify)"
	wf.Spec.Actions[2].Subscription.Namespace = "$(params.bad-ns)"
	errs := ValidateWorkflow(wf)
	g.Expect(errs.ToAggregate().Error()).To(And(
		ContainSubstring(`spec.actions[0].http.url: Invalid value: "$(params.to-cluster)" is not a valid reference`),
		ContainSubstring(`spec.actions[1].when`),
		ContainSubstring(`spec.actions[2].subscription.namespace`),
	))
	g.Expect(errs).To(HaveLen(3))
}
