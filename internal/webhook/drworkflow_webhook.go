package webhook

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// +kubebuilder:webhook:path=/validate-dr-bkbcs-tencent-com-v1alpha1-drworkflow,mutating=false,failurePolicy=fail,sideEffects=None,groups=dr.bkbcs.tencent.com,resources=drworkflows,verbs=create;update;delete,versions=v1alpha1,name=vdrworkflow-v1alpha1.dr.bkbcs.tencent.com,admissionReviewVersions=v1

// DRWorkflowValidator admits DRWorkflows.
//
//   - create, and updates that change the spec: translator.ValidateWorkflow (action names, dependencies and
//     cycles, config blocks, templates, Argo placeholders in user text, Patch without a rollback, ...).
//     A workflow (and a plan) larger than MaxObjectBytes as JSON is refused before anything else, with a
//     message saying so, rather than by etcd's "request is too large".
//     Updates that leave the spec alone (labels, finalizers) are always allowed, so an object stored while
//     the webhook was off can still be cleaned up.
//   - delete: denied while any DRPlan in any namespace references the workflow; the message names the
//     plans. Plans being deleted do not count, and a workflow whose namespace is being deleted may go.
type DRWorkflowValidator struct {
	readers
}

var _ admission.Validator[*drv1.DRWorkflow] = &DRWorkflowValidator{}

// ValidateCreate validates a new DRWorkflow.
func (v *DRWorkflowValidator) ValidateCreate(_ context.Context, wf *drv1.DRWorkflow) (admission.Warnings, error) {
	return nil, invalid(gkWorkflow, wf.Name, validateWorkflow(wf))
}

// ValidateUpdate validates a changed DRWorkflow spec.
func (v *DRWorkflowValidator) ValidateUpdate(_ context.Context, oldWF, wf *drv1.DRWorkflow) (admission.Warnings, error) {
	if equality.Semantic.DeepEqual(oldWF.Spec, wf.Spec) {
		return nil, nil
	}
	return nil, invalid(gkWorkflow, wf.Name, validateWorkflow(wf))
}

// validateWorkflow is the size bound, then (for an object that fits) translator.ValidateWorkflow.
func validateWorkflow(wf *drv1.DRWorkflow) field.ErrorList {
	if errs := sizeErrors("DRWorkflow", wf); len(errs) > 0 {
		return errs
	}
	return translator.ValidateWorkflow(wf)
}

// ValidateDelete denies deleting a DRWorkflow that a DRPlan still references.
func (v *DRWorkflowValidator) ValidateDelete(ctx context.Context, wf *drv1.DRWorkflow) (admission.Warnings, error) {
	if terminating, err := v.namespaceTerminating(ctx, wf.Namespace); err != nil || terminating {
		return nil, err
	}
	plans, err := v.plansReferencing(ctx, wf)
	if err != nil {
		return nil, err
	}
	if len(plans) == 0 {
		return nil, nil
	}
	kind, them := "DRPlan", "that plan (or delete it)"
	if len(plans) > 1 {
		kind, them = "DRPlans", "those plans (or delete them)"
	}
	return nil, apierrors.NewForbidden(grWorkflow, wf.Name, fmt.Errorf(
		"DRWorkflow %s/%s is referenced by %s %s; remove it from %s first",
		wf.Namespace, wf.Name, kind, joinNames(plans), them))
}
