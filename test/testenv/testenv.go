// Package testenv finds what the envtest suites need, in one place: the repository root, the envtest binaries
// (KUBEBUILDER_ASSETS wins; else the cache `make envtest-assets` fills) and the CRDs (ours, Argo's minimal CRDs
// from the pinned argo-workflows module, and the Clusternet test CRDs).
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// K8sVersion is the version test/tools/build-envtest-assets.sh builds by default.
const K8sVersion = "1.37.2"

// RepoRoot walks up from the working directory to the directory holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// AssetsDir is $KUBEBUILDER_ASSETS, or ~/.cache/drplan/k8s-<K8sVersion> when it holds a kube-apiserver.
func AssetsDir() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(home, ".cache", "drplan", "k8s-"+K8sVersion)
	if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err != nil {
		return "", fmt.Errorf("KUBEBUILDER_ASSETS is not set and %s has no kube-apiserver: run `make envtest-assets` or `make test`", dir)
	}
	return dir, nil
}

// ArgoCRDDir is $ARGO_CRD_DIR, or the minimal CRDs of the argo-workflows module go.mod pins.
func ArgoCRDDir() (string, error) {
	if dir := os.Getenv("ARGO_CRD_DIR"); dir != "" {
		return dir, nil
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/argoproj/argo-workflows/v3").Output()
	if err != nil {
		return "", fmt.Errorf("finding the argo-workflows module (set ARGO_CRD_DIR): %w", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "manifests", "base", "crds", "minimal"), nil
}

// New returns an envtest.Environment (not started) with the binaries of AssetsDir and every CRD the operator
// works with: config/crd/bases, Argo's minimal CRDs and test/fixtures/clusternet.
func New(root string) (*envtest.Environment, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	argo, err := ArgoCRDDir()
	if err != nil {
		return nil, err
	}
	return &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths: []string{
			filepath.Join(root, "config", "crd", "bases"),
			argo,
			filepath.Join(root, "test", "fixtures", "clusternet"),
		},
		ErrorIfCRDPathMissing: true,
	}, nil
}
