//go:build e2e

package killpoints

import (
	"context"
	"fmt"
	"sync"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/controller"
)

// sideEffects records, from informers of this process (which re-list after a dropped watch, so nothing is
// missed), every Argo Workflow and Job ever created: the UIDs seen per run and per Job name. Two UIDs under one
// key is an object created twice, even when the first was deleted before the second appeared.
type sideEffects struct {
	mu        sync.Mutex
	workflows map[string]map[string]bool // "<ns>/<execution>/<operation>/<workflow>" -> UIDs
	jobs      map[string]map[string]bool // "<ns>/<name>" -> UIDs
}

func watchSideEffects(ctx context.Context, cfg *rest.Config) (*sideEffects, error) {
	s := &sideEffects{workflows: map[string]map[string]bool{}, jobs: map[string]map[string]bool{}}
	c, err := cache.New(cfg, cache.Options{Scheme: controller.NewScheme()})
	if err != nil {
		return nil, err
	}
	for _, obj := range []client.Object{&wfv1.Workflow{}, &batchv1.Job{}} {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return nil, err
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{AddFunc: s.add, UpdateFunc: func(_, o any) { s.add(o) }}); err != nil {
			return nil, err
		}
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("side-effect informers did not sync")
	}
	return s, nil
}

func (s *sideEffects) add(obj any) {
	o, ok := obj.(client.Object)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var m map[string]map[string]bool
	var key string
	switch o.(type) {
	case *wfv1.Workflow:
		l := o.GetLabels()
		m, key = s.workflows, o.GetNamespace()+"/"+l[drv1.LabelExecution]+"/"+l[drv1.LabelOperation]+"/"+l[drv1.LabelWorkflow]
	case *batchv1.Job:
		m, key = s.jobs, o.GetNamespace()+"/"+o.GetName()
	default:
		return
	}
	if m[key] == nil {
		m[key] = map[string]bool{}
	}
	m[key][string(o.GetUID())] = true
}

// Workflows maps each run key of namespace ns to the number of distinct Workflows created for it.
func (s *sideEffects) Workflows(ns string) map[string]int { return counts(&s.mu, s.workflows, ns) }

// Jobs maps each Job name of namespace ns to the number of distinct Jobs created under it.
func (s *sideEffects) Jobs(ns string) map[string]int { return counts(&s.mu, s.jobs, ns) }

func counts(mu *sync.Mutex, m map[string]map[string]bool, ns string) map[string]int {
	mu.Lock()
	defer mu.Unlock()
	out := map[string]int{}
	for k, uids := range m {
		if len(k) > len(ns) && k[:len(ns)+1] == ns+"/" {
			out[k[len(ns)+1:]] = len(uids)
		}
	}
	return out
}
