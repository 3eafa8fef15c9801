package stack

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/drplan/drplan-operator/test/testenv"
)

const (
	argoModule = "github.com/argoproj/argo-workflows/v3"

	defaultLifetime        = 30 * time.Minute
	defaultRequeueTime     = time.Second
	defaultArgoexecTimeout = 10 * time.Minute
)

// The binaries Start runs, by directory.
var (
	assetBinaries = []string{"etcd", "kube-apiserver", "kubectl", "kube-scheduler", "kube-controller-manager"}
	toolBinaries  = []string{"kwok", "workflow-controller", "argoexec"}
)

// Options say where the binaries are and how long the stack may live.
type Options struct {
	AssetsDir    string        // etcd, kube-apiserver, kubectl, kube-scheduler, kube-controller-manager (KUBEBUILDER_ASSETS)
	ToolsDir     string        // kwok, workflow-controller, argoexec (DRPLAN_E2E_TOOLS)
	CRDDirs      []string      // CRDs installed before anything else starts
	ArtifactsDir string        // one log file per process, per-run argoexec logs, kubeconfig files
	Lifetime     time.Duration // hard upper bound for every child process (default 30m)
	RequeueTime  time.Duration // workflow-controller DEFAULT_REQUEUE_TIME (default 1s)

	// ArgoVersion tags the executor image the controller writes into pods (nothing pulls it: kwok runs no
	// containers). Default: ToolsDir/workflow-controller.version, written by test/tools/build-e2e-tools.sh.
	ArgoVersion string
	// ArgoexecTimeout bounds each argoexec run of the pod runner (default 10m). An agent runs until its Workflow ends.
	ArgoexecTimeout time.Duration
	// WebhookPaths, when set, are webhook configurations envtest installs pointing at a local port with a
	// certificate of its own (Env.WebhookInstallOptions says which), for an operator in this process to serve.
	WebhookPaths []string
	// WorkflowControllerEnv is added to the workflow-controller's environment, e.g. MAX_WORKFLOW_SIZE (the size
	// past which it compresses node status) to try a large Workflow's compression on a small one.
	WorkflowControllerEnv []string
	// ArgoServer also starts the Argo Server (`argo server`, the argo CLI of ToolsDir) once the stack is ready;
	// Stack.ArgoServerURL is then its base URL.
	ArgoServer bool
}

// OptionsFromEnv reads KUBEBUILDER_ASSETS (default ~/.cache/drplan/k8s-1.37.2), DRPLAN_E2E_TOOLS (default
// ~/.cache/drplan/e2e-argo-<argo version in go.mod>) and DRPLAN_E2E_ARTIFACTS (default <root>/artifacts/e2e), and
// installs our CRDs, Argo's minimal CRDs and the Clusternet test CRDs. A missing binary is an error that names it.
func OptionsFromEnv(root string) (Options, error) {
	assets, err := testenv.AssetsDir()
	if err != nil {
		return Options{}, fmt.Errorf("envtest binaries: %w", err)
	}
	tools, err := toolsDirFromEnv(root)
	if err != nil {
		return Options{}, err
	}
	argoCRDs, err := testenv.ArgoCRDDir()
	if err != nil {
		return Options{}, err
	}
	artifacts := os.Getenv("DRPLAN_E2E_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join(root, "artifacts", "e2e")
	}
	o := Options{
		AssetsDir: assets,
		ToolsDir:  tools,
		CRDDirs: []string{
			filepath.Join(root, "config", "crd", "bases"),
			argoCRDs,
			filepath.Join(root, "test", "fixtures", "clusternet"),
		},
		ArtifactsDir: artifacts,
	}
	return o, o.checkBinaries()
}

// toolsDirFromEnv is $DRPLAN_E2E_TOOLS, or the directory build-e2e-tools.sh fills for the Argo version go.mod pins.
func toolsDirFromEnv(root string) (string, error) {
	if dir := os.Getenv("DRPLAN_E2E_TOOLS"); dir != "" {
		return dir, nil
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", argoModule)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("finding the Argo version in go.mod (set DRPLAN_E2E_TOOLS): %w", err)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the e2e tools directory (set DRPLAN_E2E_TOOLS): %w", err)
	}
	return filepath.Join(home, ".cache", "drplan", "e2e-argo-"+strings.TrimSpace(string(out))), nil
}

// checkBinaries names every missing binary at once, so one `make e2e-tools` fixes them all.
func (o Options) checkBinaries() error {
	var missing []string
	for _, dirBins := range []struct {
		dir  string
		bins []string
	}{{o.AssetsDir, assetBinaries}, {o.ToolsDir, toolBinaries}} {
		for _, bin := range dirBins.bins {
			path := filepath.Join(dirBins.dir, bin)
			if info, err := os.Stat(path); err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
				missing = append(missing, path)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing e2e binaries %s: run `make e2e-tools`", strings.Join(missing, ", "))
	}
	return nil
}

// withDefaults fills every zero field that has a default.
func (o Options) withDefaults() (Options, error) {
	if o.Lifetime <= 0 {
		o.Lifetime = defaultLifetime
	}
	if o.RequeueTime <= 0 {
		o.RequeueTime = defaultRequeueTime
	}
	if o.ArgoexecTimeout <= 0 {
		o.ArgoexecTimeout = defaultArgoexecTimeout
	}
	if o.ArtifactsDir == "" {
		return o, errors.New("stack options: ArtifactsDir is empty")
	}
	if o.ArgoVersion == "" {
		v, err := os.ReadFile(filepath.Join(o.ToolsDir, "workflow-controller.version"))
		if err != nil {
			return o, fmt.Errorf("stack options: ArgoVersion is empty and the tools directory does not record it: %w", err)
		}
		o.ArgoVersion = strings.TrimSpace(string(v))
	}
	return o, nil
}

func (o Options) asset(name string) string { return filepath.Join(o.AssetsDir, name) }
func (o Options) tool(name string) string  { return filepath.Join(o.ToolsDir, name) }
