package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

const (
	labelWorkflow  = "workflows.argoproj.io/workflow"
	labelComponent = "workflows.argoproj.io/component"
	// patchTimeout bounds the pod status patch after a run.
	patchTimeout = 30 * time.Second
)

// podRunner plays the kubelet for the two kinds of Argo pod whose work must really happen (see the package
// comment): it runs the real argoexec for them as a local process and then sets the pod's final status.
type podRunner struct {
	client   kubernetes.Interface
	admin    *rest.Config
	argoexec string
	dir      string // ArtifactsDir/argoexec: one log per run (and, without isolation, the kubeconfigs)
	timeout  time.Duration
	isolate  bool       // run each argoexec in a private mount namespace as nobody (needs root)
	resource sync.Mutex // without isolation: argoexec stages every manifest at the fixed path /tmp/manifest.yaml
	log      *log.Logger
	logFile  *os.File

	ctx     context.Context
	cancel  context.CancelFunc
	factory informers.SharedInformerFactory
	wg      sync.WaitGroup
	mu      sync.Mutex
	seen    map[types.UID]bool
}

// startPodRunner starts the pod informer and returns once it has synced. The runner lives until stop or Lifetime.
func startPodRunner(ctx context.Context, client kubernetes.Interface, admin *rest.Config, o Options) (*podRunner, error) {
	dir := filepath.Join(o.ArtifactsDir, "argoexec")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("pod runner: %w", err)
	}
	logFile, err := os.Create(filepath.Join(o.ArtifactsDir, "podrunner.log"))
	if err != nil {
		return nil, fmt.Errorf("pod runner: %w", err)
	}
	r := &podRunner{
		client: client, admin: admin, argoexec: o.tool("argoexec"), dir: dir, timeout: o.ArgoexecTimeout,
		isolate: canIsolate(), log: log.New(logFile, "", log.LstdFlags|log.Lmicroseconds), logFile: logFile,
		seen: map[types.UID]bool{},
	}
	r.log.Printf("pod runner: isolated runs (private mount namespace, user nobody): %v", r.isolate)
	r.ctx, r.cancel = context.WithTimeout(context.Background(), o.Lifetime)
	r.factory = informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = labelWorkflow }))
	pods := r.factory.Core().V1().Pods().Informer()
	if _, err := pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    r.consider,
		UpdateFunc: func(_, obj any) { r.consider(obj) },
	}); err != nil {
		r.stop()
		return nil, fmt.Errorf("pod runner: adding the pod handler: %w", err)
	}
	r.factory.Start(r.ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), pods.HasSynced) {
		r.stop()
		return nil, fmt.Errorf("pod runner: the pod informer did not sync: %w", ctx.Err())
	}
	return r, nil
}

// canIsolate reports whether argoexec can run in a private mount namespace as nobody: root, with unshare(1) and
// setpriv(1) that work here (a container without CAP_SYS_ADMIN has them but cannot unshare).
func canIsolate() bool {
	if os.Geteuid() != 0 {
		return false
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		return false
	}
	return exec.Command("unshare", "--mount", "--propagation", "private", "true").Run() == nil
}

// stop kills the argoexec runs still going, waits for them, and stops the informer.
func (r *podRunner) stop() {
	r.mu.Lock() // no run starts after this: consider checks r.ctx under r.mu before wg.Add
	r.cancel()
	r.mu.Unlock()
	r.wg.Wait()
	if r.factory != nil {
		r.factory.Shutdown()
	}
	_ = r.logFile.Close()
}

// consider starts a run for a Running agent or resource pod it has not seen before.
func (r *podRunner) consider(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod.Status.Phase != corev1.PodRunning || pod.DeletionTimestamp != nil {
		return
	}
	args := argoexecArgs(pod)
	if args == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[pod.UID] || r.ctx.Err() != nil {
		return
	}
	r.seen[pod.UID] = true
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.run(pod.DeepCopy(), args)
	}()
}

// argoexecArgs is what the pod's main container would run in argoexec, or nil for pods kwok finishes:
// agent pods run `argoexec agent main ...` (their container args), resource pods run
// `/var/run/argo/argoexec emissary ... -- argoexec resource <action> ...` (what follows "-- argoexec").
func argoexecArgs(pod *corev1.Pod) []string {
	main := mainContainer(pod)
	if main == nil {
		return nil
	}
	if pod.Labels[labelComponent] == "agent" {
		if len(main.Args) == 0 {
			return nil
		}
		return append([]string{}, main.Args...)
	}
	for i, arg := range main.Command {
		if arg == "--" && i+2 < len(main.Command) && main.Command[i+1] == "argoexec" && main.Command[i+2] == "resource" {
			return append([]string{}, main.Command[i+2:]...)
		}
	}
	return nil
}

func mainContainer(pod *corev1.Pod) *corev1.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == "main" {
			return &pod.Spec.Containers[i]
		}
	}
	return nil
}

// run runs argoexec for the pod and reports the outcome in the pod's status.
func (r *podRunner) run(pod *corev1.Pod, args []string) {
	name := pod.Namespace + "/" + pod.Name
	r.log.Printf("start %s: argoexec %s", name, strings.Join(args, " "))
	started := metav1.Now()
	rc, msg, err := r.exec(pod, args)
	pastDeadline := errors.Is(err, errPastDeadline)
	if err != nil && !pastDeadline {
		r.log.Printf("run %s: %v", name, err)
		rc, msg = 1, err.Error()
	}
	r.log.Printf("end %s: exit code %d after %s %s", name, rc, time.Since(started.Time).Round(time.Millisecond), msg)
	if r.ctx.Err() != nil {
		return // the stack is stopping: the run was killed, not failed
	}
	patch := statusPatch(pod, started, rc, msg)
	if pastDeadline {
		r.log.Printf("deadline %s: killed at its activeDeadlineSeconds (%d)", name, *pod.Spec.ActiveDeadlineSeconds)
		patch = deadlinePatch(pod, started)
	}
	if err := r.finish(pod, patch); err != nil {
		r.log.Printf("finish %s: %v", name, err)
	}
}

// finish patches the pod status to Succeeded or Failed with a terminated main container, as a kubelet would.
// An agent pod the controller deleted already (its Workflow ended) is left alone.
func (r *podRunner) finish(pod *corev1.Pod, status map[string]any) error {
	ctx, cancel := context.WithTimeout(context.Background(), patchTimeout)
	defer cancel()
	pods := r.client.CoreV1().Pods(pod.Namespace)
	current, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || (err == nil && (current.UID != pod.UID || current.DeletionTimestamp != nil)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the pod: %w", err)
	}
	patch, err := json.Marshal(status)
	if err != nil {
		return fmt.Errorf("rendering the status patch: %w", err)
	}
	if _, err := pods.Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
		return fmt.Errorf("patching the pod status: %w", err)
	}
	return nil
}

func statusPatch(pod *corev1.Pod, started metav1.Time, rc int, msg string) map[string]any {
	phase, reason := corev1.PodSucceeded, "Completed"
	if rc != 0 {
		phase, reason = corev1.PodFailed, "Error"
	}
	terminated := corev1.ContainerStateTerminated{
		ExitCode: int32(rc), Reason: reason, Message: msg, StartedAt: started, FinishedAt: metav1.Now(),
	}
	status := map[string]any{
		"phase": phase,
		"containerStatuses": []corev1.ContainerStatus{{
			Name: "main", Image: mainContainer(pod).Image, State: corev1.ContainerState{Terminated: &terminated},
		}},
	}
	if rc != 0 {
		status["message"] = msg
	}
	return map[string]any{"status": status}
}

// exec runs argoexec for the pod, logging to dir/<ns>.<pod>.log, and returns its exit code and its last
// "Error: " line (what a real pod's termination message would carry).
func (r *podRunner) exec(pod *corev1.Pod, args []string) (int, string, error) {
	kubeconfig, err := executorKubeconfig(r.admin, pod.Namespace, pod.Spec.ServiceAccountName)
	if err != nil {
		return 0, "", err
	}
	// A run log that cannot be written (its directory removed under a running stack) must not fail the pod.
	var runLog io.Writer = io.Discard
	if logFile, err := os.Create(filepath.Join(r.dir, pod.Namespace+"."+pod.Name+".log")); err != nil {
		r.log.Printf("run %s/%s: no run log: %v", pod.Namespace, pod.Name, err)
	} else {
		defer logFile.Close()
		runLog = logFile
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.timeout)
	defer cancel()
	if deadline, ok := activeDeadline(pod, time.Now()); ok {
		var stop context.CancelFunc
		ctx, stop = context.WithDeadlineCause(ctx, deadline, errPastDeadline)
		defer stop()
	}
	cmd, err := r.command(ctx, pod, args, kubeconfig)
	if err != nil {
		return 0, "", err
	}
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(runLog, &out)
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if errors.Is(context.Cause(ctx), errPastDeadline) {
			// As the kubelet: SIGTERM first (argoexec then finalizes its task result), SIGKILL after WaitDelay.
			return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second
	if !r.isolate && args[0] == "resource" {
		r.resource.Lock()
		defer r.resource.Unlock()
	}
	runErr := cmd.Run()
	if errors.Is(context.Cause(ctx), errPastDeadline) && r.ctx.Err() == nil {
		return 137, "", errPastDeadline
	}
	rc, err := exitCode(runErr)
	if err != nil {
		return 0, "", fmt.Errorf("running argoexec: %w", err)
	}
	msg := lastError(out.String())
	if rc != 0 && msg == "" {
		msg = fmt.Sprintf("argoexec exited with code %d", rc)
	}
	return rc, msg, nil
}

// exitCode is the process's exit code, 128+signal when it was killed, or an error when it did not run at all.
func exitCode(err error) (int, error) {
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exitErr):
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return exitErr.ExitCode(), nil
	default:
		return 0, err
	}
}

// lastError is the text of argoexec's last "Error: " line (cobra prints the command's error that way).
func lastError(out string) string {
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if msg, ok := strings.CutPrefix(lines[i], "Error: "); ok {
			return strings.TrimSpace(msg)
		}
	}
	return ""
}
