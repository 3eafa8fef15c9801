package translator

// Pass 5, emission: the IR as an Argo Workflow (DESIGN.md section 4). This file builds the Workflow and its
// DAG; argo_template.go builds the template of each action; the few Argo expressions come from argoexpr.go.

import (
	"encoding/json"
	"fmt"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// skipTemplate is the no-op template of actions that never run and have no config of their own (an HTTP
// action's undo): their task has `when: false`, so Argo marks it Skipped without running anything.
const skipTemplate = "skip"

// Argo annotations shown by the Argo UI.
const (
	annotationArgoTitle       = "workflows.argoproj.io/title"
	annotationArgoDescription = "workflows.argoproj.io/description"
)

// EmitOptions tunes EmitArgo.
type EmitOptions struct {
	// Validate runs Argo's own validator on the result. It is superlinear in the number of tasks (about a
	// second for 1000), so it is off by default; the translator's checks already guarantee what Argo checks.
	Validate bool
}

// EmitArgo compiles an IR into an Argo Workflow (DESIGN.md section 4). The output depends only on ir: same
// IR, same bytes.
func EmitArgo(ir *IR, opts EmitOptions) (*wfv1.Workflow, error) {
	if len(ir.Actions) == 0 {
		// An Argo DAG needs a task; a run with nothing to do is not created at all.
		return nil, fmt.Errorf("workflow %s has no actions to run", ir.WorkflowName)
	}
	names := make([]string, len(ir.Actions))
	for i := range ir.Actions {
		names[i] = ir.Actions[i].Name
	}
	tasks := taskNames(names)
	taskActionsJSON, err := marshalTaskActions(tasks)
	if err != nil {
		return nil, err
	}

	name := WorkflowName(ir.ExecutionName, ir.StageName, ir.EntryIndex, ir.WorkflowName, ir.Reverse)
	wf := &wfv1.Workflow{
		TypeMeta: metav1.TypeMeta{APIVersion: wfv1.SchemeGroupVersion.String(), Kind: "Workflow"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: ir.Namespace,
			Labels:    runLabels(ir),
			Annotations: map[string]string{
				annotationArgoTitle:       argoTitle(ir),
				annotationArgoDescription: argoDescription(ir),
				AnnotationTaskActions:     string(taskActionsJSON),
			},
		},
		Spec: wfv1.WorkflowSpec{
			Entrypoint:         EntrypointTemplate,
			ServiceAccountName: ir.ServiceAccountName,
			Synchronization: &wfv1.Synchronization{
				Mutexes: []*wfv1.Mutex{{Name: planMutexName(ir)}},
			},
		},
	}
	if ir.Owner != nil {
		wf.OwnerReferences = []metav1.OwnerReference{*ir.Owner.DeepCopy()}
	}
	if o := ir.ArgoOptions; o != nil {
		if t := o.TTLStrategy; t != nil {
			wf.Spec.TTLStrategy = &wfv1.TTLStrategy{
				SecondsAfterCompletion: t.SecondsAfterCompletion,
				SecondsAfterSuccess:    t.SecondsAfterSuccess,
				SecondsAfterFailure:    t.SecondsAfterFailure,
			}
		}
		if o.PodGC != nil && o.PodGC.Strategy != "" {
			wf.Spec.PodGC = &wfv1.PodGC{Strategy: wfv1.PodGCStrategy(o.PodGC.Strategy)}
		}
	}

	dag := &wfv1.DAGTemplate{FailFast: ptr.To(ir.FailurePolicy != v1alpha1.WorkflowContinue)}
	templates := []wfv1.Template{{Name: EntrypointTemplate, DAG: dag}}
	needSkip := false
	for i := range ir.Actions {
		a := &ir.Actions[i]
		task, err := dagTask(a, tasks)
		if err != nil {
			return nil, err
		}
		if task.Template == skipTemplate {
			needSkip = true
		} else {
			tmpl, err := actionTemplate(a, task.Template)
			if err != nil {
				return nil, fmt.Errorf("action %s: %w", a.Name, err)
			}
			templates = append(templates, tmpl)
		}
		dag.Tasks = append(dag.Tasks, task)
	}
	if needSkip {
		templates = append(templates, wfv1.Template{Name: skipTemplate, Suspend: &wfv1.SuspendTemplate{}})
	}
	wf.Spec.Templates = templates
	if opts.Validate {
		if err := validateWithArgo(wf); err != nil {
			return nil, fmt.Errorf("argo rejects workflow %s: %w", name, err)
		}
	}
	return wf, nil
}

// dagTask is the DAG task of action a: its template (the action's own, or skipTemplate for a skipped action
// with nothing to run), what it waits for, and its `when`: false when it is skipped, an expression tag when it
// has a run-time condition.
func dagTask(a *Action, tasks map[string]string) (wfv1.DAGTask, error) {
	task := wfv1.DAGTask{Name: tasks[a.Name], Template: tasks[a.Name]}
	if len(a.DependsOn) > 0 {
		deps := make([]string, 0, len(a.DependsOn))
		for _, d := range a.DependsOn {
			t, ok := tasks[d]
			if !ok {
				return task, fmt.Errorf("action %s depends on %s, which is not in the run", a.Name, d)
			}
			deps = append(deps, t)
		}
		task.Depends = argoDepends(deps)
	}
	switch {
	case a.Skipped:
		task.When = argoWhenSkip
	case a.When != nil:
		when, err := argoWhen(a.When, tasks)
		if err != nil {
			return task, fmt.Errorf("action %s: %w", a.Name, err)
		}
		task.When = when
	}
	if a.HTTP == nil && a.Resource == nil && a.Approval == nil {
		if !a.Skipped {
			return task, fmt.Errorf("action %s has nothing to run", a.Name)
		}
		task.Template = skipTemplate
	}
	return task, nil
}

// marshalTaskActions is the task -> action map of the run, as JSON (keys sorted): the inverse of tasks
// (action -> task).
func marshalTaskActions(tasks map[string]string) ([]byte, error) {
	inverse := make(map[string]string, len(tasks))
	for action, task := range tasks {
		inverse[task] = action
	}
	return json.Marshal(inverse)
}

// planMutexName serialises Argo runs of the same workflow entry of a plan. A mutex over the whole plan would
// also serialise the entries of a `parallel: true` stage; the plan lock in DRPlan status already keeps
// executions of a plan from overlapping, this is Argo's own guard against a second run of the same entry.
func planMutexName(ir *IR) string {
	return fmt.Sprintf("drplan-%s-%s-%d", ir.PlanName, ir.StageName, ir.EntryIndex)
}

func argoTitle(ir *IR) string {
	dir := ""
	if ir.Reverse {
		dir = " (revert)"
	}
	return fmt.Sprintf("%s / %s / %s%s", ir.PlanName, ir.StageName, ir.WorkflowName, dir)
}

func argoDescription(ir *IR) string {
	kind := "forward run"
	if ir.Reverse {
		kind = "reverse run (rollback)"
	}
	return fmt.Sprintf("DR plan %s, execution %s (%s): stage %s, workflow entry %d (%s), %s of %d actions.",
		ir.PlanName, ir.ExecutionName, ir.Operation, ir.StageName, ir.EntryIndex, ir.WorkflowName, kind, len(ir.Actions))
}
