//go:build !localdev

package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// The shipped binary has no local stack, and says how to get one.
func TestShippedBinaryHasNoLocalStack(t *testing.T) {
	_, err := startLocalControlPlane(context.Background(), "config/crd/bases", "", t.TempDir())
	if !errors.Is(err, errNoLocalStack) || !strings.Contains(err.Error(), "make run") {
		t.Fatalf("want errNoLocalStack naming make run, got %v", err)
	}
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("HOME", t.TempDir())
	_, _, err = clusterConfig(context.Background(), options{localControlPlane: localAuto, crdDir: "config/crd/bases"})
	if !errors.Is(err, errNoLocalStack) {
		t.Fatalf("auto without a cluster: want errNoLocalStack, got %v", err)
	}
}

// The shipped binary links no test code: envtest's packages create directories under /tmp in init(), which
// panics in a scratch image, and the local stack is test tooling.
func TestShippedBinaryLinksNoTestCode(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("this test lists the binary's packages with the go command: %v", err)
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "controller-runtime/pkg/envtest") || strings.Contains(pkg, "controller-runtime/pkg/internal/testing") ||
			strings.HasPrefix(pkg, "github.com/drplan/drplan-operator/test/") {
			t.Errorf("cmd/manager links %s", pkg)
		}
	}
}
