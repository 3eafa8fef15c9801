//go:build bench

package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/controller"
	"github.com/drplan/drplan-operator/test/bench/report"
	"github.com/drplan/drplan-operator/test/stack"
	"github.com/drplan/drplan-operator/test/testenv"
)

// bench is the running harness: the stack, the operator, the hook server and the watches.
type bench struct {
	ctx         context.Context
	cancel      context.CancelFunc
	f           flags
	root, dir   string
	st          *stack.Stack
	env         *envtest.Environment // -native-only: the control plane alone
	c           client.WithWatch
	hooks       *hookServer
	op          *operatorProcess
	t           *tracker
	argoVersion string
	// missing collects what a figure could not measure, for the report.
	missing []string
}

// operatorIdentity is the operator's ServiceAccount, bound to config/rbac/role.yaml.
var operatorIdentity = testenv.Operator{Namespace: "drplan-bench", ServiceAccount: "controller-manager", ClusterRole: "drplan-bench-manager-role"}

const owner = client.FieldOwner("drplan-bench")

func startBench(ctx context.Context, root string, f flags) (*bench, error) {
	dir, err := filepath.Abs(f.artifacts)
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(filepath.Join(dir, "stack")); err != nil {
		return nil, err
	}
	b := &bench{f: f, root: root, dir: dir, t: newTracker()}
	b.ctx, b.cancel = context.WithCancel(ctx)
	ok := false
	defer func() {
		if !ok {
			b.stop()
		}
	}()
	var adminCfg *rest.Config
	if f.nativeOnly {
		if adminCfg, err = b.startControlPlane(); err != nil {
			return nil, err
		}
	} else if adminCfg, err = b.startStack(ctx, root, f); err != nil {
		return nil, err
	}
	admin := rest.CopyConfig(adminCfg)
	admin.QPS, admin.Burst = 500, 1000 // the harness must not be what throttles
	if b.c, err = client.NewWithWatch(admin, client.Options{Scheme: controller.NewScheme()}); err != nil {
		return nil, err
	}
	if b.hooks, err = startHookServer(f.httpDelay); err != nil {
		return nil, err
	}
	b.t.watchAll(b.ctx, b.c)
	opCfg, err := testenv.OperatorConfig(ctx, b.c, adminCfg, root, operatorIdentity)
	if err != nil {
		return nil, err
	}
	manager := f.manager
	if !filepath.IsAbs(manager) {
		manager = filepath.Join(root, manager)
	}
	log.Printf("starting the operator %s", manager)
	if b.op, err = startOperator(manager, dir, opCfg); err != nil {
		return nil, err
	}
	if err := b.warmUp(); err != nil {
		return nil, fmt.Errorf("warm-up run (operator log: %s/manager.log): %w", dir, err)
	}
	ok = true
	return b, nil
}

// startStack starts test/stack: the control plane, kwok, the workflow-controller and the pod runner.
func (b *bench) startStack(ctx context.Context, root string, f flags) (*rest.Config, error) {
	opts, err := stack.OptionsFromEnv(root)
	if err != nil {
		return nil, err
	}
	opts.ArtifactsDir, opts.Lifetime = filepath.Join(b.dir, "stack"), f.lifetime
	if f.maxWorkflowSize > 0 {
		opts.WorkflowControllerEnv = []string{fmt.Sprintf("MAX_WORKFLOW_SIZE=%d", f.maxWorkflowSize)}
	}
	startCtx, done := context.WithTimeout(ctx, 5*time.Minute)
	defer done()
	log.Printf("starting the stack (logs in %s)", opts.ArtifactsDir)
	if b.st, err = stack.Start(startCtx, opts); err != nil {
		return nil, fmt.Errorf("starting the stack: %w", err)
	}
	v, _ := os.ReadFile(filepath.Join(opts.ToolsDir, "workflow-controller.version"))
	b.argoVersion = string(trimSpace(v))
	return b.st.Config, nil
}

// startControlPlane starts etcd and kube-apiserver alone (-native-only: no Argo, figure 4 only).
func (b *bench) startControlPlane() (*rest.Config, error) {
	env, err := testenv.New(b.root)
	if err != nil {
		return nil, err
	}
	log.Printf("starting etcd and kube-apiserver (native engine only)")
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the control plane: %w", err)
	}
	b.env, b.argoVersion = env, "not running (-native-only)"
	return cfg, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// warmUp runs one small execution end to end: the operator's RBAC is in force, its caches are synced and Argo
// has made its first agent and resource pods before anything is measured.
func (b *bench) warmUp() error {
	ns := "bench-warmup"
	shape := report.Shape{Kind: "mixed", Actions: 2, Depth: 2}
	engine, mode := drv1.ExecutorArgo, report.ThroughOperator
	if b.f.nativeOnly {
		engine, mode = drv1.ExecutorNative, report.Native
	}
	if err := b.setup(ns, "warm", shape, engine, "warm"); err != nil {
		return err
	}
	r := b.runExecution(ns, "warm", "warm-x", shape, mode, 3*time.Minute)
	if !r.OK {
		return errors.New(r.Error)
	}
	log.Printf("warm-up run Succeeded in %s", r.Wall.Round(time.Millisecond))
	return nil
}

func (b *bench) stop() {
	if b.op != nil {
		b.op.terminate()
	}
	if b.hooks != nil {
		b.hooks.close()
	}
	b.cancel()
	if b.st != nil {
		if err := b.st.Stop(); err != nil {
			log.Printf("stopping the stack: %v", err)
		}
	}
	if b.env != nil {
		if err := b.env.Stop(); err != nil {
			log.Printf("stopping the control plane: %v", err)
		}
	}
}

// namespace prepares ns once: the executor ServiceAccount and Role of config/executor and ConfigMap rights.
func (b *bench) namespace(ns string) error {
	return testenv.PrepareQuickstartNamespace(b.ctx, b.c, b.root, owner, ns)
}

// setup prepares ns, creates the DRWorkflow of shape on engine and one plan of it per name, and waits until
// every plan is Ready.
func (b *bench) setup(ns, workflow string, shape report.Shape, engine drv1.ExecutorType, plans ...string) error {
	if err := b.namespace(ns); err != nil {
		return err
	}
	wf := dagWorkflow(ns, workflow, shape, b.hooks.url, engine)
	if err := b.c.Create(b.ctx, wf); err != nil {
		return fmt.Errorf("creating DRWorkflow %s/%s: %w", ns, workflow, err)
	}
	for _, p := range plans {
		if err := b.c.Create(b.ctx, plan(ns, p, workflow)); err != nil {
			return fmt.Errorf("creating DRPlan %s/%s: %w", ns, p, err)
		}
	}
	return b.waitReady(ns, plans, 2*time.Minute)
}

func (b *bench) waitReady(ns string, plans []string, timeout time.Duration) error {
	return wait.PollUntilContextTimeout(b.ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		for _, name := range plans {
			p := &drv1.DRPlan{}
			if err := b.c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, p); err != nil {
				return false, nil
			}
			if !meta.IsStatusConditionTrue(p.Status.Conditions, drv1.ConditionReady) {
				return false, nil
			}
		}
		return true, nil
	})
}

// runTimeout bounds one run of shape: generous, a loaded machine is slow, but a stuck run must not stop the
// report.
func runTimeout(s report.Shape) time.Duration {
	return min(20*time.Minute, 3*time.Minute+time.Duration(s.Actions)*time.Second)
}

// waitFor polls the tracker until done(run) or the timeout.
func (b *bench) waitFor(run string, timeout time.Duration, done func(runTrack) bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && b.ctx.Err() == nil && !b.op.exited() {
		if done(b.t.snapshot(run)) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return done(b.t.snapshot(run))
}

// settle is how long after a run's end its last writes (finalizer, plan lock) are still counted.
const settle = 2 * time.Second

func key(ns, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: name}
}
