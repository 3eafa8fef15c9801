package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/testenv"
)

const (
	quickstartFile = "examples/quickstart/quickstart.yaml"
	// markerConfigMap is what the quickstart's forward run creates and its Revert deletes.
	markerConfigMap = "dr-active-site"
	// planReadyTimeout bounds the wait for the DRPlan reconciler to validate the plan.
	planReadyTimeout = time.Minute
	// createAttempts bounds the search for a free execution name when another `up` races this one.
	createAttempts = 5
)

// demo runs the quickstart on a running stack.
type demo struct {
	c    client.WithWatch
	ns   string
	root string
	p    paths

	forward  string // the Execute run, and its first Argo Workflow, for the hints
	workflow string
}

// run applies the quickstart, runs it forward, shows the compiled Workflow, and reverts the run.
func (d *demo) run(ctx context.Context) error {
	tmpl, err := d.applyQuickstart(ctx)
	if err != nil {
		return err
	}
	forward, err := d.executeRun(ctx, tmpl)
	if err != nil {
		return err
	}
	d.forward = forward.Name
	if forward, err = d.follow(ctx, forward.Name); err != nil {
		return err
	}
	d.showMarker(ctx)
	if err := d.printWorkflows(ctx, forward); err != nil {
		return err
	}
	if forward.Status.Phase != drv1.ExecutionSucceeded && forward.Status.Phase != drv1.ExecutionFailed {
		return fmt.Errorf("execution %s ended %s; only a Succeeded or Failed run can be reverted (%s)",
			forward.Name, forward.Status.Phase, d.logsHint())
	}
	revert, err := d.revertRun(ctx, forward)
	if err != nil {
		return err
	}
	if revert, err = d.follow(ctx, revert.Name); err != nil {
		return err
	}
	d.showMarker(ctx)
	return d.verdict(forward, revert)
}

// verdict fails the command when either run did not succeed.
func (d *demo) verdict(forward, revert *drv1.DRPlanExecution) error {
	for _, ex := range []*drv1.DRPlanExecution{forward, revert} {
		if ex.Status.Phase != drv1.ExecutionSucceeded {
			return fmt.Errorf("%s %s ended %s: %s (%s)", ex.Spec.GetOperationType(), ex.Name, ex.Status.Phase,
				oneLine(ex.Status.Message), d.logsHint())
		}
	}
	return nil
}

func (d *demo) logsHint() string {
	return fmt.Sprintf("operator log: %s, Argo and pod runner logs: %s", filepath.Join(d.p.logs, "operator.log"), d.p.logs)
}

// applyQuickstart applies the example's DRWorkflow and DRPlan into the demo namespace, waits for the plan to
// be Ready, and returns the example's DRPlanExecution as the template of the runs.
func (d *demo) applyQuickstart(ctx context.Context) (*drv1.DRPlanExecution, error) {
	objs, err := testenv.ReadObjects(filepath.Join(d.root, quickstartFile))
	if err != nil {
		return nil, err
	}
	var defs []*unstructured.Unstructured
	var tmpl *drv1.DRPlanExecution
	for _, o := range objs {
		if o.GetKind() != "DRPlanExecution" {
			defs = append(defs, o)
			continue
		}
		tmpl = &drv1.DRPlanExecution{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, tmpl); err != nil {
			return nil, fmt.Errorf("%s: DRPlanExecution %s: %w", quickstartFile, o.GetName(), err)
		}
	}
	if tmpl == nil {
		return nil, fmt.Errorf("%s holds no DRPlanExecution", quickstartFile)
	}
	fmt.Printf("\nApplying %s to namespace %s (its default params: the notify action is skipped, nothing outside "+
		"the cluster is called).\n", quickstartFile, d.ns)
	if err := testenv.ApplyAll(ctx, d.c, fieldOwner, d.ns, defs); err != nil {
		return nil, err
	}
	return tmpl, d.waitPlanReady(ctx, tmpl.Spec.PlanRef)
}

// waitPlanReady waits for the DRPlan reconciler's verdict on the plan.
func (d *demo) waitPlanReady(ctx context.Context, name string) error {
	plan := &drv1.DRPlan{}
	var cond *metav1.Condition
	err := wait.PollUntilContextTimeout(ctx, pollStep, planReadyTimeout, true, func(ctx context.Context) (bool, error) {
		if err := d.c.Get(ctx, types.NamespacedName{Namespace: d.ns, Name: name}, plan); err != nil {
			return false, err
		}
		cond = meta.FindStatusCondition(plan.Status.Conditions, drv1.ConditionReady)
		return cond != nil && cond.ObservedGeneration == plan.Generation && cond.Status != metav1.ConditionUnknown, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for DRPlan %s/%s to be validated (%s): %w", d.ns, name, d.logsHint(), err)
	}
	if cond.Status != metav1.ConditionTrue {
		return fmt.Errorf("DRPlan %s/%s is not Ready: %s: %s", d.ns, name, cond.Reason, cond.Message)
	}
	fmt.Printf("DRPlan %s/%s is Ready (%s).\n", d.ns, name, oneLine(cond.Message))
	return nil
}

// executeRun follows an unfinished execution of the plan (an earlier `up` was interrupted; the plan runs one
// execution at a time), or creates the next one: <example name>-<n>, so every `up` gets fresh names.
func (d *demo) executeRun(ctx context.Context, tmpl *drv1.DRPlanExecution) (*drv1.DRPlanExecution, error) {
	list := &drv1.DRPlanExecutionList{}
	if err := d.c.List(ctx, list, client.InNamespace(d.ns)); err != nil {
		return nil, fmt.Errorf("listing the DRPlanExecutions in %s: %w", d.ns, err)
	}
	if live := liveExecution(list.Items, tmpl.Spec.PlanRef); live != nil {
		fmt.Printf("\n%s %s/%s of plan %s is still %s (another make demo started it, or one was interrupted).\n",
			live.Spec.GetOperationType(), d.ns, live.Name, live.Spec.PlanRef, phaseOrNew(live.Status.Phase))
		if live.Spec.GetOperationType() == drv1.OperationExecute {
			fmt.Println("Following it instead of starting another (a plan runs one execution at a time).")
			return live, nil
		}
		// A Revert cannot be reverted: let it finish, then start a new run.
		if _, err := d.follow(ctx, live.Name); err != nil {
			return nil, err
		}
	}
	if prev := unrevertedRun(list.Items, tmpl.Name); prev != nil {
		// Its ConfigMap may still exist, and a new run would then fail to create it.
		fmt.Printf("\nExecution %s/%s (of an interrupted make demo) ended %s and has no Revert yet; "+
			"showing it and reverting it instead of starting another.\n", d.ns, prev.Name, prev.Status.Phase)
		return prev, nil
	}
	n := nextIndex(list.Items, tmpl.Name)
	for range createAttempts {
		ex := &drv1.DRPlanExecution{
			ObjectMeta: metav1.ObjectMeta{Namespace: d.ns, Name: fmt.Sprintf("%s-%d", tmpl.Name, n)},
			Spec:       *tmpl.Spec.DeepCopy(),
		}
		err := d.c.Create(ctx, ex)
		if err == nil {
			fmt.Printf("\nCreated DRPlanExecution %s/%s (plan %s, Execute).\n", d.ns, ex.Name, ex.Spec.PlanRef)
			return ex, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating DRPlanExecution %s/%s: %w", d.ns, ex.Name, err)
		}
		n++
	}
	return nil, fmt.Errorf("no free name for a DRPlanExecution %s-<n> in %s after %d attempts", tmpl.Name, d.ns, createAttempts)
}

// revertRun creates the Revert of forward, named after it (quickstart-run-3 -> quickstart-run-3-revert), or
// follows that Revert when it exists already (the earlier `up` that started it was interrupted).
func (d *demo) revertRun(ctx context.Context, forward *drv1.DRPlanExecution) (*drv1.DRPlanExecution, error) {
	ex := &drv1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Namespace: d.ns, Name: forward.Name + "-revert"},
		Spec: drv1.DRPlanExecutionSpec{PlanRef: forward.Spec.PlanRef, OperationType: drv1.OperationRevert,
			RevertExecutionRef: forward.Name},
	}
	err := d.c.Create(ctx, ex)
	if err == nil {
		fmt.Printf("\nCreated DRPlanExecution %s/%s (Revert of %s).\n", d.ns, ex.Name, forward.Name)
		return ex, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating DRPlanExecution %s/%s: %w", d.ns, ex.Name, err)
	}
	if err := d.c.Get(ctx, client.ObjectKeyFromObject(ex), ex); err != nil {
		return nil, fmt.Errorf("reading DRPlanExecution %s/%s: %w", d.ns, ex.Name, err)
	}
	fmt.Printf("\nDRPlanExecution %s/%s (Revert of %s) exists already (another make demo created it); following it.\n",
		d.ns, ex.Name, forward.Name)
	return ex, nil
}

// liveExecution is an Execute or Revert of plan that has not finished.
func liveExecution(items []drv1.DRPlanExecution, plan string) *drv1.DRPlanExecution {
	for i := range items {
		ex := &items[i]
		if ex.Spec.PlanRef == plan && !ex.Status.Phase.IsTerminal() && ex.DeletionTimestamp == nil {
			return ex
		}
	}
	return nil
}

// unrevertedRun is the newest demo run (<base>-<n>) that ended Succeeded or Failed and that no execution reverts.
func unrevertedRun(items []drv1.DRPlanExecution, base string) *drv1.DRPlanExecution {
	reverted := map[string]bool{}
	for _, ex := range items {
		if ex.Spec.GetOperationType() == drv1.OperationRevert {
			reverted[ex.Spec.RevertExecutionRef] = true
		}
	}
	var found *drv1.DRPlanExecution
	best := 0
	for i := range items {
		ex := &items[i]
		n := runIndex(ex.Name, base)
		done := ex.Status.Phase == drv1.ExecutionSucceeded || ex.Status.Phase == drv1.ExecutionFailed
		if n > best && done && ex.Spec.GetOperationType() == drv1.OperationExecute && !reverted[ex.Name] {
			found, best = ex, n
		}
	}
	return found
}

// runIndex is n of an execution named <base>-<n>, 0 for any other name.
func runIndex(name, base string) int {
	suffix, ok := strings.CutPrefix(name, base+"-")
	if i, err := strconv.Atoi(suffix); ok && err == nil && i > 0 {
		return i
	}
	return 0
}

// nextIndex is one more than the largest n of the executions named <base>-<n>.
func nextIndex(items []drv1.DRPlanExecution, base string) int {
	n := 0
	for _, ex := range items {
		n = max(n, runIndex(ex.Name, base))
	}
	return n + 1
}

func phaseOrNew(p drv1.ExecutionPhase) string {
	if p == "" {
		return "new"
	}
	return string(p)
}

// showMarker prints the ConfigMap the quickstart manages, as the API server has it: the run's real effect.
func (d *demo) showMarker(ctx context.Context) {
	cm := &corev1.ConfigMap{}
	err := d.c.Get(ctx, types.NamespacedName{Namespace: d.ns, Name: markerConfigMap}, cm)
	switch {
	case err == nil:
		fmt.Printf("ConfigMap %s/%s now: site=%s plan=%s\n", d.ns, markerConfigMap, cm.Data["site"], cm.Data["plan"])
	case apierrors.IsNotFound(err):
		fmt.Printf("ConfigMap %s/%s now: not found\n", d.ns, markerConfigMap)
	default:
		fmt.Printf("ConfigMap %s/%s: %v\n", d.ns, markerConfigMap, err)
	}
}
