package nativeexec

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// impersonatedClients hands out one dynamic client per executor ServiceAccount, each impersonating
// system:serviceaccount:<namespace>:<name> (the API server adds the account's groups), so an action can do
// exactly what its ServiceAccount may.
type impersonatedClients struct {
	config *rest.Config

	mu      sync.Mutex
	clients map[serviceAccountRef]dynamic.Interface
}

func newImpersonatedClients(config *rest.Config) *impersonatedClients {
	return &impersonatedClients{config: config, clients: map[serviceAccountRef]dynamic.Interface{}}
}

func (c *impersonatedClients) forServiceAccount(sa serviceAccountRef) (dynamic.Interface, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[sa]; ok {
		return cl, nil
	}
	cl, err := dynamic.NewForConfig(engine.ExecutorConfig(c.config, sa.Namespace, sa.Name))
	if err != nil {
		return nil, fmt.Errorf("building a client for ServiceAccount %s: %w", sa, err)
	}
	c.clients[sa] = cl
	return cl, nil
}

// forbidden turns a Forbidden from the API server into a permanent failure that says which ServiceAccount
// lacked which right; other errors pass through.
func forbidden(err error, sa serviceAccountRef, verb, what string) error {
	return forbiddenHint(err, sa, verb, what, "grant it in a Role")
}

func forbiddenHint(err error, sa serviceAccountRef, verb, what, hint string) error {
	if err == nil || !apierrors.IsForbidden(err) {
		return err
	}
	return permanent(fmt.Errorf("the workflow's executor ServiceAccount %s may not %s %s (%s): %w", sa, verb, what, hint, err))
}

// serviceAccountOf finds the ServiceAccount of a run this process has no state for (a cancel after a
// restart): the DRWorkflow's, read from the cache when the run carries only its name.
func (e *Engine) serviceAccountOf(ctx context.Context, run *engine.Run) serviceAccountRef {
	sa := serviceAccountRef{Namespace: run.Execution.Namespace, Name: v1alpha1.DefaultExecutorServiceAccount}
	wf := run.Workflow
	if wf == nil {
		return sa
	}
	if len(wf.Spec.Actions) == 0 && e.opts.Reader != nil {
		full := &v1alpha1.DRWorkflow{}
		if err := e.opts.Reader.Get(ctx, types.NamespacedName{Namespace: wf.Namespace, Name: wf.Name}, full); err != nil {
			return sa
		}
		wf = full
	}
	sa.Name = wf.Spec.GetServiceAccountName()
	return sa
}
