// Package precheck checks a compiled run (translator.IR) without side effects: resource actions and Jobs as
// server-side dry runs impersonating the executor ServiceAccount, Secret references of HTTP headers read as
// that account, HTTP endpoints resolved and connected to without sending the request. It serves the
// Precheck operation of both engines: the checks run in the operator's process, whatever engine would run
// the workflow.
package precheck

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/translator"
)

// FieldManager names the precheck's dry-run writes (nothing is persisted).
const FieldManager = "drplan-operator-precheck"

// Checker checks runs. The zero timeouts take defaults.
type Checker struct {
	// Config is the operator's rest.Config; every check uses a copy impersonating the executor ServiceAccount.
	Config *rest.Config
	// Mapper maps kinds to resources.
	Mapper meta.RESTMapper
	// Timeout bounds one check (default 5s): an unreachable host costs at most this.
	Timeout time.Duration
	// Concurrency bounds the checks of one run in flight at once (default 8).
	Concurrency int

	mu      sync.Mutex
	clients map[string]dynamic.Interface
}

// verdict is the outcome of one check.
type verdict struct {
	phase   v1alpha1.ActionPhase
	message string
}

func passed(format string, a ...any) verdict {
	return verdict{v1alpha1.ActionSucceeded, "precheck passed: " + fmt.Sprintf(format, a...)}
}
func failed(format string, a ...any) verdict {
	return verdict{v1alpha1.ActionFailed, "precheck failed: " + fmt.Sprintf(format, a...)}
}
func skipped(format string, a ...any) verdict {
	return verdict{v1alpha1.ActionSkipped, "precheck skipped: " + fmt.Sprintf(format, a...)}
}

// Check checks every action of ir, in IR order, at most Concurrency at a time. created names, by object key
// (ObjectKey), the action of the plan that creates an object before ir's run (earlier stages, and ir's own
// earlier actions are added here): an operation on such an object cannot be checked before it exists.
func (c *Checker) Check(ctx context.Context, ir *translator.IR, created map[string]string) []v1alpha1.ActionStatus {
	own := Creators(ir, created)
	out := make([]v1alpha1.ActionStatus, len(ir.Actions))
	limit := c.Concurrency
	if limit <= 0 {
		limit = 8
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range ir.Actions {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			v := c.checkAction(ctx, ir, &ir.Actions[i], own)
			out[i] = v1alpha1.ActionStatus{Name: ir.Actions[i].Name, Phase: v.phase, Message: v.message}
		}()
	}
	wg.Wait()
	return out
}

func (c *Checker) checkAction(ctx context.Context, ir *translator.IR, a *translator.Action, created map[string]string) verdict {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sa := saRef{ir.Namespace, ir.ServiceAccountName}
	var v verdict
	switch {
	case a.Skipped:
		return skipped("the run skips this action: %s", a.SkipReason)
	case a.Approval != nil:
		return passed("an approval gate; the run will wait for a person, nothing to check")
	case a.HTTP != nil:
		v = c.checkHTTP(ctx, sa, a.HTTP)
	case a.Resource != nil:
		v = c.checkResource(ctx, ir, sa, a, created)
	default:
		return failed("action of type %s has nothing to run", a.Type)
	}
	if a.When != nil && v.phase != v1alpha1.ActionSkipped {
		v.message += " (the run decides its when on earlier results)"
	}
	return v
}

type saRef struct{ Namespace, Name string }

func (s saRef) String() string { return s.Namespace + "/" + s.Name }

// client is a dynamic client impersonating the executor ServiceAccount sa.
func (c *Checker) client(sa saRef) (dynamic.Interface, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.clients == nil {
		c.clients = map[string]dynamic.Interface{}
	}
	if cl, ok := c.clients[sa.String()]; ok {
		return cl, nil
	}
	cl, err := dynamic.NewForConfig(engine.ExecutorConfig(c.Config, sa.Namespace, sa.Name))
	if err != nil {
		return nil, fmt.Errorf("building a client for ServiceAccount %s: %w", sa, err)
	}
	c.clients[sa.String()] = cl
	return cl, nil
}
