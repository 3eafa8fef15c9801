package translator

import (
	"math"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Pass 4, the forward IR: validate the workflow (pass 1) and, action by action, render it (pass 3) and turn
// the rendered config into the request the engines send (requests.go).

// BuildForward validates and renders in.Workflow into the forward run. Actions without any dependsOn in the
// workflow run one after another in list order; otherwise they form the declared DAG. A `when` on params or
// mode is evaluated here: false marks the action Skipped (it stays in the IR); one that reads the results of
// earlier actions becomes the action's run-time condition (Action.When).
func BuildForward(in Input) (*IR, error) {
	ir, r, err := startBuild(&in, false, nil)
	if err != nil {
		return nil, err
	}
	wf := in.Workflow
	actionsPath := field.NewPath("spec", "actions")
	sequential := wf.Spec.IsSequential()
	var errs field.ErrorList
	ir.Actions = make([]Action, 0, len(wf.Spec.Actions))
	for i := range wf.Spec.Actions {
		a := &wf.Spec.Actions[i]
		p := actionsPath.Index(i)
		act, aerrs := buildAction(r, ir, a.Name, &a.ActionBody, p)
		errs = append(errs, aerrs...)
		switch {
		case isRuntimeWhen(a.When):
			cond, reason := parseCondition(a.When, conditionScope{
				readable: readableBy(wf.Spec.Actions, wf.Spec.GetExecutorType(), i),
				params:   r.param,
			})
			if reason != "" {
				errs = append(errs, field.Invalid(p.Child("when"), a.When, reason))
			}
			act.When = cond
		case a.When != "":
			run, werr := r.renderWhen(p.Child("when"), a.When)
			if werr != nil {
				errs = append(errs, werr)
			}
			if !run {
				act.Skipped = true
				act.SkipReason = "when rendered false"
			}
		}
		switch {
		case sequential && i > 0:
			act.DependsOn = []string{wf.Spec.Actions[i-1].Name}
		case !sequential && len(a.DependsOn) > 0:
			act.DependsOn = append([]string(nil), a.DependsOn...)
		}
		ir.Actions = append(ir.Actions, act)
	}
	if len(errs) > 0 {
		return nil, &compileError{object: workflowObject(wf), errs: errs}
	}
	return ir, nil
}

// startBuild validates the input and prepares the IR shell and the renderer for either direction; reverted
// (the reverse run's source statuses) supplies .outputs to templates.
func startBuild(in *Input, reverse bool, reverted []v1alpha1.ActionStatus) (*IR, *renderer, error) {
	if in.Workflow == nil {
		return nil, nil, errNoWorkflow
	}
	in.Workflow = withDefaults(in.Workflow)
	errs := validateWorkflow(in.Workflow)
	errs = append(errs, validateArgoNamespace(in.Workflow, in.Namespace)...)
	if len(errs) > 0 {
		return nil, nil, &compileError{object: workflowObject(in.Workflow), errs: errs}
	}
	r, err := newRenderer(in, reverted)
	if err != nil {
		return nil, nil, err
	}
	return newIR(in, reverse), r, nil
}

// newIR fills in the run's identity.
func newIR(in *Input, reverse bool) *IR {
	op := in.Operation
	if op == "" {
		op = v1alpha1.OperationExecute
	}
	spec := &in.Workflow.Spec
	ir := &IR{
		Namespace:          in.Namespace,
		PlanName:           in.PlanName,
		ExecutionName:      in.ExecutionName,
		StageName:          in.StageName,
		EntryIndex:         in.EntryIndex,
		ExecutionUID:       in.ExecutionUID,
		WorkflowName:       in.Workflow.Name,
		Operation:          op,
		Reverse:            reverse,
		FailurePolicy:      spec.GetFailurePolicy(),
		ServiceAccountName: spec.GetServiceAccountName(),
		Owner:              in.Owner.DeepCopy(),
		Params:             append([]v1alpha1.ParamValue(nil), in.Params...),
	}
	if spec.Executor != nil && spec.Executor.ArgoOptions != nil {
		ir.ArgoOptions = spec.Executor.ArgoOptions.DeepCopy()
	}
	return ir
}

// buildAction renders one action (or rollback) body at path into an IR action.
func buildAction(r *renderer, ir *IR, name string, body *v1alpha1.ActionBody, path *field.Path) (Action, field.ErrorList) {
	act := Action{Name: name, Type: body.Type, Timeout: body.GetTimeout(), Retry: retryOf(body.RetryPolicy)}
	rendered, errs := r.renderBody(body, path)
	if len(errs) > 0 {
		return act, errs
	}
	b := rendered.body
	switch body.Type {
	case v1alpha1.ActionTypeHTTP:
		act.HTTP = httpRequest(b.HTTP, idempotencyKey(ir, name))
	case v1alpha1.ActionTypeJob:
		act.Resource = jobRequest(b.Job, rendered.spec, ir, name)
		// A retried attempt gets a Job of its own: re-attaching to the failed one would fail at once.
		act.Resource.PerAttempt = act.Retry.Limit > 0
	case v1alpha1.ActionTypeLocalization:
		l := b.Localization
		act.Resource = clusternetRequest(KindLocalization, l.Operation, l.Name, l.Namespace, rendered.spec, OutputRefLocalization)
	case v1alpha1.ActionTypeSubscription:
		s := b.Subscription
		act.Resource = clusternetRequest(KindSubscription, v1alpha1.ResourceOperation(s.Operation), s.Name, s.Namespace, rendered.spec, OutputRefSubscription)
		if s.WaitReady && s.Operation != v1alpha1.SubscriptionOperation(v1alpha1.OperationDelete) {
			act.Resource.WaitFor = WaitSubscriptionBound
		}
	case v1alpha1.ActionTypeGlobalization:
		g := b.Globalization
		act.Resource = clusternetRequest(KindGlobalization, g.Operation, g.Name, "", rendered.spec, OutputRefGlobalization)
	case v1alpha1.ActionTypeApproval:
		act.Approval = approvalRequest(b, b.Approval.Message)
		act.Timeout = act.Approval.Timeout // no default: a person is not timed unless the plan says so
	case v1alpha1.ActionTypeKubernetesResource:
		req, err := manifestRequest(b.Resource, path.Child("resource", "manifest"))
		if err != nil {
			return act, field.ErrorList{err}
		}
		act.Resource = req
	}
	return act, nil
}

func retryOf(p *v1alpha1.RetryPolicy) Retry {
	if p == nil {
		return Retry{BackoffFactor: 1}
	}
	// Validated: parses, finite, >= 1.
	f, err := strconv.ParseFloat(p.GetBackoffMultiplier(), 64)
	if err != nil || math.IsNaN(f) || f < 1 {
		f = 1
	}
	return Retry{Limit: p.Limit, Interval: p.GetInterval(), BackoffFactor: f}
}

// idempotencyKey is "<execution uid>/<workflow>/<action>" (DESIGN.md section 3).
func idempotencyKey(ir *IR, action string) string {
	return string(ir.ExecutionUID) + "/" + ir.WorkflowName + "/" + action
}
