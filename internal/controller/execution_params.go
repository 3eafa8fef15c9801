package controller

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// Parameters read from the cluster (valueFrom.manifestRef): read once, when the execution starts, as the
// workflow's executor ServiceAccount (the operator lends a plan none of its own rights), and recorded in
// the entry's resolved params, so both engines and a later Revert see the same plain value.

// executorClients gives a client acting as a workflow's executor ServiceAccount (engine.ImpersonatingClients).
type executorClients interface {
	ForServiceAccount(namespace, name string) (client.Client, error)
}

// valueReader reads the manifestRefs of one entry as wf's executor ServiceAccount in ex's namespace. A
// failure that may pass (an API hiccup) is kept in *transient as well, so the start is retried rather than
// failed.
func (r *DRPlanExecutionReconciler) valueReader(ctx context.Context, ex *drv1.DRPlanExecution, wf *drv1.DRWorkflow, transient *error) translator.ValueReader {
	sa := wf.Spec.GetServiceAccountName()
	return func(_ string, ref *drv1.ManifestRef) (string, error) {
		if r.Executor == nil {
			return "", fmt.Errorf("this operator reads no cluster values (no executor clients)")
		}
		cl, err := r.Executor.ForServiceAccount(ex.Namespace, sa)
		if err != nil {
			*transient = err
			return "", err
		}
		v, err := readManifestValue(ctx, cl, ex.Namespace, ref)
		if err != nil && !errors.Is(err, translator.ErrNotReadable) && !apierrors.IsNotFound(err) && !apierrors.IsForbidden(err) && !meta.IsNoMatchError(err) {
			*transient = err
		}
		if apierrors.IsForbidden(err) {
			err = fmt.Errorf("the workflow's executor ServiceAccount %s/%s may not read it (grant get/list in a Role): %w", ex.Namespace, sa, err)
		}
		return v, err
	}
}

// readManifestValue reads ref's field from its object, in namespace ns unless ref names one.
func readManifestValue(ctx context.Context, cl client.Reader, ns string, ref *drv1.ManifestRef) (string, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return "", fmt.Errorf("%w: apiVersion %q: %v", translator.ErrNotReadable, ref.APIVersion, err)
	}
	if ref.Namespace != "" {
		ns = ref.Namespace
	}
	gvk := gv.WithKind(ref.Kind)
	var obj *unstructured.Unstructured
	if ref.Name != "" {
		obj = &unstructured.Unstructured{}
		obj.SetGroupVersionKind(gvk)
		if err := cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, obj); err != nil {
			return "", fmt.Errorf("reading %s %s/%s: %w", ref.Kind, ns, ref.Name, err)
		}
	} else {
		sel, err := labels.Parse(ref.LabelSelector)
		if err != nil {
			return "", fmt.Errorf("%w: labelSelector: %v", translator.ErrNotReadable, err)
		}
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(ref.Kind + "List"))
		if err := cl.List(ctx, list, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: sel}); err != nil {
			return "", fmt.Errorf("listing %s in %s with %s: %w", ref.Kind, ns, ref.LabelSelector, err)
		}
		if obj, err = translator.SelectObject(list.Items, ref.Select); err != nil {
			return "", fmt.Errorf("%s in %s with %s: %w", ref.Kind, ns, ref.LabelSelector, err)
		}
	}
	return translator.ReadField(obj, ref.JSONPath)
}
