package translator

import (
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Pass 4, the reverse IR: the run that undoes a forward run, from the same workflow and the reverted run's
// action statuses.

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
		p := actionsPath.Index(i)
		var act Action
		var aerrs field.ErrorList
		if a.Rollback != nil {
			act, aerrs = buildAction(r, ir, a.Rollback.Name, &a.Rollback.ActionBody, p.Child("rollback"))
		} else {
			act, aerrs = buildInverse(r, ir, a, statusByName[a.Name].Outputs, p)
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

// buildInverse builds the automatic inverse of a Succeeded forward action a, using its recorded outputs when
// present (they name exactly what was created) and its rendered config otherwise; path is the action's.
func buildInverse(r *renderer, ir *IR, a *v1alpha1.Action, outputs *v1alpha1.ActionOutputs, path *field.Path) (Action, field.ErrorList) {
	act := Action{Name: a.Name, Type: a.Type, Timeout: a.GetTimeout(), Retry: retryOf(a.RetryPolicy)}
	skip := func(reason string) (Action, field.ErrorList) {
		act.Skipped = true
		act.SkipReason = reason
		return act, nil
	}
	if a.Type == v1alpha1.ActionTypeHTTP {
		return skip("an HTTP action has no automatic inverse")
	}
	if a.Type == v1alpha1.ActionTypeApproval {
		return skip("an Approval has no automatic inverse")
	}
	forward, errs := buildAction(r, ir, a.Name, &a.ActionBody, path)
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
		return act, field.ErrorList{field.Required(path.Child("rollback"), "a Patch action needs a custom rollback")}
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
	case OutputRefGlobalization:
		return o.GlobalizationRef
	case OutputRefResource:
		return o.ResourceRef
	}
	return nil
}
