package translator

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// The whole pipeline over a set of objects read from YAML, as the operator would run it for an execution:
// drplanctl's validate and translate.

// Validate checks every object, then, for every execution, resolves params and renders every workflow entry
// exactly as TranslateExecution would. It returns every problem found, in object order.
func (o *Objects) Validate() []Problem {
	var problems []Problem
	add := func(object string, errs field.ErrorList) {
		for _, e := range errs {
			problems = append(problems, Problem{Object: object, Field: e.Field, Reason: errorReason(e)})
		}
	}
	broken := map[string]bool{} // objects with problems: executions using them are not translated again
	for _, wf := range o.Workflows {
		errs := ValidateWorkflow(wf)
		add(workflowObject(wf), errs)
		broken[workflowObject(wf)] = len(errs) > 0
	}
	for _, p := range o.Plans {
		errs := ValidatePlan(p)
		add(planObject(p), errs)
		broken[planObject(p)] = len(errs) > 0
		for i, st := range p.Spec.Stages {
			for j, entry := range st.Workflows {
				ns := entry.WorkflowRef.NamespaceOr(p.Namespace)
				if entry.WorkflowRef.Name == "" {
					continue
				}
				if wf := o.workflow(ns, entry.WorkflowRef.Name); wf == nil {
					add(planObject(p), field.ErrorList{field.NotFound(field.NewPath("spec", "stages").Index(i).Child("workflows").Index(j).Child("workflowRef"),
						ns+"/"+entry.WorkflowRef.Name)})
					broken[planObject(p)] = true
				} else if broken[workflowObject(wf)] {
					broken[planObject(p)] = true
				}
			}
		}
		if errs := ValidateParamNames(p, o.entryWorkflow(p), nil); len(errs) > 0 {
			add(planObject(p), errs)
			broken[planObject(p)] = true
		}
	}
	for _, e := range o.Executions {
		p := o.plan(e.Namespace, e.Spec.PlanRef)
		if p == nil || broken[planObject(p)] {
			continue
		}
		if errs := ValidateParamNames(p, o.entryWorkflow(p), e); len(errs) > 0 {
			for _, fe := range errs {
				if strings.HasPrefix(fe.Field, "spec.params") {
					add(executionObject(e), field.ErrorList{fe})
				}
			}
		}
	}
	for _, e := range o.Executions {
		if p := o.plan(e.Namespace, e.Spec.PlanRef); p != nil && broken[planObject(p)] {
			continue // its plan or a workflow of it is already reported
		}
		if _, err := o.TranslateExecution(e, EmitOptions{}); err != nil {
			var te *TranslateError
			if errors.As(err, &te) {
				problems = append(problems, te.Problems...)
			} else {
				problems = append(problems, Problem{Object: executionObject(e), Reason: err.Error()})
			}
		}
	}
	// Translating an execution re-checks its plan and workflows: report each problem once.
	seen := make(map[Problem]bool, len(problems))
	unique := problems[:0]
	for _, p := range problems {
		if !seen[p] {
			seen[p] = true
			unique = append(unique, p)
		}
	}
	return unique
}

// entryWorkflow looks up the DRWorkflow of each stage entry of p among the objects (nil when absent).
func (o *Objects) entryWorkflow(p *v1alpha1.DRPlan) func(i, j int) *v1alpha1.DRWorkflow {
	return func(i, j int) *v1alpha1.DRWorkflow {
		ref := p.Spec.Stages[i].Workflows[j].WorkflowRef
		return o.workflow(ref.NamespaceOr(p.Namespace), ref.Name)
	}
}

// TranslateError carries every problem that stopped a translation.
type TranslateError struct{ Problems []Problem }

func (e *TranslateError) Error() string {
	var b bytes.Buffer
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// TranslateExecution returns the Argo Workflows the operator would create for exec, in run order: for an
// Execute, one per workflow entry of every stage (stages in plan order; rollback runs are conditional and
// not included); for a Revert, the reverse run of every entry with stages in reverse order. A Revert uses the
// reverted execution's recorded params and action statuses when that execution and its status are present
// (entries that never ran, or where nothing succeeded, get no Workflow), else today's params and every
// action treated as Succeeded.
func (o *Objects) TranslateExecution(exec *v1alpha1.DRPlanExecution, opts EmitOptions) ([]*wfv1.Workflow, error) {
	execName := executionObject(exec)
	plan := o.plan(exec.Namespace, exec.Spec.PlanRef)
	if plan == nil {
		return nil, &TranslateError{[]Problem{{Object: execName, Field: "spec.planRef", Reason: fmt.Sprintf("DRPlan %s/%s not found", exec.Namespace, exec.Spec.PlanRef)}}}
	}
	if errs := ValidatePlan(plan); len(errs) > 0 {
		return nil, &TranslateError{fieldProblems(planObject(plan), errs)}
	}
	reverse := exec.Spec.GetOperationType() == v1alpha1.OperationRevert
	var target *v1alpha1.DRPlanExecution
	if reverse {
		if exec.Spec.RevertExecutionRef == "" {
			return nil, &TranslateError{[]Problem{{Object: execName, Field: "spec.revertExecutionRef", Reason: "required when operationType is Revert"}}}
		}
		target = o.execution(exec.Namespace, exec.Spec.RevertExecutionRef)
	}
	stageOrder, _ := planStageOrder(plan)
	if reverse {
		for i, j := 0, len(stageOrder)-1; i < j; i, j = i+1, j-1 {
			stageOrder[i], stageOrder[j] = stageOrder[j], stageOrder[i]
		}
	}
	var out []*wfv1.Workflow
	var problems []Problem
	for _, si := range stageOrder {
		st := plan.Spec.Stages[si]
		for ei, entry := range st.Workflows {
			ns := entry.WorkflowRef.NamespaceOr(plan.Namespace)
			wf := o.workflow(ns, entry.WorkflowRef.Name)
			if wf == nil {
				problems = append(problems, Problem{Object: planObject(plan), Field: fmt.Sprintf("spec.stages[%d].workflows[%d].workflowRef", si, ei),
					Reason: fmt.Sprintf("DRWorkflow %s/%s not found", ns, entry.WorkflowRef.Name)})
				continue
			}
			in := Input{
				Workflow:      wf,
				Namespace:     exec.Namespace,
				PlanName:      plan.Name,
				ExecutionName: exec.Name,
				StageName:     st.Name,
				EntryIndex:    ei,
				ExecutionUID:  exec.UID,
				Operation:     exec.Spec.GetOperationType(),
				Owner:         executionOwner(exec),
			}
			var reverted []v1alpha1.ActionStatus
			if reverse && target != nil && len(target.Status.StageStatuses) > 0 {
				recorded := recordedRun(target, st.Name, ei)
				if recorded == nil {
					continue // this entry never ran: nothing to undo
				}
				in.Params = recorded.Params
				reverted = recorded.ActionStatuses
			} else {
				// Offline, a valueFrom is read from the objects given alongside (the operator reads the cluster).
				params, errs := ResolveParamsWith(wf, plan, si, ei, exec, offlineReader(o.Others, exec.Namespace))
				if len(errs) > 0 {
					problems = append(problems, fieldProblems(fmt.Sprintf("%s (stage %s, workflow %s)", execName, st.Name, wf.Name), errs)...)
					continue
				}
				in.Params = params
				for _, a := range wf.Spec.Actions {
					reverted = append(reverted, v1alpha1.ActionStatus{Name: a.Name, Phase: v1alpha1.ActionSucceeded})
				}
			}
			var ir *IR
			var err error
			if reverse {
				ir, err = BuildReverse(in, reverted)
			} else {
				ir, err = BuildForward(in)
			}
			if err == nil && len(ir.Actions) == 0 {
				continue // nothing succeeded in this entry: no reverse run
			}
			if err == nil && wf.Spec.GetExecutorType() == v1alpha1.ExecutorNative {
				continue // checked; it runs in the operator, there is no Argo Workflow to print
			}
			var awf *wfv1.Workflow
			if err == nil {
				awf, err = EmitArgo(ir, opts)
			}
			if err != nil {
				if errs := FieldErrors(err); errs != nil {
					problems = append(problems, fieldProblems(fmt.Sprintf("%s (stage %s, workflow %s)", execName, st.Name, workflowObject(wf)), errs)...)
				} else {
					problems = append(problems, Problem{Object: fmt.Sprintf("%s (stage %s, workflow %s)", execName, st.Name, workflowObject(wf)), Reason: err.Error()})
				}
				continue
			}
			out = append(out, awf)
		}
	}
	if len(problems) > 0 {
		return nil, &TranslateError{problems}
	}
	return out, nil
}

// recordedRun finds the status of one workflow entry of a finished execution, when recorded.
func recordedRun(target *v1alpha1.DRPlanExecution, stage string, entry int) *v1alpha1.WorkflowExecutionStatus {
	if target == nil {
		return nil
	}
	for i := range target.Status.StageStatuses {
		ss := &target.Status.StageStatuses[i]
		if ss.Name != stage {
			continue
		}
		for j := range ss.WorkflowExecutions {
			if int(ss.WorkflowExecutions[j].Index) == entry {
				return &ss.WorkflowExecutions[j]
			}
		}
	}
	return nil
}

// planStageOrder lists stage indexes in a run order: list order when no stage has dependsOn, else a
// topological order (ties in list order).
func planStageOrder(plan *v1alpha1.DRPlan) ([]int, bool) {
	n := len(plan.Spec.Stages)
	g := dependencyGraph{names: make([]string, n), deps: make([][]int, n)}
	index := make(map[string]int, n)
	for i, st := range plan.Spec.Stages {
		g.names[i] = st.Name
		index[st.Name] = i
	}
	for i, st := range plan.Spec.Stages {
		for _, d := range st.DependsOn {
			if j, ok := index[d]; ok {
				g.deps[i] = append(g.deps[i], j)
			}
		}
	}
	return g.topologicalOrder()
}

// executionOwner is the owner reference a compiled Workflow gets: the DRPlanExecution, as controller.
func executionOwner(exec *v1alpha1.DRPlanExecution) *metav1.OwnerReference {
	if exec.UID == "" {
		return nil
	}
	return metav1.NewControllerRef(exec, v1alpha1.GroupVersion.WithKind("DRPlanExecution"))
}

func fieldProblems(object string, errs field.ErrorList) []Problem {
	out := make([]Problem, 0, len(errs))
	for _, e := range errs {
		out = append(out, Problem{Object: object, Field: e.Field, Reason: errorReason(e)})
	}
	return out
}

// errorReason is a field error without its field path (Problem prints the path itself).
func errorReason(e *field.Error) string {
	return e.ErrorBody()
}

func planObject(p *v1alpha1.DRPlan) string { return fmt.Sprintf("DRPlan %s/%s", p.Namespace, p.Name) }
func executionObject(e *v1alpha1.DRPlanExecution) string {
	return fmt.Sprintf("DRPlanExecution %s/%s", e.Namespace, e.Name)
}
