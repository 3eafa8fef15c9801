package webhook

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// +kubebuilder:webhook:path=/validate-dr-bkbcs-tencent-com-v1alpha1-drplan,mutating=false,failurePolicy=fail,sideEffects=None,groups=dr.bkbcs.tencent.com,resources=drplans,verbs=create;update;delete,versions=v1alpha1,name=vdrplan-v1alpha1.dr.bkbcs.tencent.com,admissionReviewVersions=v1

// DRPlanValidator admits DRPlans.
//
//   - create, and updates that change the spec: translator.ValidatePlan (stage names unique, stage
//     dependsOn known, not self, acyclic, entries well formed). Structural errors deny the request.
//   - referenced DRWorkflows that do not exist produce a warning, not a denial: `kubectl apply -f dir/`
//     applies files in name order, so a plan routinely arrives before its workflows. The plan's Ready
//     condition (reconciler) and the execution webhook, which denies running a plan whose workflows are
//     missing, cover the rest.
//   - a parameter the plan sets (globalParams, a stage entry's params) that no DRWorkflow it reaches
//     declares is denied, naming the declared ones (translator.ValidateParamNames; checked over the
//     workflows that exist).
//   - delete: denied while the plan has an execution that is not in a terminal phase (status.currentExecution
//     or any DRPlanExecution whose spec.planRef is the plan); the message names them. Deleting the plan
//     under a running execution would leave its runs without the plan they came from. When the plan's
//     namespace is being deleted, the delete is allowed.
type DRPlanValidator struct {
	readers
}

var _ admission.Validator[*drv1.DRPlan] = &DRPlanValidator{}

// ValidateCreate validates a new DRPlan.
func (v *DRPlanValidator) ValidateCreate(ctx context.Context, plan *drv1.DRPlan) (admission.Warnings, error) {
	return v.validate(ctx, plan)
}

// ValidateUpdate validates a changed DRPlan spec.
func (v *DRPlanValidator) ValidateUpdate(ctx context.Context, oldPlan, plan *drv1.DRPlan) (admission.Warnings, error) {
	if equality.Semantic.DeepEqual(oldPlan.Spec, plan.Spec) {
		return nil, nil
	}
	return v.validate(ctx, plan)
}

func (v *DRPlanValidator) validate(ctx context.Context, plan *drv1.DRPlan) (admission.Warnings, error) {
	if err := invalid(gkPlan, plan.Name, sizeErrors("DRPlan", plan)); err != nil {
		return nil, err
	}
	errs := translator.ValidatePlan(plan)
	if v.noCrossNamespaceRefs {
		errs = append(errs, plan.CrossNamespaceRefErrors()...)
	}
	if err := invalid(gkPlan, plan.Name, errs); err != nil {
		return nil, err
	}
	warnings, workflowOf := v.workflowWarnings(ctx, plan)
	if err := invalid(gkPlan, plan.Name, translator.ValidateParamNames(plan, workflowOf, nil)); err != nil {
		return nil, err
	}
	return warnings, nil
}

// workflowWarnings warns about stage entries whose DRWorkflow does not exist (or cannot be read), and about
// entries whose parameters do not resolve from the plan alone (a required one nobody sets, a value of the
// wrong type): every execution would then have to supply them, or is rejected. It also returns the
// DRWorkflow of each entry (nil when it could not be read), for translator.ValidateParamNames.
func (v *DRPlanValidator) workflowWarnings(ctx context.Context, plan *drv1.DRPlan) (admission.Warnings, func(i, j int) *drv1.DRWorkflow) {
	var warnings admission.Warnings
	workflows := map[types.NamespacedName]*drv1.DRWorkflow{}
	byEntry := map[[2]int]*drv1.DRWorkflow{}
	for i, st := range plan.Spec.Stages {
		for j, e := range st.Workflows {
			key := types.NamespacedName{Namespace: e.WorkflowRef.NamespaceOr(plan.Namespace), Name: e.WorkflowRef.Name}
			entry := field.NewPath("spec", "stages").Index(i).Child("workflows").Index(j)
			wf, seen := workflows[key]
			if !seen {
				wf = &drv1.DRWorkflow{}
				err := v.getExisting(ctx, key, wf)
				switch {
				case err == nil:
				case apierrors.IsNotFound(err):
					wf = nil
					warnings = append(warnings, fmt.Sprintf("%s: DRWorkflow %s does not exist (yet); "+
						"executions of this plan are rejected until it does", entry.Child("workflowRef"), key))
				default:
					wf = nil
					warnings = append(warnings, fmt.Sprintf("%s: could not check DRWorkflow %s: %v", entry.Child("workflowRef"), key, err))
				}
				workflows[key] = wf
			}
			if wf == nil {
				continue
			}
			byEntry[[2]int{i, j}] = wf
			_, perrs := translator.ResolveParams(wf, plan, i, j, nil)
			for _, pe := range perrs {
				warnings = append(warnings, fmt.Sprintf("%s (DRWorkflow %s): %s; every execution of this plan must set it in spec.params",
					entry, key, pe.Error()))
			}
		}
	}
	return warnings, func(i, j int) *drv1.DRWorkflow { return byEntry[[2]int{i, j}] }
}

// ValidateDelete denies deleting a DRPlan that has an execution in flight.
func (v *DRPlanValidator) ValidateDelete(ctx context.Context, plan *drv1.DRPlan) (admission.Warnings, error) {
	if terminating, err := v.namespaceTerminating(ctx, plan.Namespace); err != nil || terminating {
		return nil, err // its executions are being deleted too
	}
	active, err := v.activeExecutions(ctx, plan, "")
	if err != nil {
		return nil, err
	}
	if len(active) == 0 {
		return nil, nil
	}
	return nil, apierrors.NewForbidden(grPlan, plan.Name, fmt.Errorf(
		"DRPlan %s/%s has executions that have not finished: %s; wait for them to finish or cancel them "+
			"(annotation %s=true) first", plan.Namespace, plan.Name, joinNames(active), drv1.AnnotationCancel))
}
