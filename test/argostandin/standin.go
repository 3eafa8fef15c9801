// Package argostandin plays the part of Argo's workflow-controller (v3.7) in integration tests, where no Argo
// runs: it watches nothing and polls Workflows, and on each pass advances every unfinished Workflow by one step,
// writing its status the way Argo does. It is a fake; this comment says exactly what it fakes.
//
// What it writes (read from argo-workflows v3.7 workflow/controller/{operator,dag}.go, and compared node by node
// with what the real workflow-controller v3.7.18 wrote for the same compiled Workflows in test/e2e):
//   - status.phase Running with startedAt, then Succeeded or Failed with finishedAt; the Workflow's message is
//     empty for a failure and "Stopped with strategy 'Terminate'" after a shutdown. The Workflow is updated as a
//     whole object (Argo's Workflow CRD has no status subresource).
//   - a root DAG node named and identified by the Workflow's name, whose message stays empty; one node per
//     started DAG task named exactly "<workflow name>.<task name>" with the ID Argo derives from that name
//     (Workflow.NodeID), its displayName the task name, boundaryID the root, templateName, startedAt/finishedAt.
//     Edges: the root's children are the tasks without dependencies, a task's children its dependents; a
//     dependent of a retried task hangs under its last attempt (Argo's outbound node), not the Retry node.
//   - tasks whose template has a retryStrategy get a Retry node holding the final phase whose children are
//     the attempts "<node>(0)", "<node>(1)", ... flagged nodeFlag.retried; an exhausted Retry node ends with
//     Argo's message "No more retries left" and its last attempt's phase; it takes the last attempt's outputs.
//   - `when` that is "false", literally or once its expression tag is resolved with Argo's own template library
//     over the tasks' status and outputs -> a Skipped node "when 'false' evaluated false"; a task whose depends
//     logic cannot be met (a dependency neither Succeeded nor Skipped nor Daemoned, no continueOn) -> an
//     Omitted node "omitted: depends condition not met".
//   - DAG failFast holds nothing back: Argo v3.7 reads it only when it assesses the DAG's phase, so after a
//     failure the tasks that do not depend on it still start, under failFast true or false alike.
//   - http templates: node type HTTP, outputs.result is the body (on failure too; none when the call got no
//     answer, e.g. past its timeoutSeconds: Outcome.NoResponse); a failure says
//     "successCondition '<condition>' evaluated false" when the template has a successCondition (the
//     translator always writes one) and "received non-2xx response code: N" only without one. Resource
//     templates: node type Pod, output parameters declared by the template (valueFrom.jsonPath) filled from the
//     manifest's apiVersion/kind/metadata and a generated uid; taskResultSynced false first, then true with the
//     outputs one pass later, as Argo's task results arrive; a failed pod node has taskResultSynced true.
//   - suspend templates: a Suspend node that stays Running until someone sets it Succeeded (argo resume).
//   - spec.suspend true: running pod nodes still advance, http nodes do not (Argo reconciles their task sets
//     after its suspend check), no node is created and the Workflow does not end, not even after a shutdown,
//     until the suspension is lifted. An http call still ends meanwhile, as Argo's agent ends it: its result
//     goes to the status of the WorkflowTaskSet named like the Workflow (status.nodes by node ID, the agent's
//     NodeResult), and reaches the node on the first pass without suspend and without shutdown.
//   - spec.shutdown set: unfinished http and Retry nodes -> Failed "Stopped with strategy 'Terminate'", pod
//     nodes -> Failed "workflow shutdown with strategy:  Terminate" (two spaces, as Argo writes it); nothing new
//     starts; the Workflow fails in the same pass, omitting the dependents of stopped http nodes, while the
//     dependents of stopped pod nodes get no node (their task results arrive after Argo assessed the DAG).
//
// What it does not do: run pods, evaluate Argo expressions other than a `when` (through Argo's
// util/template) and a retryStrategy expression (with the expr-lang library Argo uses), honour retry
// backoff timing (one attempt per pass), synchronization, TTL, pod GC, hooks, steps templates, artifacts.
// Outcomes of each task come from a Script the test supplies; by default every task succeeds.
package argostandin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/util/template"
	"github.com/expr-lang/expr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/drplan/drplan-operator/translator"
)

// Outcome says how a task ends.
type Outcome struct {
	// Fail makes every attempt fail with Message (default "failed").
	Fail bool
	// Message of a failure.
	Message string
	// FailAttempts makes the first N attempts fail, then the task succeeds (needs a retryStrategy to retry).
	FailAttempts int
	// Hold keeps the task Running until the Script says otherwise.
	Hold bool
	// Result is the http body (outputs.result).
	Result string
	// StatusCode of an http call; >= 300 fails with Argo's non-2xx message.
	StatusCode int
	// NoResponse fails an http call that got no answer (a transport error, its timeout): the agent then
	// records Message and no outputs.
	NoResponse bool
	// Params override output parameter values by name.
	Params map[string]string
}

// Task identifies a task to a Script.
type Task struct {
	Workflow *wfv1.Workflow
	// Name of the DAG task and the action it runs (from the task -> action annotation).
	Name, Action string
	// Attempt is the 0-based attempt about to end.
	Attempt int
}

// Script decides outcomes. It must be safe to call from the stand-in's goroutine.
type Script func(t Task) Outcome

// StandIn is the fake workflow-controller.
type StandIn struct {
	Client   client.Client
	Interval time.Duration

	mu     sync.Mutex
	script Script
	// taskSets holds the http results the agent part recorded under spec.suspend, by Workflow, until they
	// reach the nodes; Pass writes them to the WorkflowTaskSet.
	taskSets map[types.NamespacedName]map[string]wfv1.NodeResult
	paused   atomic.Bool
	// Writes counts status updates the stand-in made (node transitions written).
	Writes  atomic.Int64
	onWrite func(wf *wfv1.Workflow)
}

// SetOnWrite sets a function called after each status write with the Workflow as written (nil: none).
func (s *StandIn) SetOnWrite(f func(wf *wfv1.Workflow)) {
	s.mu.Lock()
	s.onWrite = f
	s.mu.Unlock()
}

// New returns a stand-in polling every interval (default 20ms).
func New(c client.Client) *StandIn { return &StandIn{Client: c, Interval: 20 * time.Millisecond} }

// SetScript replaces the outcome script (nil: everything succeeds).
func (s *StandIn) SetScript(f Script) {
	s.mu.Lock()
	s.script = f
	s.mu.Unlock()
}

// Pause stops advancing Workflows until Resume (Workflows keep their current status).
func (s *StandIn) Pause()  { s.paused.Store(true) }
func (s *StandIn) Resume() { s.paused.Store(false) }

func (s *StandIn) outcome(t Task) Outcome {
	s.mu.Lock()
	f := s.script
	s.mu.Unlock()
	if f == nil {
		return Outcome{}
	}
	return f(t)
}

// Start runs the stand-in until ctx ends.
func (s *StandIn) Start(ctx context.Context) {
	go func() {
		tick := time.NewTicker(s.Interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if !s.paused.Load() {
					_ = s.Pass(ctx)
				}
			}
		}
	}()
}

// Pass advances every unfinished Workflow by one step.
func (s *StandIn) Pass(ctx context.Context) error {
	list := &wfv1.WorkflowList{}
	if err := s.Client.List(ctx, list); err != nil {
		return err
	}
	for i := range list.Items {
		wf := &list.Items[i]
		if wf.Status.Phase.Completed() || wf.DeletionTimestamp != nil {
			continue
		}
		changed := s.Step(wf)
		if err := s.writeTaskSet(ctx, wf); err != nil {
			return err
		}
		if changed {
			if err := s.Client.Update(ctx, wf); err != nil {
				if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
					continue
				}
				return err
			}
			s.Writes.Add(1)
			s.mu.Lock()
			f := s.onWrite
			s.mu.Unlock()
			if f != nil {
				f(wf)
			}
		}
	}
	return nil
}

func now() metav1.Time { return metav1.NewTime(time.Now().UTC().Truncate(time.Second)) }

type dagTask struct {
	task *wfv1.DAGTask
	tmpl *wfv1.Template
}

// Step advances wf in memory by one pass and reports whether it changed.
func (s *StandIn) Step(wf *wfv1.Workflow) bool {
	if wf.Status.Phase == "" || wf.Status.Phase == wfv1.WorkflowPending || wf.Status.Phase == wfv1.WorkflowUnknown {
		wf.Status.Phase = wfv1.WorkflowRunning
		wf.Status.StartedAt = now()
		wf.Status.Nodes = wfv1.Nodes{wf.Name: {ID: wf.Name, Name: wf.Name, DisplayName: wf.Name, Type: wfv1.NodeTypeDAG,
			TemplateName: wf.Spec.Entrypoint, Phase: wfv1.NodeRunning, StartedAt: now()}}
		return true
	}
	var main *wfv1.Template
	for i := range wf.Spec.Templates {
		if wf.Spec.Templates[i].Name == wf.Spec.Entrypoint {
			main = &wf.Spec.Templates[i]
		}
	}
	if main == nil || main.DAG == nil {
		return s.finish(wf, wfv1.WorkflowError, fmt.Sprintf("invalid spec: template %q is not a DAG", wf.Spec.Entrypoint))
	}
	mapping := map[string]string{}
	_ = json.Unmarshal([]byte(wf.Annotations[translator.AnnotationTaskActions]), &mapping)
	tasks := map[string]dagTask{}
	for i := range main.DAG.Tasks {
		t := &main.DAG.Tasks[i]
		var tmpl *wfv1.Template
		for j := range wf.Spec.Templates {
			if wf.Spec.Templates[j].Name == t.Template {
				tmpl = &wf.Spec.Templates[j]
			}
		}
		tasks[t.Name] = dagTask{task: t, tmpl: tmpl}
	}
	changed := false
	shutdown := wf.Spec.Shutdown != ""
	suspended := wf.Spec.Suspend != nil && *wf.Spec.Suspend

	// 1. Advance running tasks (Argo: pod and task set reconciliation).
	anyFailed := false
	for i := range main.DAG.Tasks {
		name := main.DAG.Tasks[i].Name
		n := s.node(wf, name)
		if n == nil {
			continue
		}
		if !n.Fulfilled() {
			if shutdown {
				s.stop(wf, n)
				changed = true
				continue
			}
			if n.Type == wfv1.NodeTypeSuspend {
				continue // waits until resumed (argo resume, or the operator's approval)
			}
			if suspended && n.Type == wfv1.NodeTypeHTTP {
				s.agentResult(wf, tasks[name], mapping[name], n) // the agent ends the call; Argo shows it later
				continue
			}
			if s.applyAgentResult(wf, n) {
				changed = true
				continue
			}
			if s.advance(wf, tasks[name], mapping[name], n) {
				changed = true
			}
		}
		if n2 := s.node(wf, name); n2 != nil && n2.Phase.FailedOrError() {
			anyFailed = true
		}
	}
	if changed || suspended {
		return changed // suspended: Argo starts no node and assesses nothing until spec.suspend is lifted
	}

	// 2. Create the nodes of tasks whose dependencies are fulfilled (Argo's executeDAG, every pass): Omitted when
	// the depends logic fails, Skipped when `when` is false, else started. DAG failFast does not hold anything
	// back: Argo v3.7 reads it only when it assesses the DAG's phase, once every started node is fulfilled.
	// After a shutdown nothing new starts and Argo fails the DAG in the same pass (assessDAGPhase), omitting only
	// the dependents of tasks already fulfilled then: http nodes it stopped, not pod nodes, whose task results
	// arrive later.
	for i := range main.DAG.Tasks {
		t := &main.DAG.Tasks[i]
		if s.node(wf, t.Name) != nil {
			continue
		}
		ready, run := s.depsState(wf, tasks, t)
		if !ready || (shutdown && (run || s.stoppedPodDependency(wf, t))) {
			continue
		}
		changed = true
		name := wf.Name + "." + t.Name
		switch {
		case !run:
			s.put(wf, name, t.Name, wfv1.NodeTypeSkipped, wfv1.NodeOmitted, "omitted: depends condition not met", t)
			s.markDone(wf, name)
		case s.resolveWhen(wf, main.DAG.Tasks, t.When) == "false":
			s.put(wf, name, t.Name, wfv1.NodeTypeSkipped, wfv1.NodeSkipped, "when 'false' evaluated false", t)
			s.markDone(wf, name)
		default:
			tmpl := tasks[t.Name].tmpl
			typ := wfv1.NodeTypePod
			if tmpl != nil && tmpl.HTTP != nil {
				typ = wfv1.NodeTypeHTTP
			}
			if tmpl != nil && tmpl.Suspend != nil {
				typ = wfv1.NodeTypeSuspend
			}
			if tmpl != nil && tmpl.RetryStrategy != nil {
				s.put(wf, name, t.Name, wfv1.NodeTypeRetry, wfv1.NodeRunning, "", t)
				s.addAttempt(wf, name, typ)
			} else {
				s.put(wf, name, t.Name, typ, wfv1.NodeRunning, "", t)
			}
		}
	}
	if changed && !shutdown {
		return true
	}

	// 3. Nothing running and nothing to start: the Workflow is done. Argo leaves the root node's message empty;
	// the Workflow's message is empty for a failure and names the strategy after a shutdown.
	for i := range main.DAG.Tasks {
		if n := s.node(wf, main.DAG.Tasks[i].Name); n != nil && !n.Fulfilled() {
			return changed
		}
	}
	switch {
	case shutdown:
		s.finish(wf, wfv1.WorkflowFailed, fmt.Sprintf("Stopped with strategy '%s'", wf.Spec.Shutdown))
		return true
	case anyFailed:
		return s.finish(wf, wfv1.WorkflowFailed, "")
	}
	return s.finish(wf, wfv1.WorkflowSucceeded, "")
}

// resolveWhen is a task's `when` as the controller resolves it before deciding (dag.go,
// resolveDependencyReferences): JSON-marshalled, its tags substituted by Argo's own template.ReplaceStrictAny
// over the tasks' variables (status, outputs.result, outputs.parameters; a Retry node carries its last
// attempt's phase and outputs), and unmarshalled. Every finished task is in scope, not only the ancestors: the
// translator lets a `when` read only its ancestors, so the answer is the same. A `when` it cannot resolve is
// returned as written.
func (s *StandIn) resolveWhen(wf *wfv1.Workflow, tasks []wfv1.DAGTask, when string) string {
	when = strings.TrimSpace(when)
	if !strings.Contains(when, "{{") {
		return when
	}
	scope := map[string]any{}
	for i := range tasks {
		n := s.node(wf, tasks[i].Name)
		if n == nil || !n.Fulfilled() {
			continue
		}
		prefix := "tasks." + tasks[i].Name
		scope[prefix+".status"] = string(n.Phase)
		if o := n.Outputs; o != nil {
			if o.Result != nil {
				scope[prefix+".outputs.result"] = *o.Result
			}
			for _, p := range o.Parameters {
				if p.Value != nil {
					scope[prefix+".outputs.parameters."+p.Name] = p.Value.String()
				}
			}
		}
	}
	raw, err := json.Marshal(when)
	if err != nil {
		return when
	}
	out, err := template.ReplaceStrictAny(string(raw), scope, []string{"tasks", "steps"})
	if err != nil {
		return when
	}
	var resolved string
	if err := json.Unmarshal([]byte(out), &resolved); err != nil {
		return when
	}
	return resolved
}

func (s *StandIn) node(wf *wfv1.Workflow, task string) *wfv1.NodeStatus {
	n, ok := wf.Status.Nodes[wf.NodeID(wf.Name+"."+task)]
	if !ok {
		return nil
	}
	return &n
}

func (s *StandIn) set(wf *wfv1.Workflow, n *wfv1.NodeStatus) { wf.Status.Nodes[n.ID] = *n }

// put creates a task node and links it under its dependencies (or the root).
func (s *StandIn) put(wf *wfv1.Workflow, name, display string, typ wfv1.NodeType, phase wfv1.NodePhase, msg string, t *wfv1.DAGTask) {
	id := wf.NodeID(name)
	wf.Status.Nodes[id] = wfv1.NodeStatus{ID: id, Name: name, DisplayName: display, Type: typ, TemplateName: t.Template,
		Phase: phase, BoundaryID: wf.Name, Message: msg, StartedAt: now()}
	parents := deps(t)
	if len(parents) == 0 {
		parents = []string{""}
	}
	for _, p := range parents {
		pid := wf.Name
		if p != "" {
			pid = s.outbound(wf, wf.NodeID(wf.Name+"."+p))
		}
		pn := wf.Status.Nodes[pid]
		pn.Children = append(pn.Children, id)
		wf.Status.Nodes[pid] = pn
	}
}

// outbound is the node a dependent task hangs under, as Argo's getOutboundNodes says: a Retry node's last
// attempt, any other task node itself.
func (s *StandIn) outbound(wf *wfv1.Workflow, id string) string {
	n := wf.Status.Nodes[id]
	if n.Type == wfv1.NodeTypeRetry && len(n.Children) > 0 {
		return n.Children[len(n.Children)-1]
	}
	return id
}

func (s *StandIn) markDone(wf *wfv1.Workflow, name string) {
	n := wf.Status.Nodes[wf.NodeID(name)]
	n.FinishedAt = n.StartedAt
	wf.Status.Nodes[n.ID] = n
}

// retryExpressionAllows evaluates a retryStrategy's expression over the failed last attempt, as Argo does,
// with the expr-lang library Argo uses; its variable lastRetry carries the attempt's message and status (an
// expression that does not evaluate to a boolean allows no retry, as in Argo). No expression allows it.
func retryExpressionAllows(rs *wfv1.RetryStrategy, last *wfv1.NodeStatus) bool {
	if rs == nil || rs.Expression == "" {
		return true
	}
	env := map[string]any{"lastRetry": map[string]any{"message": last.Message, "status": string(last.Phase),
		"exitCode": "-1", "duration": "0"}}
	out, err := expr.Eval(rs.Expression, env)
	allowed, ok := out.(bool)
	return err == nil && ok && allowed
}

func (s *StandIn) addAttempt(wf *wfv1.Workflow, parent string, typ wfv1.NodeType) {
	p := wf.Status.Nodes[wf.NodeID(parent)]
	name := fmt.Sprintf("%s(%d)", parent, len(p.Children))
	id := wf.NodeID(name)
	wf.Status.Nodes[id] = wfv1.NodeStatus{ID: id, Name: name, DisplayName: name[strings.LastIndex(name, ".")+1:], Type: typ,
		TemplateName: p.TemplateName, Phase: wfv1.NodeRunning, BoundaryID: wf.Name, StartedAt: now(),
		NodeFlag: &wfv1.NodeFlag{Retried: true}}
	p.Children = append(p.Children, id)
	wf.Status.Nodes[p.ID] = p
}

// advance moves a running task one step: finish its (current attempt's) node per the script, start another
// attempt, or finish the Retry node.
func (s *StandIn) advance(wf *wfv1.Workflow, dt dagTask, action string, n *wfv1.NodeStatus) bool {
	if action == "" {
		action = dt.task.Name
	}
	target := n
	attempt := 0
	if n.Type == wfv1.NodeTypeRetry {
		last := wf.Status.Nodes[n.Children[len(n.Children)-1]]
		attempt = len(n.Children) - 1
		target = &last
		if last.Fulfilled() {
			limit := 0
			if dt.tmpl != nil && dt.tmpl.RetryStrategy != nil && dt.tmpl.RetryStrategy.Limit != nil {
				limit = dt.tmpl.RetryStrategy.Limit.IntValue()
			}
			switch {
			case last.Phase == wfv1.NodeSucceeded:
				n.Phase, n.FinishedAt, n.Outputs = wfv1.NodeSucceeded, now(), last.Outputs.DeepCopy()
			case !retryExpressionAllows(dt.tmpl.RetryStrategy, &last):
				n.Phase, n.FinishedAt, n.Message, n.Outputs = last.Phase, now(), "retryStrategy.expression evaluated to false", last.Outputs.DeepCopy()
			case len(n.Children) > limit:
				n.Phase, n.FinishedAt, n.Message, n.Outputs = last.Phase, now(), "No more retries left", last.Outputs.DeepCopy()
			default:
				s.addAttempt(wf, n.Name, last.Type)
				return true
			}
			s.set(wf, n)
			return true
		}
	}
	// Resource results arrive in a second write, as Argo's WorkflowTaskResults do.
	if target.Phase == wfv1.NodeSucceeded && target.TaskResultSynced != nil && !*target.TaskResultSynced {
		t := true
		target.TaskResultSynced = &t
		target.Outputs = s.resourceOutputs(dt.tmpl, s.outcome(Task{Workflow: wf, Name: dt.task.Name, Action: action, Attempt: attempt}))
		s.set(wf, target)
		return true
	}
	o := s.outcome(Task{Workflow: wf, Name: dt.task.Name, Action: action, Attempt: attempt})
	if o.Hold {
		return false
	}
	fail := o.Fail || attempt < o.FailAttempts
	msg := o.Message
	isHTTP := dt.tmpl != nil && dt.tmpl.HTTP != nil
	switch {
	case isHTTP:
		code := o.StatusCode
		if code == 0 {
			code = 200
			if fail {
				code = 500
			}
		}
		target.Outputs = &wfv1.Outputs{Result: &o.Result}
		if code >= 300 || code < 200 {
			fail = true
		}
		if o.NoResponse {
			target.Outputs, fail = nil, true
		}
		if fail && msg == "" {
			// Argo's agent names the status code only when the template has no successCondition; the
			// translator always writes one, so a real failure says which condition failed, not the code.
			msg = fmt.Sprintf("received non-2xx response code: %d", code)
			if c := dt.tmpl.HTTP.SuccessCondition; c != "" {
				msg = fmt.Sprintf("successCondition '%s' evaluated false", c)
			}
		}
	case !fail:
		f := false
		target.TaskResultSynced = &f
	}
	if fail {
		if msg == "" {
			msg = "failed"
		}
		target.Phase, target.Message = wfv1.NodeFailed, msg
		if !isHTTP {
			target.Outputs = nil
			s.synced(target)
		}
	} else {
		target.Phase = wfv1.NodeSucceeded
	}
	target.FinishedAt = now()
	s.set(wf, target)
	return true
}

func (s *StandIn) resourceOutputs(tmpl *wfv1.Template, o Outcome) *wfv1.Outputs {
	if tmpl == nil || tmpl.Resource == nil {
		return nil
	}
	var obj struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	_ = yaml.Unmarshal([]byte(tmpl.Resource.Manifest), &obj)
	from := map[string]string{
		translator.OutputAPIVersion: obj.APIVersion, translator.OutputKind: obj.Kind,
		translator.OutputName: obj.Metadata.Name, translator.OutputNamespace: obj.Metadata.Namespace,
		translator.OutputUID: string(uuid.NewUUID()),
	}
	out := &wfv1.Outputs{}
	for _, p := range tmpl.Outputs.Parameters {
		v, ok := o.Params[p.Name]
		if !ok {
			v = from[p.Name]
		}
		out.Parameters = append(out.Parameters, wfv1.Parameter{Name: p.Name, Value: wfv1.AnyStringPtr(v), ValueFrom: p.ValueFrom})
	}
	return out
}

// stop fails an unfinished node on spec.shutdown with the message Argo writes for its kind: task set nodes
// (http) and Retry nodes "Stopped with strategy 'Terminate'", pod nodes "workflow shutdown with strategy:
// Terminate" (two spaces, as Argo's exec_control.go writes it).
func (s *StandIn) stop(wf *wfv1.Workflow, n *wfv1.NodeStatus) {
	msgFor := func(typ wfv1.NodeType) string {
		if typ == wfv1.NodeTypePod {
			return fmt.Sprintf("workflow shutdown with strategy:  %s", wf.Spec.Shutdown)
		}
		return fmt.Sprintf("Stopped with strategy '%s'", wf.Spec.Shutdown)
	}
	if n.Type == wfv1.NodeTypeRetry {
		for _, c := range n.Children {
			cn := wf.Status.Nodes[c]
			if !cn.Fulfilled() {
				cn.Phase, cn.Message, cn.FinishedAt = wfv1.NodeFailed, msgFor(cn.Type), now()
				s.synced(&cn)
				wf.Status.Nodes[c] = cn
			}
		}
	}
	n.Phase, n.Message, n.FinishedAt = wfv1.NodeFailed, msgFor(n.Type), now()
	s.synced(n)
	s.set(wf, n)
}

// synced marks a finished pod node's task result as arrived: Argo ends every pod node with
// taskResultSynced true, failed ones included.
func (s *StandIn) synced(n *wfv1.NodeStatus) {
	if n.Type == wfv1.NodeTypePod {
		t := true
		n.TaskResultSynced = &t
	}
}

// stoppedPodDependency reports whether a dependency of t is a pod node that the shutdown stopped.
func (s *StandIn) stoppedPodDependency(wf *wfv1.Workflow, t *wfv1.DAGTask) bool {
	for _, d := range deps(t) {
		if n := s.node(wf, d); n != nil {
			if last := wf.Status.Nodes[s.outbound(wf, n.ID)]; last.Type == wfv1.NodeTypePod && strings.Contains(last.Message, "shutdown with strategy") {
				return true
			}
		}
	}
	return false
}

// depsState reports whether a task's dependencies are all fulfilled, and whether its depends logic then
// holds (each dependency Succeeded, Skipped or Daemoned, or Failed/Errored with continueOn).
func (s *StandIn) depsState(wf *wfv1.Workflow, tasks map[string]dagTask, t *wfv1.DAGTask) (ready, run bool) {
	run = true
	for _, d := range deps(t) {
		n := s.node(wf, d)
		if n == nil || !n.Fulfilled() {
			return false, false
		}
		ok := n.Phase == wfv1.NodeSucceeded || n.Phase == wfv1.NodeSkipped
		if dt, found := tasks[d]; found && dt.task.ContinueOn != nil {
			ok = ok || (dt.task.ContinueOn.Failed && n.Phase == wfv1.NodeFailed) || (dt.task.ContinueOn.Error && n.Phase == wfv1.NodeError)
		}
		if !ok {
			run = false
		}
	}
	return true, run
}

// deps lists a task's dependencies: `dependencies`, or the task names named in `depends`.
func deps(t *wfv1.DAGTask) []string {
	if len(t.Dependencies) > 0 {
		return t.Dependencies
	}
	if t.Depends == "" {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	f := strings.FieldsFunc(t.Depends, func(r rune) bool {
		return r == ' ' || r == '(' || r == ')' || r == '&' || r == '|' || r == '!'
	})
	for _, w := range f {
		name := w
		if i := strings.Index(w, "."); i >= 0 {
			name = w[:i]
		}
		if name != "" && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

func (s *StandIn) finish(wf *wfv1.Workflow, phase wfv1.WorkflowPhase, msg string) bool {
	wf.Status.Phase = phase
	wf.Status.Message = msg
	wf.Status.FinishedAt = now()
	if root, ok := wf.Status.Nodes[wf.Name]; ok {
		root.Phase = wfv1.NodePhase(phase)
		if phase == wfv1.WorkflowError {
			root.Phase = wfv1.NodeError
		}
		root.FinishedAt = now()
		if phase == wfv1.WorkflowError {
			root.Message = msg
		}
		wf.Status.Nodes[wf.Name] = root
	}
	return true
}
