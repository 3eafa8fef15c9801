// Package execlifecycle tests what the shared integration suite cannot: the operator's lifecycle around
// running executions. It owns its control plane (envtest: real kube-apiserver and etcd, the CRDs of
// config/crd/bases, Argo's minimal CRDs, the Clusternet test CRDs) and starts and stops operator managers
// itself, so a spec can stop the operator mid-run and start a new one. Argo's workflow-controller is played
// by test/argostandin. The package also holds the execution benchmark (go test -bench).
package execlifecycle

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/controller"
	"github.com/drplan/drplan-operator/test/argostandin"
	"github.com/drplan/drplan-operator/test/testenv"
)

var (
	envOnce   sync.Once
	envErr    error
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8sClient client.WithWatch
	argo      *argostandin.StandIn
	envCtx    context.Context
	envCancel context.CancelFunc
)

func TestMain(m *testing.M) {
	code := m.Run()
	if envCancel != nil {
		envCancel()
	}
	if testEnv != nil {
		_ = testEnv.Stop()
	}
	os.Exit(code)
}

// startEnv starts the control plane and the Argo stand-in once per process.
func startEnv() error {
	envOnce.Do(func() {
		if os.Getenv("BENCH_LOG") != "" {
			logf.SetLogger(zap.New(zap.UseDevMode(false)))
		} else {
			logf.SetLogger(logr.Discard())
		}
		root, err := testenv.RepoRoot()
		if err != nil {
			envErr = err
			return
		}
		if testEnv, envErr = testenv.New(root); envErr != nil {
			return
		}
		if cfg, envErr = testEnv.Start(); envErr != nil {
			return
		}
		cfg.QPS, cfg.Burst = 500, 1000
		if k8sClient, envErr = client.NewWithWatch(cfg, client.Options{Scheme: controller.NewScheme()}); envErr != nil {
			return
		}
		envCtx, envCancel = context.WithCancel(context.Background())
		argo = argostandin.New(k8sClient)
		argo.Start(envCtx)
	})
	return envErr
}

// operator is one running manager with every reconciler of the operator.
type operator struct {
	cancel context.CancelFunc
	done   chan error
}

// startOperator starts a new manager (cold caches, new reconcilers), as a restarted operator process would.
func startOperator() (*operator, error) { return startOperatorWith(cfg) }

// startOperatorWith starts a manager whose every API call (client, caches, engines) goes through c.
func startOperatorWith(c *rest.Config) (*operator, error) {
	mgr, err := ctrl.NewManager(c, ctrl.Options{
		Scheme:                 controller.NewScheme(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// Several managers run one after another in this process.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, err
	}
	if err := testenv.Reconcilers(mgr, controller.ExecutorAuto); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(envCtx)
	op := &operator{cancel: cancel, done: make(chan error, 1)}
	go func() { op.done <- mgr.Start(ctx) }()
	syncCtx, syncCancel := context.WithTimeout(ctx, 30*time.Second)
	defer syncCancel()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		cancel()
		return nil, fmt.Errorf("manager cache did not sync")
	}
	return op, nil
}

// stop stops the manager and waits until it has.
func (o *operator) stop() error {
	o.cancel()
	select {
	case err := <-o.done:
		return err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("manager did not stop")
	}
}

// oneStagePlan builds a DRWorkflow of the given actions, run by the given engine, and a one-stage plan running it.
func oneStagePlan(ns, plan string, engine drv1.ExecutorType, actions ...drv1.Action) (*drv1.DRWorkflow, *drv1.DRPlan) {
	wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: plan + "-wf", Namespace: ns},
		Spec: drv1.DRWorkflowSpec{Actions: actions, Executor: &drv1.ExecutorSpec{Type: engine}}}
	p := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Name: plan, Namespace: ns}, Spec: drv1.DRPlanSpec{
		Stages: []drv1.Stage{{Name: "only", Workflows: []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: wf.Name}}}}}}}
	return wf, p
}

// executeRequest builds an Execute of plan.
func executeRequest(ns, name, plan string) *drv1.DRPlanExecution {
	return &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: drv1.DRPlanExecutionSpec{PlanRef: plan, OperationType: drv1.OperationExecute}}
}
