package precheck

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

var dryRun = []string{metav1.DryRunAll}

// checkResource sends the action's request as a server-side dry run (RBAC, admission, schema, conflicts are
// all decided by the API server; nothing is persisted), as the executor ServiceAccount.
func (c *Checker) checkResource(ctx context.Context, ir *translator.IR, sa saRef, a *translator.Action, created map[string]string) verdict {
	req := a.Resource
	gv, err := schema.ParseGroupVersion(req.APIVersion)
	if err != nil {
		return failed("apiVersion %q: %v", req.APIVersion, err)
	}
	mapping, err := c.Mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: req.Kind}, gv.Version)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return failed("kind %s %s is not served by this cluster", req.APIVersion, req.Kind)
		}
		return failed("mapping kind %s %s: %v", req.APIVersion, req.Kind, err)
	}
	cl, err := c.client(sa)
	if err != nil {
		return failed("%v", err)
	}
	name := req.Name
	if req.WaitFor == translator.WaitJobComplete {
		name = jobName(req)
	}
	obj := &unstructured.Unstructured{Object: runtime.DeepCopyJSON(req.Object)}
	ri := cl.Resource(mapping.Resource)
	what := fmt.Sprintf("%s %s", req.Kind, name)
	var target dynamic.ResourceInterface = ri
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := req.Namespace
		if ns == "" {
			ns = ir.Namespace
		}
		obj.SetNamespace(ns)
		target = ri.Namespace(ns)
		what = fmt.Sprintf("%s %s/%s", req.Kind, ns, name)
	}
	var verb string
	switch req.Operation {
	case v1alpha1.OperationCreate:
		verb = "create"
		obj.SetName(name)
		_, err = target.Create(ctx, obj, metav1.CreateOptions{DryRun: dryRun, FieldManager: FieldManager})
	case v1alpha1.OperationApply:
		verb = "apply"
		_, err = target.Apply(ctx, name, obj, metav1.ApplyOptions{DryRun: dryRun, FieldManager: FieldManager, Force: true})
	case v1alpha1.OperationPatch:
		verb = "patch"
		data, merr := json.Marshal(req.Object)
		if merr != nil {
			return failed("encoding the patch of %s: %v", what, merr)
		}
		_, err = target.Patch(ctx, name, types.MergePatchType, data, metav1.PatchOptions{DryRun: dryRun, FieldManager: FieldManager})
	case v1alpha1.OperationDelete:
		verb = "delete"
		opts := metav1.DeleteOptions{DryRun: dryRun}
		if req.Propagation != "" {
			p := req.Propagation
			opts.PropagationPolicy = &p
		}
		err = target.Delete(ctx, name, opts)
	default:
		return failed("unknown operation %q", req.Operation)
	}
	v := resourceVerdict(err, verb, what, sa, laterCreator(ir, req, name, created))
	if refs := references(req, obj.GetNamespace()); len(refs) > 0 && v.phase == v1alpha1.ActionSucceeded {
		problems, notes := c.checkReferences(ctx, ir, sa, refs, created)
		v = withReferences(v, problems, notes)
	}
	return v
}

// laterCreator names the action of the plan that creates the object or its namespace ("" when none does).
func laterCreator(ir *translator.IR, req *translator.ResourceRequest, name string, created map[string]string) string {
	if by, ok := created[ObjectKey(ir, req, name)]; ok {
		return by
	}
	return created[namespaceKey(ir, req)]
}

// resourceVerdict decides a dry run's verdict from the API server's answer. creator names the action of the
// plan that creates the object (or its namespace), "" when none does.
func resourceVerdict(err error, verb, what string, sa saRef, creator string) verdict {
	switch {
	case err == nil:
		return passed("server-side dry run of %s %s as ServiceAccount %s", verb, what, sa)
	case apierrors.IsNotFound(err) && verb == "delete" && creator == "":
		return passed("%s does not exist; the delete will have nothing to do", what)
	case apierrors.IsNotFound(err) && creator != "":
		return skipped("%s is created by action %s of the plan, so %s cannot be checked before the run", what, creator, verb)
	case apierrors.IsForbidden(err):
		return failed("ServiceAccount %s may not %s %s (%s): %v", sa, verb, what, apierrors.ReasonForError(err), err)
	}
	return failed("server-side dry run of %s %s as ServiceAccount %s: %s: %v", verb, what, sa, apierrors.ReasonForError(err), err)
}
