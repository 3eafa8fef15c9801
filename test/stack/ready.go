package stack

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// readyTimeout bounds the wait for readiness when the caller's context has no deadline.
const readyTimeout = 3 * time.Minute

var workflowsGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}

// waitReady returns once kwok has the node Ready, kube-controller-manager runs, and the workflow-controller has
// run a Workflow to the end (a suspend of zero seconds: no pod, so it proves the controller, not kwok).
func (s *Stack) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := s.poll(ctx, "node "+NodeName+" Ready", func(ctx context.Context) (bool, error) {
		return nodeReady(ctx, s.client)
	}); err != nil {
		return err
	}
	if err := s.poll(ctx, "kube-controller-manager", func(ctx context.Context) (bool, error) {
		return controllerManagerUp(ctx, s.client)
	}); err != nil {
		return err
	}
	return s.probeWorkflowController(ctx)
}

// poll calls check until it is true, it fails, a child exits, or ctx ends.
func (s *Stack) poll(ctx context.Context, what string, check func(context.Context) (bool, error)) error {
	for {
		ok, err := check(ctx)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		if err := s.childExited(); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s (logs in %s): %w", what, s.opts.ArtifactsDir, ctx.Err())
		case <-time.After(waitStep):
		}
	}
}

// probeWorkflowController submits a Workflow that needs no pod and waits until it Succeeded, then deletes it.
func (s *Stack) probeWorkflowController(ctx context.Context) error {
	dyn, err := dynamic.NewForConfig(s.Config)
	if err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	wfs := dyn.Resource(workflowsGVR).Namespace(argoNamespace)
	probe := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Workflow",
		"metadata":   map[string]any{"generateName": "stack-ready-"},
		"spec": map[string]any{
			"entrypoint": "ready",
			"templates":  []any{map[string]any{"name": "ready", "suspend": map[string]any{"duration": "0"}}},
		},
	}}
	created, err := wfs.Create(ctx, probe, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("submitting the readiness Workflow: %w", err)
	}
	err = s.poll(ctx, "the workflow-controller to run Workflow "+argoNamespace+"/"+created.GetName(), func(ctx context.Context) (bool, error) {
		wf, err := wfs.Get(ctx, created.GetName(), metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		phase, _, _ := unstructured.NestedString(wf.Object, "status", "phase")
		if phase == "Failed" || phase == "Error" {
			return false, fmt.Errorf("the readiness Workflow ended %s", phase)
		}
		return phase == "Succeeded", nil
	})
	if err != nil {
		return err
	}
	if err := wfs.Delete(ctx, created.GetName(), metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("deleting the readiness Workflow: %w", err)
	}
	return nil
}
