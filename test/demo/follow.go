package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/stack"
	"github.com/drplan/drplan-operator/test/testenv"
)

// followTimeout bounds the wait for one execution to finish; the quickstart takes seconds.
const followTimeout = 5 * time.Minute

// follow prints one line per change of the execution's status as the API server reports it (a watch, so every
// written status is seen, not just the one a poll happens to catch), until the execution ends; then the summary.
func (d *demo) follow(ctx context.Context, name string) (*drv1.DRPlanExecution, error) {
	fmt.Printf("Progress of %s/%s, from its status in the API server:\n", d.ns, name)
	ctx, cancel := context.WithTimeout(ctx, followTimeout)
	defer cancel()
	var last drv1.DRPlanExecution
	for {
		ex, err := d.watchUntilDone(ctx, name, &last)
		if err == nil {
			fmt.Println()
			for _, line := range summaryLines(ex) {
				fmt.Println(line)
			}
			return ex, nil
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s/%s is still %s after %s (progress %s); %s", d.ns, name,
				phaseOrNew(last.Status.Phase), followTimeout, last.Status.Progress, d.logsHint())
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("interrupted while following %s/%s (%s); it goes on in the stack, and the next "+
				"make demo follows it", d.ns, name, phaseOrNew(last.Status.Phase))
		}
		if !errors.Is(err, errWatchClosed) {
			return nil, err
		}
	}
}

var errWatchClosed = errors.New("watch closed")

// watchUntilDone reads the execution, then watches it from that version; it returns the execution once it is
// terminal, errWatchClosed when the API server ends the watch (the caller starts over), or another error.
// last holds the status printed so far.
func (d *demo) watchUntilDone(ctx context.Context, name string, last *drv1.DRPlanExecution) (*drv1.DRPlanExecution, error) {
	ex := &drv1.DRPlanExecution{}
	if err := d.c.Get(ctx, types.NamespacedName{Namespace: d.ns, Name: name}, ex); err != nil {
		return nil, fmt.Errorf("reading DRPlanExecution %s/%s: %w", d.ns, name, err)
	}
	if last.Status.Phase == "" && ex.Status.Phase.IsTerminal() {
		fmt.Println("  (it had finished already: the lines below are its final status, read now)")
	}
	if report(last, ex) {
		return ex, nil
	}
	w, err := d.c.Watch(ctx, &drv1.DRPlanExecutionList{}, client.InNamespace(d.ns),
		client.MatchingFieldsSelector{Selector: fields.OneTermEqualSelector("metadata.name", name)},
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: ex.ResourceVersion, AllowWatchBookmarks: true}})
	if err != nil {
		return nil, fmt.Errorf("watching DRPlanExecution %s/%s: %w", d.ns, name, err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		switch ev.Type {
		case watch.Added, watch.Modified:
			if ex, ok := ev.Object.(*drv1.DRPlanExecution); ok && report(last, ex) {
				return ex, nil
			}
		case watch.Deleted:
			return nil, fmt.Errorf("DRPlanExecution %s/%s was deleted while the demo followed it", d.ns, name)
		case watch.Error:
			return nil, errWatchClosed // e.g. the version expired: read afresh
		}
	}
	return nil, errWatchClosed
}

// report prints the changes from last to ex, remembers ex, and says whether ex has finished.
func report(last, ex *drv1.DRPlanExecution) bool {
	now := time.Now()
	for _, c := range statusChanges(&last.Status, &ex.Status) {
		fmt.Println(formatChange(now, c))
	}
	*last = *ex.DeepCopy()
	return ex.Status.Phase.IsTerminal()
}

// printWorkflows prints every Argo Workflow the operator created for the execution, read back from the API
// server, without status and managedFields.
func (d *demo) printWorkflows(ctx context.Context, ex *drv1.DRPlanExecution) error {
	for _, r := range allRuns(&ex.Status) {
		if r.st.ArgoWorkflow == nil || r.st.ArgoWorkflow.Name == "" {
			fmt.Printf("\n%s ran on the %s engine: no Argo Workflow.\n", r.where, r.st.Engine)
			continue
		}
		ref := r.st.ArgoWorkflow
		ns := ref.Namespace
		if ns == "" {
			ns = ex.Namespace
		}
		wf := &unstructured.Unstructured{}
		wf.SetAPIVersion("argoproj.io/v1alpha1")
		wf.SetKind("Workflow")
		if err := d.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, wf); err != nil {
			return fmt.Errorf("reading Argo Workflow %s/%s of %s: %w", ns, ref.Name, r.where, err)
		}
		out, err := yaml.Marshal(compiledView(wf))
		if err != nil {
			return err
		}
		if d.workflow == "" {
			d.workflow = ref.Name
		}
		fmt.Printf("\nThe Argo Workflow the operator compiled for %s, as stored in the API server "+
			"(status and managedFields left out):\n---\n%s", r.where, out)
	}
	return nil
}

// compiledView keeps what the operator wrote: the identity, labels, annotations and spec.
func compiledView(wf *unstructured.Unstructured) map[string]any {
	md := map[string]any{"name": wf.GetName(), "namespace": wf.GetNamespace()}
	if l := wf.GetLabels(); len(l) > 0 {
		md["labels"] = l
	}
	if a := wf.GetAnnotations(); len(a) > 0 {
		md["annotations"] = a
	}
	return map[string]any{"apiVersion": wf.GetAPIVersion(), "kind": wf.GetKind(), "metadata": md, "spec": wf.Object["spec"]}
}

// hints says how to look around the running stack.
func (d *demo) hints(info readyInfo) {
	run, wf := d.forward, d.workflow
	if run == "" {
		run = "<execution>"
	}
	if wf == "" {
		wf = "<workflow>"
	}
	fmt.Printf(`
The demo stack keeps running (until %s). To look around:
  export KUBECONFIG=%s
  export PATH=$PATH:%s             # if kubectl is not installed: the one make built
  kubectl get dr -A                  # DRWorkflows, DRPlans, DRPlanExecutions
  kubectl get workflows -A           # the Argo Workflows the operator created
  kubectl get drpe %s -n %s -o yaml
  export ARGO_SERVER=%s ARGO_SECURE=false ARGO_TOKEN="Bearer none"   # the server checks no token (--auth-mode=server)
  %s/argo list -A      # the same with the argo CLI (built by make e2e-tools), through the Argo Server
  %s/argo get -n %s %s
  curl %s/api/v1/workflows/%s   # the Argo Server's API (the Argo UI is not built here: docs/e2e.md)
Logs: %s (operator.log, workflow-controller.log, kwok.log, ...) and %s
Run the demo again (new executions on the same stack): make demo. Stop the stack: make demo-down
`, info.Expires.Format("15:04"), info.Kubeconfig, kubectlDir(), run, d.ns, strings.TrimPrefix(info.ArgoServer, "http://"),
		toolsDir(), toolsDir(), d.ns, wf, info.ArgoServer, d.ns, info.Logs, d.p.serveLog)
}

// toolsDir is where the e2e tools, the argo CLI among them, are.
func toolsDir() string {
	root, err := testenv.RepoRoot()
	if err != nil {
		return "<DRPLAN_E2E_TOOLS>"
	}
	o, err := stack.OptionsFromEnv(root)
	if err != nil {
		return "<DRPLAN_E2E_TOOLS>"
	}
	return o.ToolsDir
}

// kubectlDir is where the envtest binaries, kubectl among them, are.
func kubectlDir() string {
	dir, err := testenv.AssetsDir()
	if err != nil {
		return "<KUBEBUILDER_ASSETS>"
	}
	return dir
}
