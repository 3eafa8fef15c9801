package webhook

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/precheck"
	"github.com/drplan/drplan-operator/translator"
)

// +kubebuilder:webhook:path=/validate-dr-bkbcs-tencent-com-v1alpha1-drplanexecution,mutating=false,failurePolicy=fail,sideEffects=None,groups=dr.bkbcs.tencent.com,resources=drplanexecutions,verbs=create;update,versions=v1alpha1,name=vdrplanexecution-v1alpha1.dr.bkbcs.tencent.com,admissionReviewVersions=v1

// DRPlanExecutionValidator admits DRPlanExecutions.
//
// On create:
//   - spec.planRef names a DRPlan of the execution's namespace that exists, is not being deleted and is
//     structurally valid.
//   - One execution per plan: denied while the plan has another execution that is not in a terminal phase
//     (read fresh). The reconciler's lock on status.currentExecution stays the final guard against races.
//   - Execute: every stage entry's DRWorkflow exists and is valid, and its parameters resolve (workflow defaults < plan
//     globalParams < entry params < execution params): every required parameter has a value and every value
//     fits its declared type. All offenders are reported at once, each naming the stage, entry, workflow and
//     parameter. When they resolve, each entry is rendered as the run will render it (translator.BuildForward):
//     a template naming a parameter nobody declares or sets, or a when that does not render to true or false,
//     is refused here, naming the workflow's field, instead of failing the run.
//   - Precheck: validated as an Execute (workflows, parameters, rendering), without the one-execution rule: a
//     Precheck takes no lock, so it neither waits for a run nor blocks one.
//   - Execute of a plan with spec.requirePrecheck: the plan's lastPrecheck ended Succeeded for the plan's
//     current generation and the current generations of its DRWorkflows (read fresh).
//   - The execution is at most MaxObjectBytes as JSON.
//   - Revert: spec.revertExecutionRef names an execution of the same namespace that exists, is an Execute
//     of the same plan and ended Succeeded or Failed (read fresh). spec.params of a Revert are ignored (the
//     revert uses the target's recorded params) and draw a warning.
//
// On update the spec is immutable (the CRD says so as well; this is the same rule with a message naming the
// fields that changed). Metadata changes, such as the cancel annotation, are allowed; the pause annotation, on
// create and update, must be "true" or "false".
type DRPlanExecutionValidator struct {
	readers
}

var _ admission.Validator[*drv1.DRPlanExecution] = &DRPlanExecutionValidator{}

var (
	specPath         = field.NewPath("spec")
	planRefPath      = specPath.Child("planRef")
	revertTargetPath = specPath.Child("revertExecutionRef")
)

// ValidateCreate validates a new DRPlanExecution.
func (v *DRPlanExecutionValidator) ValidateCreate(ctx context.Context, ex *drv1.DRPlanExecution) (admission.Warnings, error) {
	if err := invalid(gkExecution, ex.Name, sizeErrors("DRPlanExecution", ex)); err != nil {
		return nil, err
	}
	plan := &drv1.DRPlan{}
	err := v.getExisting(ctx, types.NamespacedName{Namespace: ex.Namespace, Name: ex.Spec.PlanRef}, plan)
	if apierrors.IsNotFound(err) {
		return nil, invalid(gkExecution, ex.Name, field.ErrorList{field.Invalid(planRefPath, ex.Spec.PlanRef,
			fmt.Sprintf("DRPlan %s/%s does not exist", ex.Namespace, ex.Spec.PlanRef))})
	}
	if err != nil {
		return nil, err
	}
	if plan.DeletionTimestamp != nil {
		return nil, invalid(gkExecution, ex.Name, field.ErrorList{field.Invalid(planRefPath, ex.Spec.PlanRef,
			fmt.Sprintf("DRPlan %s/%s is being deleted", ex.Namespace, ex.Spec.PlanRef))})
	}
	if errs := translator.ValidatePlan(plan); len(errs) > 0 {
		return nil, invalid(gkExecution, ex.Name, field.ErrorList{field.Invalid(planRefPath, ex.Spec.PlanRef,
			fmt.Sprintf("DRPlan %s/%s is invalid: %s", plan.Namespace, plan.Name, errs.ToAggregate()))})
	}

	if v.noCrossNamespaceRefs {
		if errs := plan.CrossNamespaceRefErrors(); len(errs) > 0 {
			return nil, invalid(gkExecution, ex.Name, field.ErrorList{field.Invalid(planRefPath, ex.Spec.PlanRef,
				fmt.Sprintf("DRPlan %s/%s: %s", plan.Namespace, plan.Name, errs.ToAggregate()))})
		}
	}
	errs := pauseErrors(ex)
	var active []string
	if ex.Spec.GetOperationType() != drv1.OperationPrecheck { // a Precheck takes no lock and waits for nobody
		if active, err = v.activeExecutions(ctx, plan, ex.Name); err != nil {
			return nil, err
		}
	}
	if ex.Spec.GetOperationType() == drv1.OperationExecute && plan.Spec.RequirePrecheck {
		// Read fresh: the cached plan can lag the write of status.lastPrecheck.
		latest := &drv1.DRPlan{}
		if err := v.fresh.Get(ctx, types.NamespacedName{Namespace: plan.Namespace, Name: plan.Name}, latest); err != nil {
			return nil, err
		}
		current, err := precheck.WorkflowGenerations(ctx, v.fresh, latest)
		if err != nil {
			return nil, err
		}
		if msg := drv1.PrecheckMissing(latest, current); msg != "" {
			errs = append(errs, field.Forbidden(planRefPath, msg))
		}
	}
	if len(active) > 0 {
		errs = append(errs, field.Forbidden(planRefPath, fmt.Sprintf(
			"DRPlan %s/%s already has an execution in flight: %s; only one execution of a plan may run at a time",
			plan.Namespace, plan.Name, joinNames(active))))
	}

	var warnings admission.Warnings
	var opErrs field.ErrorList
	if ex.Spec.GetOperationType() == drv1.OperationRevert {
		warnings, opErrs, err = v.validateRevert(ctx, ex)
	} else {
		opErrs, err = v.validateExecute(ctx, ex, plan)
	}
	if err != nil {
		return warnings, err
	}
	return warnings, invalid(gkExecution, ex.Name, append(errs, opErrs...))
}

// validateRevert checks the revert target.
func (v *DRPlanExecutionValidator) validateRevert(ctx context.Context, ex *drv1.DRPlanExecution) (admission.Warnings, field.ErrorList, error) {
	var warnings admission.Warnings
	if len(ex.Spec.Params) > 0 {
		warnings = append(warnings, "spec.params: ignored by a Revert, which uses the parameters recorded by the execution it reverts")
	}
	ref := ex.Spec.RevertExecutionRef
	if ref == "" {
		return warnings, field.ErrorList{field.Required(revertTargetPath, "a Revert must name the Execute run it reverts")}, nil
	}
	if ref == ex.Name {
		return warnings, field.ErrorList{field.Invalid(revertTargetPath, ref, "a Revert cannot revert itself")}, nil
	}
	target := &drv1.DRPlanExecution{}
	err := v.fresh.Get(ctx, types.NamespacedName{Namespace: ex.Namespace, Name: ref}, target)
	if apierrors.IsNotFound(err) {
		return warnings, field.ErrorList{field.Invalid(revertTargetPath, ref,
			fmt.Sprintf("DRPlanExecution %s/%s does not exist", ex.Namespace, ref))}, nil
	}
	if err != nil {
		return warnings, nil, err
	}
	var errs field.ErrorList
	if target.Spec.PlanRef != ex.Spec.PlanRef {
		errs = append(errs, field.Invalid(revertTargetPath, ref, fmt.Sprintf(
			"DRPlanExecution %s belongs to DRPlan %s, not %s; only an execution of the same plan can be reverted",
			ref, target.Spec.PlanRef, ex.Spec.PlanRef)))
	}
	if op := target.Spec.GetOperationType(); op != drv1.OperationExecute {
		errs = append(errs, field.Invalid(revertTargetPath, ref, fmt.Sprintf(
			"DRPlanExecution %s is a %s; only an Execute can be reverted", ref, op)))
	}
	if p := target.Status.Phase; p != drv1.ExecutionSucceeded && p != drv1.ExecutionFailed {
		if p == "" {
			p = "not started"
		}
		errs = append(errs, field.Invalid(revertTargetPath, ref, fmt.Sprintf(
			"DRPlanExecution %s is %s; only an execution that ended Succeeded or Failed can be reverted", ref, p)))
	}
	return warnings, errs, nil
}

// validateExecute checks that every stage entry's workflow exists, is valid, and its parameters resolve.
func (v *DRPlanExecutionValidator) validateExecute(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan) (field.ErrorList, error) {
	var errs field.ErrorList
	// Each referenced workflow is read and validated once; problem is "" for a usable one.
	type lookup struct {
		wf      *drv1.DRWorkflow
		problem string
	}
	workflows := map[types.NamespacedName]lookup{}
	byEntry := map[[2]int]*drv1.DRWorkflow{}
	for i, st := range plan.Spec.Stages {
		for j, e := range st.Workflows {
			key := types.NamespacedName{Namespace: e.WorkflowRef.NamespaceOr(plan.Namespace), Name: e.WorkflowRef.Name}
			where := fmt.Sprintf("stage %s, workflow entry %d (DRWorkflow %s)", st.Name, j, key)
			l, seen := workflows[key]
			if !seen {
				l.wf = &drv1.DRWorkflow{}
				err := v.getExisting(ctx, key, l.wf)
				switch {
				case apierrors.IsNotFound(err):
					l.problem = "the DRWorkflow does not exist"
				case err != nil:
					return nil, err
				default:
					// Stored while the webhook was off, or valid under an older operator.
					if werrs := translator.ValidateWorkflow(l.wf); len(werrs) > 0 {
						l.problem = "the DRWorkflow is invalid: " + werrs.ToAggregate().Error()
					}
				}
				workflows[key] = l
			}
			if l.problem != "" {
				errs = append(errs, field.Invalid(planRefPath, ex.Spec.PlanRef, where+": "+l.problem))
				continue
			}
			byEntry[[2]int{i, j}] = l.wf
			errs = append(errs, entryParamErrors(l.wf, plan, i, j, ex, where)...)
		}
	}
	// A name no workflow of the plan declares is a typo: the execution's own are reported here, the plan's
	// by its admission and Ready condition.
	for _, fe := range translator.ValidateParamNames(plan, func(i, j int) *drv1.DRWorkflow { return byEntry[[2]int{i, j}] }, ex) {
		if strings.HasPrefix(fe.Field, "spec.params") {
			errs = append(errs, fe)
		}
	}
	return errs, nil
}

// ValidateUpdate keeps the spec immutable.
func (v *DRPlanExecutionValidator) ValidateUpdate(_ context.Context, oldEx, ex *drv1.DRPlanExecution) (admission.Warnings, error) {
	o, n := oldEx.Spec, ex.Spec
	errs := pauseErrors(ex)
	const msg = "field is immutable: the spec of a DRPlanExecution cannot change; create a new execution instead"
	if o.PlanRef != n.PlanRef {
		errs = append(errs, field.Forbidden(planRefPath, msg))
	}
	if o.GetOperationType() != n.GetOperationType() {
		errs = append(errs, field.Forbidden(specPath.Child("operationType"), msg))
	}
	if o.RevertExecutionRef != n.RevertExecutionRef {
		errs = append(errs, field.Forbidden(revertTargetPath, msg))
	}
	if !equality.Semantic.DeepEqual(o.Params, n.Params) && (len(o.Params) > 0 || len(n.Params) > 0) {
		errs = append(errs, field.Forbidden(specPath.Child("params"), msg))
	}
	return nil, invalid(gkExecution, ex.Name, errs)
}

// ValidateDelete allows every delete: the execution's finalizer stops its runs.
func (v *DRPlanExecutionValidator) ValidateDelete(context.Context, *drv1.DRPlanExecution) (admission.Warnings, error) {
	return nil, nil
}
