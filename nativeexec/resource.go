package nativeexec

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

// target is the object a resource action works on, with a client acting as the executor ServiceAccount.
type target struct {
	client    dynamic.ResourceInterface
	sa        serviceAccountRef
	namespace string
	name      string
	req       *translator.ResourceRequest
}

// what names the object for messages: "configmaps shop/marker".
func (t *target) what() string {
	if t.namespace == "" {
		return fmt.Sprintf("%s %s", t.req.Kind, t.name)
	}
	return fmt.Sprintf("%s %s/%s", t.req.Kind, t.namespace, t.name)
}

// denied is forbidden for this target: a cluster-scoped object needs a ClusterRole, which a Role cannot
// replace (for Globalizations, config/executor/globalization ships it).
func (t *target) denied(err error, verb string) error {
	hint := "grant it in a Role"
	if t.namespace == "" {
		hint = "a cluster-scoped kind: grant it in a ClusterRole bound with a ClusterRoleBinding"
		if t.req.Kind == translator.KindGlobalization {
			hint += ", such as config/executor/globalization's drplan-executor-globalizations"
		}
	}
	return forbiddenHint(err, t.sa, verb, t.what(), hint)
}

// resolve maps the request's kind to its resource; a namespaced object without a namespace lands in the
// run's namespace (the execution's), as the translator documents.
func (e *Engine) resolve(s *runState, req *translator.ResourceRequest) (*target, error) {
	gv, err := schema.ParseGroupVersion(req.APIVersion)
	if err != nil {
		return nil, permanent(fmt.Errorf("apiVersion %q: %w", req.APIVersion, err))
	}
	if e.opts.Mapper == nil {
		return nil, permanent(fmt.Errorf("the native engine has no RESTMapper"))
	}
	mapping, err := e.opts.Mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: req.Kind}, gv.Version)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil, permanent(fmt.Errorf("kind %s %s is not served by this cluster: %w", req.APIVersion, req.Kind, err))
		}
		return nil, err
	}
	cl, err := e.clients.forServiceAccount(s.serviceAccount)
	if err != nil {
		return nil, err
	}
	t := &target{sa: s.serviceAccount, name: req.Name, req: req}
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		t.namespace = req.Namespace
		if t.namespace == "" {
			t.namespace = s.ir.Namespace
		}
		t.client = cl.Resource(mapping.Resource).Namespace(t.namespace)
	} else {
		t.client = cl.Resource(mapping.Resource)
	}
	return t, nil
}

// object is a private copy of the request's manifest with the resolved namespace.
func (t *target) object() *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: runtime.DeepCopyJSON(t.req.Object)}
	if t.namespace != "" {
		obj.SetNamespace(t.namespace)
	}
	return obj
}

// resourceAttempt runs Create, Apply (server-side, our field manager), Patch (JSON merge), Delete (NotFound
// is success; waits until the object is gone) or Replace (Delete, then Create), then waits for a
// Subscription to be bound when asked.
func (e *Engine) resourceAttempt(ctx context.Context, s *runState, a *translator.Action, resumedSince *metav1.Time) (*v1alpha1.ActionOutputs, error) {
	ctx, cancel := withTimeout(ctx, a.Timeout)
	defer cancel()
	t, err := e.resolve(s, a.Resource)
	if err != nil {
		return nil, err
	}
	var (
		done    *unstructured.Unstructured
		created bool
	)
	switch t.req.Operation {
	case v1alpha1.OperationCreate:
		done, created, err = t.create(ctx, resumedSince)
	case v1alpha1.OperationApply:
		done, created, err = t.apply(ctx, resumedSince)
	case v1alpha1.OperationPatch:
		done, err = t.patch(ctx)
	case v1alpha1.OperationDelete:
		err = t.delete(ctx)
	case v1alpha1.OperationReplace:
		done, err = t.replace(ctx, resumedSince)
		created = err == nil
	default:
		err = permanent(fmt.Errorf("unknown operation %q", t.req.Operation))
	}
	if err != nil {
		return nil, timeoutErr(ctx, err)
	}
	out := outputsFor(t, done, created)
	if t.req.WaitFor == translator.WaitSubscriptionBound {
		if err := t.waitUntil(ctx, "bound to a cluster (status.bindingClusters)", subscriptionBound); err != nil {
			return out, timeoutErr(ctx, err)
		}
	}
	return out, nil
}

// create creates the object. After a restart an AlreadyExists from our own earlier attempt (created since the
// action started, by our field manager) is adopted as created.
func (t *target) create(ctx context.Context, resumedSince *metav1.Time) (*unstructured.Unstructured, bool, error) {
	obj, err := t.client.Create(ctx, t.object(), metav1.CreateOptions{FieldManager: FieldManager})
	if err == nil {
		return obj, true, nil
	}
	if apierrors.IsAlreadyExists(err) && resumedSince != nil {
		if existing, gerr := t.client.Get(ctx, t.name, metav1.GetOptions{}); gerr == nil && createdByUsSince(existing, resumedSince) {
			return existing, true, nil
		}
	}
	if apierrors.IsAlreadyExists(err) || apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
		return nil, false, permanent(fmt.Errorf("creating %s: %w", t.what(), err))
	}
	return nil, false, t.denied(fmt.Errorf("creating %s: %w", t.what(), err), "create")
}

func createdByUsSince(obj *unstructured.Unstructured, since *metav1.Time) bool {
	if created := obj.GetCreationTimestamp(); created.Before(since) {
		return false
	}
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager == FieldManager {
			return true
		}
	}
	return false
}

// apply server-side applies the manifest, forcing our field manager's ownership: the runbook states what the
// object must look like at this step. created says whether the action brought the object into existence.
func (t *target) apply(ctx context.Context, resumedSince *metav1.Time) (*unstructured.Unstructured, bool, error) {
	before, err := t.client.Get(ctx, t.name, metav1.GetOptions{})
	// After a restart, an object our interrupted attempt created still counts as created by this action.
	existed := err == nil && (resumedSince == nil || !createdByUsSince(before, resumedSince))
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, false, t.denied(fmt.Errorf("reading %s: %w", t.what(), err), "get")
	}
	obj, err := t.client.Apply(ctx, t.name, t.object(), metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
			return nil, false, permanent(fmt.Errorf("applying %s: %w", t.what(), err))
		}
		return nil, false, t.denied(fmt.Errorf("applying %s: %w", t.what(), err), "patch")
	}
	return obj, !existed, nil
}

// patch sends the request's object as a JSON merge patch.
func (t *target) patch(ctx context.Context) (*unstructured.Unstructured, error) {
	data, err := json.Marshal(t.req.Object)
	if err != nil {
		return nil, permanent(fmt.Errorf("encoding the patch: %w", err))
	}
	obj, err := t.client.Patch(ctx, t.name, types.MergePatchType, data, metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil {
		if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
			return nil, permanent(fmt.Errorf("patching %s: %w", t.what(), err))
		}
		return nil, t.denied(fmt.Errorf("patching %s: %w", t.what(), err), "patch")
	}
	return obj, nil
}

// delete deletes the object (already gone is success) and waits until it is gone: finalizers (Clusternet's)
// can hold it, and the action's timeout bounds the wait.
func (t *target) delete(ctx context.Context) error {
	opts := metav1.DeleteOptions{}
	if t.req.Propagation != "" {
		p := t.req.Propagation
		opts.PropagationPolicy = &p
	}
	err := t.client.Delete(ctx, t.name, opts)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return t.denied(fmt.Errorf("deleting %s: %w", t.what(), err), "delete")
	}
	return t.waitUntil(ctx, "gone", nil)
}

// replace deletes the object if it exists, waits until it is gone, and creates it. After a restart an object
// our interrupted attempt already created is kept: replacing it again would undo the step's own work.
func (t *target) replace(ctx context.Context, resumedSince *metav1.Time) (*unstructured.Unstructured, error) {
	if resumedSince != nil {
		existing, err := t.client.Get(ctx, t.name, metav1.GetOptions{})
		if err == nil && existing.GetDeletionTimestamp() == nil && createdByUsSince(existing, resumedSince) {
			return existing, nil
		}
	}
	if err := t.delete(ctx); err != nil {
		return nil, err
	}
	obj, _, err := t.create(ctx, nil)
	return obj, err
}

// outputsFor records the object in the output field the request names.
func outputsFor(t *target, obj *unstructured.Unstructured, created bool) *v1alpha1.ActionOutputs {
	ref := &v1alpha1.ResourceRef{APIVersion: t.req.APIVersion, Kind: t.req.Kind, Namespace: t.namespace, Name: t.name, Created: created}
	if obj != nil {
		ref.Name, ref.UID = obj.GetName(), obj.GetUID()
	}
	out := &v1alpha1.ActionOutputs{}
	switch t.req.OutputRef {
	case translator.OutputRefJob:
		out.JobRef = ref
	case translator.OutputRefLocalization:
		out.LocalizationRef = ref
	case translator.OutputRefSubscription:
		out.SubscriptionRef = ref
	case translator.OutputRefGlobalization:
		out.GlobalizationRef = ref
	default:
		out.ResourceRef = ref
	}
	return out
}

func subscriptionBound(obj *unstructured.Unstructured) bool {
	clusters, _, _ := unstructured.NestedSlice(obj.Object, "status", "bindingClusters")
	return len(clusters) > 0
}
