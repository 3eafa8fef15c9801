package argoexec

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/translator"
)

// ErrOffloaded is returned for a Workflow whose node status Argo offloaded to its database: the operator cannot
// read it, so the execution shows this error instead of guessing (it is permanent: retrying does not help).
var ErrOffloaded = engine.Permanent(fmt.Errorf("argo offloaded the node status of this Workflow to its database " +
	"(offloadNodeStatusVersion set); the operator cannot read it: disable node status offloading for DR Workflows"))

// Nodes returns the Workflow's nodes, decompressing status.compressedNodes when Argo compressed them.
// An offloaded node status is an error.
func Nodes(wf *wfv1.Workflow) (wfv1.Nodes, error) {
	if wf.Status.IsOffloadNodeStatus() {
		return nil, ErrOffloaded
	}
	if len(wf.Status.Nodes) > 0 || wf.Status.CompressedNodes == "" {
		return wf.Status.Nodes, nil
	}
	// Argo writes base64(gzip(json(nodes))) (workflow/packer); gzip and pgzip streams read the same.
	raw, err := base64.StdEncoding.DecodeString(wf.Status.CompressedNodes)
	if err != nil {
		return nil, fmt.Errorf("decoding status.compressedNodes: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("decompressing status.compressedNodes: %w", err)
	}
	content, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("decompressing status.compressedNodes: %w", err)
	}
	var nodes wfv1.Nodes
	if err := json.Unmarshal(content, &nodes); err != nil {
		return nil, fmt.Errorf("reading status.compressedNodes: %w", err)
	}
	return nodes, nil
}

// Task is one DAG task of a compiled Workflow and the action it runs.
type Task struct {
	// Name of the DAG task (sanitised).
	Name string
	// Action is the action's name (the rollback action's, in a reverse run).
	Action string
	// Template is the task's template, nil when the Workflow does not define it.
	Template *wfv1.Template
	// RuntimeWhen: the task's `when` is a run-time condition the translator compiled (an expression tag).
	RuntimeWhen bool
}

// Tasks lists the tasks of the entrypoint DAG in workflow order, with the action each runs (read from the
// task -> action annotation; a task missing from it runs the action of the same name).
func Tasks(wf *wfv1.Workflow) ([]Task, error) {
	mapping := map[string]string{}
	if s := wf.Annotations[translator.AnnotationTaskActions]; s != "" {
		if err := json.Unmarshal([]byte(s), &mapping); err != nil {
			return nil, fmt.Errorf("annotation %s of Workflow %s is not a JSON object of task -> action: %w",
				translator.AnnotationTaskActions, wf.Name, err)
		}
	}
	entry := wf.Spec.Entrypoint
	if entry == "" {
		entry = translator.EntrypointTemplate
	}
	var main *wfv1.Template
	for i := range wf.Spec.Templates {
		if wf.Spec.Templates[i].Name == entry {
			main = &wf.Spec.Templates[i]
			break
		}
	}
	if main == nil || main.DAG == nil {
		return nil, fmt.Errorf("workflow %s has no DAG template %q", wf.Name, entry)
	}
	tasks := make([]Task, 0, len(main.DAG.Tasks))
	for i := range main.DAG.Tasks {
		t := &main.DAG.Tasks[i]
		action := mapping[t.Name]
		if action == "" {
			action = t.Name
		}
		var tmpl *wfv1.Template
		for j := range wf.Spec.Templates {
			if wf.Spec.Templates[j].Name == t.Template {
				tmpl = &wf.Spec.Templates[j]
				break
			}
		}
		tasks = append(tasks, Task{Name: t.Name, Action: action, Template: tmpl, RuntimeWhen: translator.IsArgoRuntimeWhen(t.When)})
	}
	return tasks, nil
}

// NodeName is the name Argo gives the node of a DAG task of the entrypoint: "<workflow name>.<task name>".
func NodeName(wf *wfv1.Workflow, task string) string { return wf.Name + "." + task }

// ActionStatuses maps the Workflow's nodes to one status per action, in workflow order (DESIGN section 4):
// the node of a task is found by its exact name; no node = Pending; a Retry node holds the final phase and its
// retried children are the attempts (retryCount = attempts - 1); Skipped/Omitted -> Skipped; Failed/Error ->
// Failed with Argo's message; nodes stopped by spec.shutdown -> Canceled; outputs from output parameters
// (resource templates) or outputs.result (http templates).
func ActionStatuses(wf *wfv1.Workflow) ([]v1alpha1.ActionStatus, error) {
	nodes, err := Nodes(wf)
	if err != nil {
		return nil, err
	}
	tasks, err := Tasks(wf)
	if err != nil {
		return nil, err
	}
	nodes = withReleasedResults(wf, nodes)
	byName := make(map[string]*wfv1.NodeStatus, len(nodes))
	for id := range nodes {
		n := nodes[id]
		byName[n.Name] = &n
	}
	out := make([]v1alpha1.ActionStatus, 0, len(tasks))
	for _, t := range tasks {
		node := byName[NodeName(wf, t.Name)]
		out = append(out, actionStatus(wf, t, node, nodes))
	}
	if dagFailFast(wf) && firstFailed(out) != "" {
		// As natively: under FailFast nothing runs after a failure, and what did not run says so, also what
		// Argo omitted behind the failure.
		for i := range out {
			if out[i].Phase == v1alpha1.ActionSkipped && strings.HasPrefix(out[i].Message, "omitted:") {
				out[i].Message = msgNotRun
			}
		}
	}
	return out, nil
}

// msgNotRetried starts the message of an action whose retry the FailFast hold kept from starting, the native
// engine's words.
const msgNotRetried = "not retried: the workflow stopped after a failure: "

func tmplRetry(t *wfv1.Template) *wfv1.RetryStrategy {
	if t == nil {
		return nil
	}
	return t.RetryStrategy
}

// msgNotRun is the message of an action that did not run because the workflow stopped after a failure, the
// native engine's words.
const msgNotRun = "not run: the workflow stopped after a failure"

func actionStatus(wf *wfv1.Workflow, t Task, node *wfv1.NodeStatus, nodes wfv1.Nodes) v1alpha1.ActionStatus {
	st := v1alpha1.ActionStatus{Name: t.Action, Phase: v1alpha1.ActionPending}
	if node == nil {
		return st
	}
	st.StartTime = timePtr(node.StartedAt)
	st.Message = node.Message

	// The node whose outputs and message tell what happened: the last attempt of a Retry node, else the node.
	last := node
	if node.Type == wfv1.NodeTypeRetry {
		attempts := retryAttempts(node, nodes)
		if len(attempts) > 0 {
			st.RetryCount = int32(len(attempts) - 1)
			last = attempts[len(attempts)-1]
		}
	}

	switch node.Phase {
	case wfv1.NodeSucceeded:
		if node.TaskResultSynced != nil && !*node.TaskResultSynced {
			// Argo has the phase but not yet the outputs; it does not call the node fulfilled either.
			st.Phase = v1alpha1.ActionRunning
		} else {
			st.Phase = v1alpha1.ActionSucceeded
			st.CompletionTime = timePtr(node.FinishedAt)
		}
	case wfv1.NodeSkipped, wfv1.NodeOmitted:
		st.Phase = v1alpha1.ActionSkipped
		st.CompletionTime = timePtr(node.FinishedAt)
		if st.StartTime == nil {
			st.StartTime = st.CompletionTime
		}
		if node.Phase == wfv1.NodeSkipped && t.RuntimeWhen && strings.HasPrefix(node.Message, "when '") {
			// Argo writes the resolved text ("when 'false' evaluated false"); the native engine's words
			// for the same skip say what was decided.
			st.Message = translator.WhenFalseMessage
		}
		if node.Phase == wfv1.NodeOmitted && wf.Spec.Shutdown != "" && !released(wf) {
			// After a shutdown Argo still omits the dependents of the tasks it stopped ("omitted: depends
			// condition not met"): they did not run because the run was canceled.
			st.Phase, st.Message = v1alpha1.ActionCanceled, "canceled"
		}
	case wfv1.NodeFailed, wfv1.NodeError:
		st.Phase = v1alpha1.ActionFailed
		st.CompletionTime = timePtr(node.FinishedAt)
		st.Message = failureMessage(node, last)
		if named := timeoutMessage(t.Template, last.Message); named != last.Message && strings.HasSuffix(st.Message, last.Message) {
			st.Message = strings.TrimSuffix(st.Message, last.Message) + named
		}
		if stoppedByShutdown(wf, st.Message) {
			switch {
			case !released(wf):
				st.Phase = v1alpha1.ActionCanceled
			case last != node && last.Phase.FailedOrError() && !stoppedByShutdown(wf, last.Message):
				// Ended by the operator after a FailFast hold while its next attempt waited: not retried, as
				// natively (or out of retries, which Argo could not record under the suspension).
				st.Message = msgNotRetried + timeoutMessage(t.Template, last.Message)
				if rs := tmplRetry(t.Template); rs != nil && rs.Limit != nil && int(st.RetryCount) >= rs.Limit.IntValue() {
					st.Message = "No more retries left: " + timeoutMessage(t.Template, last.Message)
				}
			default:
				st.Phase, st.Message = v1alpha1.ActionSkipped, msgNotRun
			}
		}
	default: // Pending (created, not yet running) and Running
		st.Phase = v1alpha1.ActionRunning
	}
	if st.Phase == v1alpha1.ActionSucceeded || st.Phase == v1alpha1.ActionFailed {
		st.Outputs = outputs(wf, t.Template, node, last)
	}
	return st
}

// stoppedByShutdown tells a node Argo failed because of spec.shutdown by its message. Argo v3.7 writes two forms:
// "Stopped with strategy 'Terminate'" on http (task set) and Retry nodes, and "workflow shutdown with strategy:
// Terminate" on pod nodes (resource and Job actions), both checked against the real controller (test/e2e).
func stoppedByShutdown(wf *wfv1.Workflow, msg string) bool {
	return wf.Spec.Shutdown != "" &&
		(strings.Contains(msg, "Stopped with strategy") || strings.Contains(msg, "shutdown with strategy"))
}

// retryAttempts returns the attempts of a Retry node in order: the children Argo flagged as retried (what
// Argo itself counts), or, for nodes written without flags, every child.
func retryAttempts(node *wfv1.NodeStatus, nodes wfv1.Nodes) []*wfv1.NodeStatus {
	var flagged, all []*wfv1.NodeStatus
	for _, id := range node.Children {
		c, ok := nodes[id]
		if !ok {
			continue
		}
		all = append(all, &c)
		if c.NodeFlag != nil && c.NodeFlag.Retried {
			flagged = append(flagged, &c)
		}
	}
	if len(flagged) > 0 {
		return flagged
	}
	return all
}

// failureMessage keeps Argo's message; for a Retry node it adds the last attempt's, which says what went wrong
// ("No more retries left: received non-2xx response code: 503").
func failureMessage(node, last *wfv1.NodeStatus) string {
	msg := node.Message
	if last != node && last.Message != "" && last.Message != msg {
		if msg == "" {
			msg = last.Message
		} else {
			msg = msg + ": " + last.Message
		}
	}
	if msg == "" {
		msg = fmt.Sprintf("argo node %s ended %s", node.Name, node.Phase)
	}
	return msg
}

var non2xx = regexp.MustCompile(`response code: (\d{3})`)

// outputs reads an action's outputs from a node: http templates leave the response body in outputs.result
// (Argo records no status code; it is read from a non-2xx failure message when there is one); resource
// templates set the output parameters named by translator.Output*.
func outputs(wf *wfv1.Workflow, tmpl *wfv1.Template, node, last *wfv1.NodeStatus) *v1alpha1.ActionOutputs {
	o := node.Outputs
	if o == nil {
		o = last.Outputs
	}
	isHTTP := node.Type == wfv1.NodeTypeHTTP || last.Type == wfv1.NodeTypeHTTP || (tmpl != nil && tmpl.HTTP != nil)
	if isHTTP {
		resp := &v1alpha1.HTTPResponse{}
		if o != nil && o.Result != nil {
			resp.Body = engine.Truncate(*o.Result, v1alpha1.HTTPResponseBodyLimit)
		}
		if m := non2xx.FindStringSubmatch(last.Message); m != nil {
			if code, err := strconv.Atoi(m[1]); err == nil {
				resp.StatusCode = int32(code)
			}
		}
		if resp.Body == "" && resp.StatusCode == 0 {
			return nil
		}
		return &v1alpha1.ActionOutputs{HTTPResponse: resp}
	}
	if o == nil || len(o.Parameters) == 0 {
		return nil
	}
	params := map[string]string{}
	for _, p := range o.Parameters {
		if p.Value != nil {
			params[p.Name] = p.Value.String()
		}
	}
	ref := &v1alpha1.ResourceRef{
		APIVersion: params[translator.OutputAPIVersion],
		Kind:       params[translator.OutputKind],
		Namespace:  params[translator.OutputNamespace],
		Name:       params[translator.OutputName],
		UID:        types.UID(params[translator.OutputUID]),
	}
	if ref.Name == "" && ref.Kind == "" {
		return nil
	}
	group := ref.APIVersion
	if i := strings.Index(group, "/"); i >= 0 {
		group = group[:i]
	}
	if r := tmplResource(tmpl); r != nil {
		// create made it; so did the `apply` the translator uses for a Job action (it waits on the Job with a
		// successCondition, and re-attaches a retried attempt to the Job the first attempt created). Any other
		// apply made it when the object's UID is not the one recorded before the run (applytargets.go).
		switch {
		case r.Action == "create":
			ref.Created = true
		case r.Action == "apply" && ref.Kind == "Job" && group == "batch" && r.SuccessCondition != "":
			ref.Created = true
		case r.Action == "apply":
			ref.Created = applyCreated(wf, tmpl.Name, ref.UID)
		}
	}
	out := &v1alpha1.ActionOutputs{}
	switch {
	case ref.Kind == "Job" && group == "batch":
		out.JobRef = ref
	case ref.Kind == "Localization" && group == "apps.clusternet.io":
		out.LocalizationRef = ref
	case ref.Kind == "Subscription" && group == "apps.clusternet.io":
		out.SubscriptionRef = ref
	case ref.Kind == "Globalization" && group == "apps.clusternet.io":
		out.GlobalizationRef = ref
	default:
		out.ResourceRef = ref
	}
	return out
}

func tmplResource(t *wfv1.Template) *wfv1.ResourceTemplate {
	if t == nil {
		return nil
	}
	return t.Resource
}

func timePtr(t metav1.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	c := metav1.NewTime(t.Time.UTC().Truncate(1e9))
	return &c
}

// RunStatus maps a Workflow to the status of the run it carries. The run is terminal only when Argo says the
// Workflow completed; its phase is then computed from the actions (any Failed -> Failed; stopped by
// spec.shutdown -> Canceled), not copied from Argo's. Actions Argo never started because the workflow stopped
// (FailFast, shutdown) become Skipped or Canceled with a message.
func RunStatus(wf *wfv1.Workflow) (engine.RunStatus, error) {
	st := engine.RunStatus{
		Phase:        v1alpha1.ExecutionPending,
		ArgoWorkflow: &v1alpha1.ArgoWorkflowRef{Name: wf.Name, Namespace: wf.Namespace, UID: wf.UID},
		StartTime:    timePtr(wf.Status.StartedAt),
	}
	actions, err := ActionStatuses(wf)
	if err != nil {
		return st, err
	}
	st.Actions = actions
	if wf.Status.Phase == "" || wf.Status.Phase == wfv1.WorkflowUnknown {
		if wf.Spec.Shutdown != "" {
			// Stopped before Argo ever looked at it.
			markUnstarted(st.Actions, v1alpha1.ActionCanceled, "canceled before it started")
			st.Phase = v1alpha1.ExecutionCanceled
			st.Message = "canceled before Argo started the Workflow"
		}
		return st, nil
	}
	if !wf.Status.Phase.Completed() {
		st.Phase = v1alpha1.ExecutionRunning
		return st, nil
	}
	st.CompletionTime = timePtr(wf.Status.FinishedAt)
	canceled := wf.Spec.Shutdown != "" && !released(wf)
	if canceled {
		markUnstarted(st.Actions, v1alpha1.ActionCanceled, "canceled")
	} else {
		markUnstarted(st.Actions, v1alpha1.ActionSkipped, msgNotRun)
	}
	c := engine.Counts(st.Actions)
	switch {
	case canceled:
		st.Phase = v1alpha1.ExecutionCanceled
		st.Message = "canceled"
		if wf.Status.Message != "" {
			st.Message = "canceled: " + wf.Status.Message
		}
	case c.Failed > 0:
		st.Phase = v1alpha1.ExecutionFailed
		st.Message = engine.FailureMessage(st.Actions)
	case wf.Status.Phase != wfv1.WorkflowSucceeded:
		// Argo failed the Workflow without failing a task of ours (invalid spec, deadline, ...).
		st.Phase = v1alpha1.ExecutionFailed
		st.Message = fmt.Sprintf("argo Workflow %s %s: %s", wf.Name, wf.Status.Phase, wf.Status.Message)
	default:
		st.Phase = v1alpha1.ExecutionSucceeded
	}
	return st, nil
}

// markUnstarted turns the actions that never ran (or were still running when the Workflow completed) into phase.
func markUnstarted(actions []v1alpha1.ActionStatus, phase v1alpha1.ActionPhase, msg string) {
	for i := range actions {
		if !actions[i].Phase.IsTerminal() {
			actions[i].Phase = phase
			if actions[i].Message == "" {
				actions[i].Message = msg
			}
		}
	}
}
