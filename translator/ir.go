package translator

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Input is everything one compiled run depends on. It is plain data: the caller looks objects up.
type Input struct {
	// Workflow is the DRWorkflow to compile. It is validated again here.
	Workflow *v1alpha1.DRWorkflow
	// Params are the resolved parameters (ResolveParams; for a revert, the reverted run's recorded params).
	Params []v1alpha1.ParamValue
	// Namespace of the execution: the Argo Workflow and default Job namespace.
	Namespace string
	// PlanName, ExecutionName and StageName identify the run; they are template data and labels.
	PlanName      string
	ExecutionName string
	StageName     string
	// EntryIndex is the workflow entry's index in its stage (two entries may run the same DRWorkflow).
	EntryIndex int
	// ExecutionUID keys the idempotency header of HTTP calls.
	ExecutionUID types.UID
	// Operation is the execution's operation (template data .operation); empty means Execute.
	Operation v1alpha1.OperationType
	// Owner, when set, becomes the owner reference of the compiled Argo Workflow (the DRPlanExecution).
	Owner *metav1.OwnerReference
}

// IR is a validated, rendered run of one workflow entry in one direction: what both engines execute.
type IR struct {
	Namespace     string
	PlanName      string
	ExecutionName string
	StageName     string
	EntryIndex    int
	ExecutionUID  types.UID
	// WorkflowName is the DRWorkflow's name.
	WorkflowName string
	Operation    v1alpha1.OperationType
	// Reverse is true for a rollback/revert run.
	Reverse bool
	// FailurePolicy of the workflow: FailFast or Continue.
	FailurePolicy v1alpha1.WorkflowFailurePolicy
	// ServiceAccountName runs every action (Argo: the Workflow's SA; native: impersonated).
	ServiceAccountName string
	// ArgoOptions are the workflow's Argo tunables (TTL, pod GC); nil when unset.
	ArgoOptions *v1alpha1.ArgoOptions
	Owner       *metav1.OwnerReference
	Params      []v1alpha1.ParamValue
	// Actions in workflow order (forward) or reverse topological order (reverse). Engines follow DependsOn,
	// not list position.
	Actions []Action
}

// Action is one rendered step. Exactly one of HTTP and Resource is set, unless Skipped with no config (an
// action without an inverse in a reverse run).
type Action struct {
	// Name is the action's name; in a reverse run, the rollback action's name, or the reverted action's own
	// name for an automatic inverse.
	Name string
	// Reverts names the forward action this one undoes (reverse runs only).
	Reverts string
	Type    v1alpha1.ActionType
	// DependsOn names actions of this IR that must end Succeeded or Skipped first.
	DependsOn []string
	// Skipped actions are not run and count as satisfied dependencies; SkipReason says why.
	Skipped    bool
	SkipReason string
	// Timeout bounds one attempt.
	Timeout time.Duration
	Retry   Retry
	HTTP    *HTTPRequest
	// Resource is set for Job, Localization, Subscription and KubernetesResource actions and automatic inverses.
	Resource *ResourceRequest
}

// Retry is a resolved retry policy: Limit retries after the first attempt, waiting Interval, then
// Interval*BackoffFactor^n.
type Retry struct {
	Limit         int32
	Interval      time.Duration
	BackoffFactor float64
}

// HTTPRequest is a rendered HTTP call.
type HTTPRequest struct {
	Method string
	URL    string
	// Headers sorted by name: plain values, Secret references and the idempotency header.
	Headers            []HTTPHeader
	Body               string
	SuccessCodes       []int32
	InsecureSkipVerify bool
}

// HTTPHeader has a Value or, for secrets, a SecretKeyRef read at run time (never a value).
type HTTPHeader struct {
	Name         string
	Value        string
	SecretKeyRef *corev1.SecretKeySelector
}

// WaitFor is what a resource action waits for after its API call.
type WaitFor string

const (
	// WaitNone: the API call is the whole action.
	WaitNone WaitFor = ""
	// WaitJobComplete: a Job succeeded (status.succeeded > 0); it failed once status.failed > JobBackoffLimit.
	WaitJobComplete WaitFor = "JobComplete"
	// WaitSubscriptionBound: a Clusternet Subscription has at least one entry in status.bindingClusters.
	WaitSubscriptionBound WaitFor = "SubscriptionBound"
)

// ResourceRequest is a rendered API call on one object.
type ResourceRequest struct {
	// Operation is Create, Apply, Patch (JSON merge patch) or Delete.
	Operation  v1alpha1.ResourceOperation
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// Object is the manifest sent (for Patch, the merge patch; for Delete, only the identity). It is
	// read-only: actions whose specs render alike share those parts of their objects (copying them cost
	// a fifth of a large compile), so a consumer that changes an object changes a deep copy.
	Object  map[string]any
	WaitFor WaitFor
	// JobBackoffLimit is the Job's backoffLimit (WaitJobComplete).
	JobBackoffLimit int32
	// Propagation of a Delete (Background for Jobs so their pods go too); empty means the server default.
	Propagation metav1.DeletionPropagation
	// OutputRef says which ActionOutputs field the object is recorded in: jobRef, localizationRef,
	// subscriptionRef or resourceRef.
	OutputRef string
}

// Output reference field names (ActionOutputs JSON names).
const (
	OutputRefJob          = "jobRef"
	OutputRefLocalization = "localizationRef"
	OutputRefSubscription = "subscriptionRef"
	OutputRefResource     = "resourceRef"
)

// Clusternet and Job API identities.
const (
	ClusternetAPIVersion = "apps.clusternet.io/v1alpha1"
	KindLocalization     = "Localization"
	KindSubscription     = "Subscription"
	JobAPIVersion        = "batch/v1"
	KindJob              = "Job"
	// defaultJobBackoffLimit is Kubernetes' default spec.backoffLimit.
	defaultJobBackoffLimit = 6
)

var errNoWorkflow = errors.New("translator: Input.Workflow is nil")

// compileError wraps a field.ErrorList with the object it is about.
type compileError struct {
	object string
	errs   field.ErrorList
}

func (e *compileError) Error() string {
	return fmt.Sprintf("%s: %v", e.object, e.errs.ToAggregate())
}

// FieldErrors returns the problems behind an error from BuildForward, BuildReverse or Compile, if any.
func FieldErrors(err error) field.ErrorList {
	if ce, ok := err.(*compileError); ok {
		return ce.errs
	}
	return nil
}

func workflowObject(wf *v1alpha1.DRWorkflow) string {
	return fmt.Sprintf("DRWorkflow %s/%s", wf.Namespace, wf.Name)
}

// BuildForward validates and renders in.Workflow into the forward run. Actions without any dependsOn in the
// workflow run one after another in list order; otherwise they form the declared DAG. `when` is evaluated
// here: false marks the action Skipped (it stays in the IR).
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
		// The action's path is built only for an error: it costs allocations, per action.
		at := func() *field.Path { return actionsPath.Index(i) }
		act, aerrs := buildAction(r, ir, &in, a.Name, &a.ActionBody, at)
		errs = append(errs, aerrs...)
		if a.When != "" {
			run, werr := r.renderWhen(at().Child("when"), a.When)
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

// startBuild checks the input and prepares the IR shell and the renderer, sharing one compile cache, for either
// direction; reverted (the reverse run's source statuses) supplies .outputs to templates.
func startBuild(in *Input, reverse bool, reverted []v1alpha1.ActionStatus) (*IR, *renderer, error) {
	if in.Workflow == nil {
		return nil, nil, errNoWorkflow
	}
	cache := newCompileCache(len(in.Workflow.Spec.Actions))
	ir, err := newIR(in, reverse, cache)
	if err != nil {
		return nil, nil, err
	}
	r, err := newRenderer(in, reverted, cache)
	if err != nil {
		return nil, nil, err
	}
	return ir, r, nil
}

// BuildReverse builds the run that undoes a forward run of in.Workflow, given that run's action statuses
// (reverted). Only Succeeded actions are undone: by their rollback action when defined, else by the
// automatic inverse (DESIGN.md section 4): Job -> delete the Job; Localization, Subscription and
// KubernetesResource -> delete the object when the action created it (Create; Apply only when its outputs
// say created); HTTP, Delete and an Apply not known to have created -> kept as Skipped. If B depended on A
// (directly or through actions that are not undone), B's undo runs before A's; independent undos run in
// parallel. Rendering uses in.Params (the reverted run's params) and .outputs of the reverted run.
func BuildReverse(in Input, reverted []v1alpha1.ActionStatus) (*IR, error) {
	ir, r, err := startBuild(&in, true, reverted)
	if err != nil {
		return nil, err
	}
	wf := in.Workflow
	statusByName := make(map[string]*v1alpha1.ActionStatus, len(reverted))
	for i := range reverted {
		statusByName[reverted[i].Name] = &reverted[i]
	}
	forward := forwardGraph(wf)
	undo := make([]bool, len(wf.Spec.Actions))
	for i := range wf.Spec.Actions {
		if st, ok := statusByName[wf.Spec.Actions[i].Name]; ok && st.Phase == v1alpha1.ActionSucceeded {
			undo[i] = true
		}
	}
	actionsPath := field.NewPath("spec", "actions")
	var errs field.ErrorList
	built := make([]*Action, len(wf.Spec.Actions))
	for i := range wf.Spec.Actions {
		if !undo[i] {
			continue
		}
		a := &wf.Spec.Actions[i]
		at := func() *field.Path { return actionsPath.Index(i) }
		var act Action
		var aerrs field.ErrorList
		if a.Rollback != nil {
			act, aerrs = buildAction(r, ir, &in, a.Rollback.Name, &a.Rollback.ActionBody, func() *field.Path { return at().Child("rollback") })
		} else {
			act, aerrs = buildInverse(r, ir, &in, a, statusByName[a.Name].Outputs, at)
		}
		act.Reverts = a.Name
		errs = append(errs, aerrs...)
		built[i] = &act
	}
	if len(errs) > 0 {
		return nil, &compileError{object: workflowObject(wf), errs: errs}
	}
	// Undo of i waits for the undo of every nearest undone dependent of i.
	dependents := make([][]int, len(wf.Spec.Actions))
	for i, ds := range forward.deps {
		for _, d := range ds {
			dependents[d] = append(dependents[d], i)
		}
	}
	order, ok := forward.topologicalOrder()
	if !ok {
		return nil, &compileError{object: workflowObject(wf), errs: field.ErrorList{field.Invalid(actionsPath, field.OmitValueType{}, "dependency cycle")}}
	}
	for k := len(order) - 1; k >= 0; k-- {
		i := order[k]
		if !undo[i] {
			continue
		}
		act := built[i]
		act.DependsOn = nearestUndone(i, dependents, undo, func(j int) string { return built[j].Name })
		ir.Actions = append(ir.Actions, *act)
	}
	return ir, nil
}

// nearestUndone walks the forward dependents of i and returns, in source order, the names of the first undone
// action on every path (an action that is not undone passes the ordering through).
func nearestUndone(i int, dependents [][]int, undo []bool, name func(int) string) []string {
	seen := make(map[int]bool)
	var found []int
	var walk func(n int)
	walk = func(n int) {
		for _, d := range dependents[n] {
			if seen[d] {
				continue
			}
			seen[d] = true
			if undo[d] {
				found = append(found, d)
				continue
			}
			walk(d)
		}
	}
	walk(i)
	if len(found) == 0 {
		return nil
	}
	sort.Ints(found)
	names := make([]string, len(found))
	for k, j := range found {
		names[k] = name(j)
	}
	return names
}

// forwardGraph is the forward dependency graph: the declared DAG, or a chain in list order when no action
// has dependsOn.
func forwardGraph(wf *v1alpha1.DRWorkflow) dependencyGraph {
	n := len(wf.Spec.Actions)
	g := dependencyGraph{names: make([]string, n), deps: make([][]int, n)}
	index := make(map[string]int, n)
	for i := range wf.Spec.Actions {
		g.names[i] = wf.Spec.Actions[i].Name
		index[g.names[i]] = i
	}
	sequential := wf.Spec.IsSequential()
	for i := range wf.Spec.Actions {
		if sequential {
			if i > 0 {
				g.deps[i] = []int{i - 1}
			}
			continue
		}
		for _, d := range wf.Spec.Actions[i].DependsOn {
			if j, ok := index[d]; ok {
				g.deps[i] = append(g.deps[i], j)
			}
		}
	}
	return g
}

// newIR validates the workflow and fills in the run's identity.
func newIR(in *Input, reverse bool, cache *compileCache) (*IR, error) {
	if errs := validateWorkflow(in.Workflow, cache); len(errs) > 0 {
		return nil, &compileError{object: workflowObject(in.Workflow), errs: errs}
	}
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
	return ir, nil
}

// buildAction renders one action (or rollback) body into an IR action; at builds the body's path, for errors.
func buildAction(r *renderer, ir *IR, in *Input, name string, body *v1alpha1.ActionBody, at func() *field.Path) (Action, field.ErrorList) {
	act := Action{Name: name, Type: body.Type, Timeout: body.GetTimeout(), Retry: retryOf(body.RetryPolicy)}
	rendered, spec, errs := r.renderBody(body, at)
	if len(errs) > 0 {
		return act, errs
	}
	switch body.Type {
	case v1alpha1.ActionTypeHTTP:
		act.HTTP = httpRequest(rendered.HTTP, idempotencyKey(ir, name))
	case v1alpha1.ActionTypeJob:
		act.Resource = jobRequest(rendered.Job, spec, ir, name, &r.jobLabels)
	case v1alpha1.ActionTypeLocalization:
		l := rendered.Localization
		act.Resource = clusternetRequest(KindLocalization, l.Operation, l.Name, l.Namespace, spec, OutputRefLocalization)
	case v1alpha1.ActionTypeSubscription:
		s := rendered.Subscription
		act.Resource = clusternetRequest(KindSubscription, s.Operation, s.Name, s.Namespace, spec, OutputRefSubscription)
		if s.WaitReady && s.Operation != v1alpha1.OperationDelete {
			act.Resource.WaitFor = WaitSubscriptionBound
		}
	case v1alpha1.ActionTypeKubernetesResource:
		req, err := manifestRequest(rendered.Resource, func() *field.Path { return at().Child("resource", "manifest") })
		if err != nil {
			return act, field.ErrorList{err}
		}
		act.Resource = req
	}
	return act, nil
}

// buildInverse builds the automatic inverse of a Succeeded forward action a, using its recorded outputs when
// present (they name exactly what was created) and its rendered config otherwise.
func buildInverse(r *renderer, ir *IR, in *Input, a *v1alpha1.Action, outputs *v1alpha1.ActionOutputs, at func() *field.Path) (Action, field.ErrorList) {
	act := Action{Name: a.Name, Type: a.Type, Timeout: a.GetTimeout(), Retry: retryOf(a.RetryPolicy)}
	skip := func(reason string) (Action, field.ErrorList) {
		act.Skipped = true
		act.SkipReason = reason
		return act, nil
	}
	if a.Type == v1alpha1.ActionTypeHTTP {
		return skip("an HTTP action has no automatic inverse")
	}
	forward, errs := buildAction(r, ir, in, a.Name, &a.ActionBody, at)
	if len(errs) > 0 {
		return act, errs
	}
	req := forward.Resource
	ref := outputRef(outputs, req.OutputRef)
	switch req.Operation {
	case v1alpha1.OperationDelete:
		return skip("a Delete has no automatic inverse")
	case v1alpha1.OperationPatch:
		// ValidateWorkflow requires a custom rollback for Patch; reaching here means a bug.
		return act, field.ErrorList{field.Required(at().Child("rollback"), "a Patch action needs a custom rollback")}
	case v1alpha1.OperationApply:
		if ref == nil || !ref.Created {
			return skip("Apply did not report creating the object, so it is left in place")
		}
	}
	del := &ResourceRequest{
		Operation:  v1alpha1.OperationDelete,
		APIVersion: req.APIVersion,
		Kind:       req.Kind,
		Namespace:  req.Namespace,
		Name:       req.Name,
		OutputRef:  req.OutputRef,
	}
	if ref != nil && ref.Name != "" {
		// The recorded object wins over today's rendering.
		del.Name, del.Namespace = ref.Name, ref.Namespace
		if ref.APIVersion != "" && ref.Kind != "" {
			del.APIVersion, del.Kind = ref.APIVersion, ref.Kind
		}
	}
	if del.Kind == KindJob && del.APIVersion == JobAPIVersion {
		del.Propagation = metav1.DeletePropagationBackground
	}
	del.Object = identityObject(del.APIVersion, del.Kind, del.Namespace, del.Name)
	act.Resource = del
	return act, nil
}

// outputRef picks the named reference out of recorded outputs.
func outputRef(o *v1alpha1.ActionOutputs, name string) *v1alpha1.ResourceRef {
	if o == nil {
		return nil
	}
	switch name {
	case OutputRefJob:
		return o.JobRef
	case OutputRefLocalization:
		return o.LocalizationRef
	case OutputRefSubscription:
		return o.SubscriptionRef
	case OutputRefResource:
		return o.ResourceRef
	}
	return nil
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
	// Concatenation: fmt.Sprintf is a measurable share of a 1000-action compile.
	return string(ir.ExecutionUID) + "/" + ir.WorkflowName + "/" + action
}
