package precheck

import (
	"fmt"
	"maps"
	"strings"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// ObjectKey identifies an object across actions: API group, kind, namespace (the run's when the request
// leaves it empty; none for a Namespace) and name.
func ObjectKey(ir *translator.IR, req *translator.ResourceRequest, name string) string {
	group, _, _ := strings.Cut(req.APIVersion, "/")
	if !strings.Contains(req.APIVersion, "/") {
		group = ""
	}
	ns := req.Namespace
	if ns == "" {
		ns = ir.Namespace
	}
	if group == "" && req.Kind == "Namespace" {
		ns = ""
	}
	return fmt.Sprintf("%s/%s/%s/%s", group, req.Kind, ns, name)
}

// namespaceKey is the ObjectKey of the Namespace an object of req lives in.
func namespaceKey(ir *translator.IR, req *translator.ResourceRequest) string {
	ns := req.Namespace
	if ns == "" {
		ns = ir.Namespace
	}
	return "/Namespace//" + ns
}

// jobName is the name the run's first attempt gives the object.
func jobName(req *translator.ResourceRequest) string {
	if req.PerAttempt {
		return translator.JobAttemptName(req.Name, 0)
	}
	return req.Name
}

// Creators adds to a copy of earlier the objects ir's actions create (Create, Apply, Jobs), each keyed by
// ObjectKey and naming "<workflow>/<action>"; an object already named keeps its first creator.
func Creators(ir *translator.IR, earlier map[string]string) map[string]string {
	out := maps.Clone(earlier)
	if out == nil {
		out = map[string]string{}
	}
	for _, a := range ir.Actions {
		req := a.Resource
		if a.Skipped || req == nil || (req.Operation != v1alpha1.OperationCreate && req.Operation != v1alpha1.OperationApply) {
			continue
		}
		key := ObjectKey(ir, req, jobName(req))
		if _, ok := out[key]; !ok {
			out[key] = ir.WorkflowName + "/" + a.Name
		}
	}
	return out
}
