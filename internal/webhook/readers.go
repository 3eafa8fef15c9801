package webhook

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// Group kinds used in admission errors.
var (
	gkWorkflow  = schema.GroupKind{Group: drv1.GroupVersion.Group, Kind: "DRWorkflow"}
	gkPlan      = schema.GroupKind{Group: drv1.GroupVersion.Group, Kind: "DRPlan"}
	gkExecution = schema.GroupKind{Group: drv1.GroupVersion.Group, Kind: "DRPlanExecution"}

	grWorkflow = schema.GroupResource{Group: drv1.GroupVersion.Group, Resource: "drworkflows"}
	grPlan     = schema.GroupResource{Group: drv1.GroupVersion.Group, Resource: "drplans"}
)

// readers are the two ways the webhooks read the cluster: cached (the manager's informer cache) and fresh
// (straight from the API server).
type readers struct {
	cached client.Reader
	fresh  client.Reader
	// noCrossNamespaceRefs refuses plans whose workflowRefs leave the plan's namespace (Options).
	noCrossNamespaceRefs bool
}

func newReaders(cached, fresh client.Reader) readers {
	if fresh == nil {
		fresh = cached
	}
	return readers{cached: cached, fresh: fresh}
}

// getExisting reads an object from the cache and, when the cache does not have it, from the API server, so
// that a NotFound is only reported for an object that really does not exist.
func (r readers) getExisting(ctx context.Context, key types.NamespacedName, obj client.Object) error {
	err := r.cached.Get(ctx, key, obj)
	if err == nil || !apierrors.IsNotFound(err) {
		return err
	}
	return r.fresh.Get(ctx, key, obj)
}

// activeExecutions returns the names of the executions of plan that are not in a terminal phase, read
// fresh from the API server, leaving out the execution named except. An execution counts when
// plan.status.currentExecution names it or its spec.planRef is the plan, and its phase is empty (not
// picked up yet), Pending or Running. A currentExecution naming an execution that no longer exists or has
// finished is a lock the reconciler is about to release and does not count.
func (r readers) activeExecutions(ctx context.Context, plan *drv1.DRPlan, except string) ([]string, error) {
	var list drv1.DRPlanExecutionList
	if err := r.fresh.List(ctx, &list, client.InNamespace(plan.Namespace)); err != nil {
		return nil, fmt.Errorf("listing the DRPlanExecutions of namespace %s: %w", plan.Namespace, err)
	}
	seen := map[string]bool{}
	var names []string
	add := func(e *drv1.DRPlanExecution) {
		if e.Name == except || seen[e.Name] || e.Status.Phase.IsTerminal() || e.Spec.GetOperationType() == drv1.OperationPrecheck {
			return
		}
		seen[e.Name] = true
		phase := string(e.Status.Phase)
		if phase == "" {
			phase = "not started"
		}
		names = append(names, fmt.Sprintf("%s (%s)", e.Name, phase))
	}
	for i := range list.Items {
		if list.Items[i].Spec.PlanRef == plan.Name {
			add(&list.Items[i])
		}
	}
	// The lock is read fresh too: the plan the caller holds may come from the cache, which can lag the
	// reconciler's write of status.currentExecution.
	lock := &drv1.DRPlan{}
	if err := r.fresh.Get(ctx, client.ObjectKeyFromObject(plan), lock); client.IgnoreNotFound(err) != nil {
		return nil, fmt.Errorf("reading the lock of DRPlan %s/%s: %w", plan.Namespace, plan.Name, err)
	}
	if cur := lock.Status.CurrentExecution; cur != nil && cur.NamespaceOr(plan.Namespace) == plan.Namespace {
		for i := range list.Items {
			if list.Items[i].Name == cur.Name {
				add(&list.Items[i])
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// plansReferencing returns "namespace/name" of every DRPlan, in any namespace, with a stage entry whose
// workflowRef names wf, read fresh from the API server.
func (r readers) plansReferencing(ctx context.Context, wf *drv1.DRWorkflow) ([]string, error) {
	var list drv1.DRPlanList
	if err := r.fresh.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing DRPlans: %w", err)
	}
	var names []string
	for i := range list.Items {
		p := &list.Items[i]
		if p.DeletionTimestamp != nil {
			continue // going away; it no longer protects its workflows
		}
		if planReferences(p, wf.Namespace, wf.Name) {
			names = append(names, p.Namespace+"/"+p.Name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// planReferences reports whether a stage entry of p names the DRWorkflow namespace/name.
func planReferences(p *drv1.DRPlan, namespace, name string) bool {
	for _, st := range p.Spec.Stages {
		for _, e := range st.Workflows {
			if e.WorkflowRef.Name == name && e.WorkflowRef.NamespaceOr(p.Namespace) == namespace {
				return true
			}
		}
	}
	return false
}

// namespaceTerminating reports whether namespace is being deleted (read fresh). Deletion protection steps
// aside then: the namespace controller deletes everything in it, and a denial would hang the namespace.
func (r readers) namespaceTerminating(ctx context.Context, namespace string) (bool, error) {
	ns := &corev1.Namespace{}
	if err := r.fresh.Get(ctx, types.NamespacedName{Name: namespace}, ns); err != nil {
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, fmt.Errorf("reading namespace %s: %w", namespace, err)
	}
	return ns.DeletionTimestamp != nil || ns.Status.Phase == corev1.NamespaceTerminating, nil
}

// invalid turns a non-empty error list into the API server's 422 Invalid error for the object.
func invalid(gk schema.GroupKind, name string, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(gk, name, errs)
}

// joinNames joins names for a message, shortening long lists.
func joinNames(names []string) string {
	const max = 10
	if len(names) > max {
		return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
	}
	return strings.Join(names, ", ")
}
