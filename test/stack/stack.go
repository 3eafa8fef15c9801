package stack

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

//go:embed kwok-stages.yaml
var kwokStages []byte

// Stack is a running local cluster with the real Argo workflow-controller; see the package comment.
type Stack struct {
	Config     *rest.Config // administrator
	Kubeconfig string       // path of an admin kubeconfig file (for kubectl and for people)
	Env        *envtest.Environment
	// ArgoServerURL is the Argo Server's base URL (http://127.0.0.1:<port>) when Options.ArgoServer is set.
	ArgoServerURL string

	opts     Options
	client   kubernetes.Interface
	procs    []*process
	files    []*os.File // control-plane logs, closed by Stop
	runner   *podRunner
	stopOnce sync.Once
	stopErr  error
}

// Start starts the control plane, the cluster objects Argo needs, kube-scheduler, kube-controller-manager, kwok, the
// workflow-controller and the pod runner, and returns once the node is Ready and the controllers work. On error,
// everything started so far is stopped. ctx bounds the start only; the stack lives until Stop or o.Lifetime.
func Start(ctx context.Context, o Options) (*Stack, error) {
	if err := o.checkBinaries(); err != nil {
		return nil, err
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.ArtifactsDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the artifacts directory: %w", err)
	}
	s := &Stack{opts: o}
	if err := s.start(ctx); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

// start runs the steps in order, recording how long each took in ArtifactsDir/stack.log (a slow start on a busy
// machine is then easy to place).
func (s *Stack) start(ctx context.Context) error {
	logFile, err := os.Create(filepath.Join(s.opts.ArtifactsDir, "stack.log"))
	if err != nil {
		return fmt.Errorf("creating the stack log: %w", err)
	}
	s.files = append(s.files, logFile)
	steps := []struct {
		name string
		run  func() error
	}{
		{"control plane (etcd, kube-apiserver, CRDs)", s.startControlPlane},
		{"cluster objects", func() error { return createClusterObjects(ctx, s.client) }},
		{"kwok, kube-scheduler, kube-controller-manager, workflow-controller", s.startChildren},
		{"pod runner", func() (err error) { s.runner, err = startPodRunner(ctx, s.client, s.Config, s.opts); return err }},
		{"readiness", func() error { return s.waitReady(ctx) }},
	}
	if s.opts.ArgoServer {
		steps = append(steps, struct {
			name string
			run  func() error
		}{"Argo Server", func() error { return s.startArgoServer(ctx) }})
	}
	begin := time.Now()
	for _, step := range steps {
		t0 := time.Now()
		err := step.run()
		fmt.Fprintf(logFile, "%s %s: %s (error: %v)\n", time.Now().Format(time.RFC3339Nano), step.name,
			time.Since(t0).Round(time.Millisecond), err)
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(logFile, "started in %s\n", time.Since(begin).Round(time.Millisecond))
	return nil
}

// startControlPlane starts etcd and kube-apiserver with the CRDs, and writes the admin kubeconfig.
func (s *Stack) startControlPlane() error {
	env, err := s.controlPlane()
	if err != nil {
		return err
	}
	s.Env = env
	if _, err := s.Env.Start(); err != nil {
		return fmt.Errorf("starting the control plane (etcd, kube-apiserver): %w", err)
	}
	admin, err := s.Env.AddUser(envtest.User{Name: "drplan-e2e-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("adding the admin user: %w", err)
	}
	s.Config = admin.Config()
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return fmt.Errorf("rendering the admin kubeconfig: %w", err)
	}
	s.Kubeconfig = filepath.Join(s.opts.ArtifactsDir, "kubeconfig")
	if err := os.WriteFile(s.Kubeconfig, kubeconfig, 0o600); err != nil {
		return fmt.Errorf("writing the admin kubeconfig: %w", err)
	}
	// The pod runner stands in for the kubelet: its client gets the kubelet's default rate limits (kubeAPIQPS 50,
	// kubeAPIBurst 100), not client-go's 5 and 10, under which a run of many pods would wait on the stack itself.
	kubelet := rest.CopyConfig(s.Config)
	kubelet.QPS, kubelet.Burst = 50, 100
	if s.client, err = kubernetes.NewForConfig(kubelet); err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	return nil
}

// controlPlane is the envtest environment: etcd and kube-apiserver run through wrappers that bound them by
// Lifetime too (envtest stops them, but not when this process dies first), and log to ArtifactsDir.
func (s *Stack) controlPlane() (*envtest.Environment, error) {
	env := &envtest.Environment{
		BinaryAssetsDirectory: s.opts.AssetsDir,
		CRDDirectoryPaths:     s.opts.CRDDirs,
		ErrorIfCRDPathMissing: true,
	}
	if len(s.opts.WebhookPaths) > 0 {
		env.WebhookInstallOptions = envtest.WebhookInstallOptions{Paths: s.opts.WebhookPaths}
	}
	env.ControlPlane.Etcd = &envtest.Etcd{}
	for _, c := range []struct {
		name string
		path *string
		out  *io.Writer
		err  *io.Writer
	}{
		{"etcd", &env.ControlPlane.Etcd.Path, &env.ControlPlane.Etcd.Out, &env.ControlPlane.Etcd.Err},
		{"kube-apiserver", &env.ControlPlane.GetAPIServer().Path, &env.ControlPlane.GetAPIServer().Out,
			&env.ControlPlane.GetAPIServer().Err},
	} {
		wrapper, err := writeBoundedWrapper(s.opts, c.name)
		if err != nil {
			return nil, err
		}
		log, err := os.Create(filepath.Join(s.opts.ArtifactsDir, c.name+".log"))
		if err != nil {
			return nil, fmt.Errorf("creating the %s log: %w", c.name, err)
		}
		s.files = append(s.files, log)
		*c.path, *c.out, *c.err = wrapper, log, log
	}
	return env, nil
}

// writeBoundedWrapper writes ArtifactsDir/bin/<name>, a script that runs the asset under timeout(1).
func writeBoundedWrapper(o Options, name string) (string, error) {
	dir := filepath.Join(o.ArtifactsDir, "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, name)
	script := fmt.Sprintf("#!/bin/sh\nexec timeout --kill-after=%s %s %s \"$@\"\n",
		stopGrace, seconds(o.Lifetime), shellQuote(o.asset(name)))
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return "", fmt.Errorf("writing the %s wrapper: %w", name, err)
	}
	return path, nil
}

// shellQuote quotes s for sh, whatever it contains.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// startChildren starts kwok, kube-scheduler, kube-controller-manager and the workflow-controller, all with the
// admin kubeconfig, and records their PIDs.
func (s *Stack) startChildren() error {
	stages := filepath.Join(s.opts.ArtifactsDir, "kwok-stages.yaml")
	if err := os.WriteFile(stages, kwokStages, 0o644); err != nil {
		return fmt.Errorf("writing the kwok stages: %w", err)
	}
	for _, c := range s.children(stages) {
		p, err := startProcess(s.opts.ArtifactsDir, c.name, s.opts.Lifetime, c.env, c.bin, c.args...)
		if err != nil {
			return err
		}
		s.procs = append(s.procs, p)
	}
	return writePIDs(s.opts.ArtifactsDir, s.procs)
}

type child struct {
	name string
	bin  string
	env  []string
	args []string
}

// children are the processes beside the control plane. Every one serves no port (--secure-port=0, Argo's
// metrics off in its ConfigMap) except the workflow-controller's fixed :6060 health endpoint, whose failure to
// bind only logs a line, so several stacks can run on one machine.
func (s *Stack) children(stages string) []child {
	kc := s.Kubeconfig
	return []child{
		{name: "kwok", bin: s.opts.tool("kwok"), args: []string{
			"--kubeconfig", kc, "--config", stages,
			"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=fake",
			"--cidr=127.1.0.0/24", "--node-ip=127.0.0.1",
		}},
		{name: "kube-scheduler", bin: s.opts.asset("kube-scheduler"), args: []string{
			"--kubeconfig", kc, "--leader-elect=false", "--secure-port=0",
		}},
		{name: "kube-controller-manager", bin: s.opts.asset("kube-controller-manager"), args: []string{
			"--kubeconfig", kc, "--leader-elect=false", "--secure-port=0", "--use-service-account-credentials=false",
			// job: Jobs get pods; garbage collector: owner references are honoured (a deleted Workflow takes its
			// pods and task results along); serviceaccount: every namespace gets its "default" ServiceAccount,
			// which Argo looks up for agent pods of Workflows that name no ServiceAccount.
			"--controllers=job-controller,garbage-collector-controller,serviceaccount-controller",
		}},
		{name: "workflow-controller", bin: s.opts.tool("workflow-controller"),
			env: append([]string{"LEADER_ELECTION_DISABLE=true", "DEFAULT_REQUEUE_TIME=" + s.opts.RequeueTime.String()},
				s.opts.WorkflowControllerEnv...),
			args: []string{
				"--kubeconfig", kc, "--namespace", argoNamespace,
				"--executor-image", "quay.io/argoproj/argoexec:" + s.opts.ArgoVersion, "--loglevel", "info",
			}},
	}
}

// Stop stops the pod runner, then every child by PID (SIGTERM to its process group, SIGKILL after 10 s), then the
// control plane. It is safe to call more than once, and on a Stack whose Start failed.
func (s *Stack) Stop() error {
	if s == nil {
		return nil
	}
	s.stopOnce.Do(func() {
		var errs []error
		if s.runner != nil {
			s.runner.stop()
		}
		errs = append(errs, stopAll(s.procs))
		if s.Env != nil {
			if err := s.Env.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("stopping the control plane: %w", err))
			}
		}
		for _, f := range s.files {
			_ = f.Close()
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// PIDs maps each child process (kwok, kube-scheduler, kube-controller-manager, workflow-controller) to its PID, as
// in ArtifactsDir/pids. Each PID is also its process group's ID.
func (s *Stack) PIDs() map[string]int {
	pids := make(map[string]int, len(s.procs))
	for _, p := range s.procs {
		pids[p.name] = p.pid()
	}
	return pids
}

// ArtifactsDir is where the logs and kubeconfig files of this stack are.
func (s *Stack) ArtifactsDir() string { return s.opts.ArtifactsDir }

// childExited returns an error when a child has already ended: waiting for readiness then is pointless.
func (s *Stack) childExited() error {
	for _, p := range s.procs {
		if done, err := p.exited(); done {
			return err
		}
	}
	return nil
}

// waitStep is how often readiness is polled.
const waitStep = 200 * time.Millisecond
