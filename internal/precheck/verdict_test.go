package precheck

import (
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

func TestResourceVerdict(t *testing.T) {
	sa := saRef{"shop", "drplan-executor"}
	gr := schema.GroupResource{Resource: "configmaps"}
	notFound := apierrors.NewNotFound(gr, "marker")
	for _, tc := range []struct {
		name    string
		err     error
		verb    string
		creator string
		phase   v1alpha1.ActionPhase
		want    string
	}{
		{"dry run accepted", nil, "create", "", v1alpha1.ActionSucceeded, "server-side dry run of create ConfigMap shop/marker as ServiceAccount shop/drplan-executor"},
		{"forbidden", apierrors.NewForbidden(gr, "marker", errors.New("no")), "create", "", v1alpha1.ActionFailed, "may not create ConfigMap shop/marker (Forbidden)"},
		{"invalid", apierrors.NewInvalid(schema.GroupKind{Kind: "ConfigMap"}, "marker", nil), "apply", "", v1alpha1.ActionFailed, ": Invalid:"},
		{"patch of an object the plan creates", notFound, "patch", "wf/make", v1alpha1.ActionSkipped, "created by action wf/make of the plan"},
		{"patch of a missing object", notFound, "patch", "", v1alpha1.ActionFailed, ": NotFound:"},
		{"delete of a missing object", notFound, "delete", "", v1alpha1.ActionSucceeded, "does not exist"},
		{"delete of an object the plan creates", notFound, "delete", "wf/make", v1alpha1.ActionSkipped, "cannot be checked before the run"},
		{"exists already", apierrors.NewAlreadyExists(gr, "marker"), "create", "", v1alpha1.ActionFailed, "AlreadyExists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := resourceVerdict(tc.err, tc.verb, "ConfigMap shop/marker", sa, tc.creator)
			if v.phase != tc.phase || !strings.Contains(v.message, tc.want) {
				t.Fatalf("got %s %q, want %s containing %q", v.phase, v.message, tc.phase, tc.want)
			}
		})
	}
}

func TestCreators(t *testing.T) {
	ir := &translator.IR{Namespace: "shop", WorkflowName: "wf", Actions: []translator.Action{
		{Name: "ns", Resource: &translator.ResourceRequest{Operation: v1alpha1.OperationCreate, APIVersion: "v1", Kind: "Namespace", Name: "target"}},
		{Name: "cm", Resource: &translator.ResourceRequest{Operation: v1alpha1.OperationApply, APIVersion: "v1", Kind: "ConfigMap", Name: "c"}},
		{Name: "job", Resource: &translator.ResourceRequest{Operation: v1alpha1.OperationCreate, APIVersion: "batch/v1", Kind: "Job", Name: "j", PerAttempt: true, WaitFor: translator.WaitJobComplete}},
		{Name: "patch", Resource: &translator.ResourceRequest{Operation: v1alpha1.OperationPatch, APIVersion: "v1", Kind: "ConfigMap", Name: "p"}},
		{Name: "skipped", Skipped: true, Resource: &translator.ResourceRequest{Operation: v1alpha1.OperationCreate, APIVersion: "v1", Kind: "ConfigMap", Name: "s"}},
	}}
	earlier := map[string]string{"/ConfigMap/shop/c": "first/made"}
	got := Creators(ir, earlier)
	want := map[string]string{
		"/Namespace//target": "wf/ns",
		"/ConfigMap/shop/c":  "first/made", // the first creator stays
		"batch/Job/shop/" + translator.JobAttemptName("j", 0): "wf/job",
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: got %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if len(earlier) != 1 {
		t.Fatalf("earlier was modified: %v", earlier)
	}
	// An object in a namespace the plan creates is found through its namespace.
	req := &translator.ResourceRequest{APIVersion: "v1", Kind: "ConfigMap", Namespace: "target", Name: "x"}
	if by := laterCreator(ir, req, "x", got); by != "wf/ns" {
		t.Fatalf("laterCreator = %q, want wf/ns", by)
	}
}
