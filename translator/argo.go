package translator

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
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

// mergePatch is kubectl's JSON merge patch strategy; strategic merge does not work on custom resources.
const mergePatch = "merge"

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

	sc := &emitScratch{outputs: newOutputSlab(ir.Actions)}
	dag := &wfv1.DAGTemplate{FailFast: ptr.To(ir.FailurePolicy != v1alpha1.WorkflowContinue), Tasks: make([]wfv1.DAGTask, 0, len(ir.Actions))}
	templates := make([]wfv1.Template, 1, len(ir.Actions)+2)
	templates[0] = wfv1.Template{Name: EntrypointTemplate, DAG: dag}
	needSkip := false
	// Tasks and templates are filled in place in their pre-sized slices: built apart and appended, each
	// (hundreds of bytes full of pointers) was copied twice, under write barriers while the GC runs.
	for i := range ir.Actions {
		a := &ir.Actions[i]
		dag.Tasks = dag.Tasks[:i+1]
		task := &dag.Tasks[i]
		task.Name, task.Template = tasks[a.Name], tasks[a.Name]
		if len(a.DependsOn) > 0 {
			var stack [8]string
			deps := stack[:0]
			for _, d := range a.DependsOn {
				t, ok := tasks[d]
				if !ok {
					return nil, fmt.Errorf("action %s depends on %s, which is not in the run", a.Name, d)
				}
				deps = append(deps, t)
			}
			task.Depends = argoDepends(deps)
		}
		if a.Skipped {
			task.When = argoWhenSkip
		}
		if a.HTTP == nil && a.Resource == nil {
			if !a.Skipped {
				return nil, fmt.Errorf("action %s has nothing to run", a.Name)
			}
			task.Template = skipTemplate
			needSkip = true
		} else {
			templates = templates[:len(templates)+1]
			if err := actionTemplate(&templates[len(templates)-1], ir, a, tasks[a.Name], sc); err != nil {
				return nil, fmt.Errorf("action %s: %w", a.Name, err)
			}
		}
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

// marshalTaskActions is json.Marshal of the task -> action map, the inverse of tasks (action -> task): keys
// sorted, as encoding/json sorts them. Names are DNS-like, which JSON takes without escapes; they are
// written directly then, from the pairs sorted by task (building the inverse map and marshalling it costs a
// map insert, a reflection step and an allocation per action), and through encoding/json otherwise.
func marshalTaskActions(tasks map[string]string) ([]byte, error) {
	type pair struct{ task, action string }
	pairs := make([]pair, 0, len(tasks))
	plain := true
	size := 2
	for action, task := range tasks {
		pairs = append(pairs, pair{task, action})
		plain = plain && isJSONPlain(task) && isJSONPlain(action)
		size += len(task) + len(action) + 6 // "task":"action",
	}
	slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.task, b.task) })
	for i := 1; i < len(pairs) && plain; i++ {
		plain = pairs[i].task != pairs[i-1].task // task names are unique; if not, the map decides
	}
	if !plain {
		inverse := make(map[string]string, len(tasks))
		for action, task := range tasks {
			inverse[task] = action
		}
		return json.Marshal(inverse)
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, p := range pairs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, p.task...)
		b = append(b, '"', ':', '"')
		b = append(b, p.action...)
		b = append(b, '"')
	}
	return append(b, '}'), nil
}

// isJSONPlain reports whether encoding/json writes s between quotes as it is: [A-Za-z0-9._-] only.
func isJSONPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && (c < '0' || c > '9') && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// actionTemplate fills tmpl (zero) as the leaf template running one action.
func actionTemplate(tmpl *wfv1.Template, ir *IR, a *Action, name string, sc *emitScratch) error {
	tmpl.Name, tmpl.RetryStrategy = name, retryStrategy(a.Retry, &sc.interval)
	timeoutSeconds := seconds(a.Timeout)
	switch {
	case a.HTTP != nil:
		h := a.HTTP
		tmpl.HTTP = &wfv1.HTTP{
			Method:             h.Method,
			URL:                h.URL,
			Body:               h.Body,
			TimeoutSeconds:     ptr.To(timeoutSeconds),
			SuccessCondition:   argoHTTPSuccessCondition(h.SuccessCodes),
			InsecureSkipVerify: h.InsecureSkipVerify,
		}
		if len(h.Headers) > 0 {
			tmpl.HTTP.Headers = make([]wfv1.HTTPHeader, 0, len(h.Headers))
		}
		for _, hd := range h.Headers {
			header := wfv1.HTTPHeader{Name: hd.Name, Value: hd.Value}
			if hd.SecretKeyRef != nil {
				header = wfv1.HTTPHeader{Name: hd.Name, ValueFrom: &wfv1.HTTPHeaderSource{SecretKeyRef: hd.SecretKeyRef.DeepCopy()}}
			}
			tmpl.HTTP.Headers = append(tmpl.HTTP.Headers, header)
		}
	case a.Resource != nil:
		r := a.Resource
		manifest, err := manifestYAML(&sc.yaml, r.Object)
		if err != nil {
			return err
		}
		res := &wfv1.ResourceTemplate{Action: argoResourceAction(r), Manifest: manifest}
		switch r.Operation {
		case v1alpha1.OperationPatch:
			res.MergeStrategy = mergePatch
		case v1alpha1.OperationDelete:
			if r.Propagation != "" {
				res.Flags = []string{"--cascade=" + strings.ToLower(string(r.Propagation))}
			}
		}
		switch r.WaitFor {
		case WaitJobComplete:
			res.SuccessCondition = argoJobSucceeded
			res.FailureCondition = argoJobFailed(r.JobBackoffLimit)
		case WaitSubscriptionBound:
			res.SuccessCondition = argoSubscriptionBound
		}
		tmpl.Resource = res
		tmpl.ActiveDeadlineSeconds = ptr.To(intstr.FromInt(int(timeoutSeconds)))
		// Argo refuses outputs on delete: the object is gone.
		if r.Operation != v1alpha1.OperationDelete {
			tmpl.Outputs.Parameters = sc.outputs.next()
		}
	}
	return nil
}

// emitScratch is what EmitArgo reuses from one template to the next, for one Workflow only.
type emitScratch struct {
	yaml     yamlWriter
	outputs  outputSlab
	interval durationText
}

// durationText is time.Duration's String, remembering the last one: a workflow's actions mostly share a
// retry interval, and String allocates.
type durationText struct {
	d    time.Duration
	s    string
	seen bool
}

func (t *durationText) text(d time.Duration) string {
	if !t.seen || d != t.d {
		t.d, t.s, t.seen = d, d.String(), true
	}
	return t.s
}

// outputSlab hands out the output parameters of every resource template of one Workflow, read back from
// what the template created or touched (names from argonames.go). They are allocated for the whole
// Workflow at once (two allocations instead of two per template); each template gets its own elements, its
// slice capped so that an append cannot reach the next template's.
type outputSlab struct {
	params     []wfv1.Parameter
	valueFroms []wfv1.ValueFrom
}

// newOutputSlab sizes the slab for the actions that can get a resource template with outputs.
func newOutputSlab(actions []Action) outputSlab {
	n := 0
	for i := range actions {
		if r := actions[i].Resource; r != nil && r.Operation != v1alpha1.OperationDelete {
			n++
		}
	}
	k := len(resourceOutputFields)
	return outputSlab{params: make([]wfv1.Parameter, 0, n*k), valueFroms: make([]wfv1.ValueFrom, 0, n*k)}
}

// next returns the outputs of one resource template.
func (s *outputSlab) next() []wfv1.Parameter {
	k := len(resourceOutputFields)
	if cap(s.params)-len(s.params) < k {
		// Not sized for this template (cannot happen when newOutputSlab saw the same actions): a slab of its own.
		*s = outputSlab{params: make([]wfv1.Parameter, 0, k), valueFroms: make([]wfv1.ValueFrom, 0, k)}
	}
	start := len(s.params)
	for _, f := range resourceOutputFields {
		s.valueFroms = append(s.valueFroms, wfv1.ValueFrom{JSONPath: f.jsonPath})
		s.params = append(s.params, wfv1.Parameter{Name: f.name, ValueFrom: &s.valueFroms[len(s.valueFroms)-1]})
	}
	return s.params[start:len(s.params):len(s.params)]
}

// resourceOutputFields are the outputs of every resource template, their jsonPaths built once rather than
// per template.
var resourceOutputFields = func() []struct{ name, jsonPath string } {
	fields := []struct{ name, jsonPath string }{
		{OutputAPIVersion, "apiVersion"},
		{OutputKind, "kind"},
		{OutputName, "metadata.name"},
		{OutputNamespace, "metadata.namespace"},
		{OutputUID, "metadata.uid"},
	}
	for i := range fields {
		fields[i].jsonPath = argoJSONPath(fields[i].jsonPath)
	}
	return fields
}()

// argoResourceAction maps an operation to kubectl's verb. A Job is created with `apply`: its name is
// deterministic, so a retried attempt (retryStrategy) re-attaches to the Job the first attempt created and
// waits on it again, where `create` would fail with AlreadyExists. That is the native engine's behaviour too.
func argoResourceAction(r *ResourceRequest) string {
	if r.Operation == v1alpha1.OperationCreate && r.WaitFor == WaitJobComplete {
		return "apply"
	}
	return strings.ToLower(string(r.Operation))
}

// retryStrategy maps a retry policy to Argo's: retries on failures and errors alike (policy Always), waiting
// Interval * factor^n. Argo's factor is an integer (ValidateWorkflow refuses fractional multipliers unless
// the workflow runs on the native engine).
func retryStrategy(r Retry, interval *durationText) *wfv1.RetryStrategy {
	if r.Limit <= 0 {
		return nil
	}
	// The strategy and what it points to live in one allocation (one per action, instead of four).
	block := &struct {
		strategy      wfv1.RetryStrategy
		backoff       wfv1.Backoff
		limit, factor intstr.IntOrString
	}{
		limit:  intstr.FromInt32(r.Limit),
		factor: intstr.FromInt32(int32(math.Round(r.BackoffFactor))),
	}
	block.backoff = wfv1.Backoff{Duration: interval.text(r.Interval), Factor: &block.factor}
	block.strategy = wfv1.RetryStrategy{Limit: &block.limit, RetryPolicy: wfv1.RetryPolicyAlways, Backoff: &block.backoff}
	return &block.strategy
}

// seconds rounds a duration up to whole seconds, at least 1.
func seconds(d time.Duration) int64 {
	s := int64(math.Ceil(d.Seconds()))
	if s < 1 {
		return 1
	}
	return s
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
