package chart

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/drplan/drplan-operator/test/testenv"
)

// The install manifest (`make build-installer`) and the Helm chart, installed on a real kube-apiserver: every
// object is accepted, as a cluster would get them. No operator pod runs (there is no kubelet here): what
// runs is checked by the operator's own suites.
func TestInstallOnAPIServer(t *testing.T) {
	assets, err := testenv.AssetsDir()
	if err != nil {
		t.Fatal(err)
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	if _, err := env.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	admin, err := env.AddUser(envtest.User{Name: "installer", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := admin.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	root := repoRoot(t)
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(assets, "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
		cmd.Dir = root
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	// What `make build-installer IMG=...` writes.
	manifest := kubectl("", "kustomize", "config/default")
	manifest = strings.ReplaceAll(manifest, "image: controller:latest", "image: registry.example.com/drplan-operator:test")
	out := kubectl(manifest, "apply", "--server-side", "-f", "-")
	for _, want := range []string{
		"customresourcedefinition.apiextensions.k8s.io/drplans.dr.bkbcs.tencent.com serverside-applied",
		"deployment.apps/drplan-controller-manager serverside-applied",
		"validatingwebhookconfiguration.admissionregistration.k8s.io/drplan-validating-webhook-configuration serverside-applied",
		"mutatingwebhookconfiguration.admissionregistration.k8s.io/drplan-mutating-webhook-configuration serverside-applied",
		"secret/drplan-webhook-server-cert serverside-applied",
		"service/drplan-controller-manager-metrics-service serverside-applied",
		"clusterrole.rbac.authorization.k8s.io/drplan-cert-rotator serverside-applied",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the install manifest did not apply %q:\n%s", want, out)
		}
	}

	kubectl("", "create", "namespace", "shop")
	helm := exec.Command(helmBinary(t), "install", "drplan-operator", filepath.Join(root, chartDir),
		"--kubeconfig", kubeconfig, "--namespace", "drplan-helm", "--create-namespace",
		"--set", "executor.namespaces={shop}", "--set", "controller.image.repository=registry.example.com/drplan-operator")
	hout, err := helm.CombinedOutput()
	if err != nil {
		t.Fatalf("helm install: %v\n%s", err, hout)
	}
	if !strings.Contains(string(hout), "STATUS: deployed") {
		t.Errorf("helm install did not deploy:\n%s", hout)
	}
	got := kubectl("", "get", "deployment,service,secret,serviceaccount,role,rolebinding", "-n", "drplan-helm", "-o", "name")
	for _, want := range []string{"deployment.apps/drplan-operator", "service/drplan-operator-webhook", "service/drplan-operator-metrics",
		"secret/drplan-operator-webhook-cert", "serviceaccount/drplan-operator", "role.rbac.authorization.k8s.io/drplan-operator-cert-rotator"} {
		if !strings.Contains(got, want) {
			t.Errorf("helm install created no %s:\n%s", want, got)
		}
	}
	got = kubectl("", "get", "serviceaccount,secret,role,rolebinding", "-n", "shop", "-o", "name")
	for _, want := range []string{"serviceaccount/drplan-executor", "secret/drplan-executor.service-account-token",
		"role.rbac.authorization.k8s.io/drplan-executor", "rolebinding.rbac.authorization.k8s.io/drplan-executor"} {
		if !strings.Contains(got, want) {
			t.Errorf("the executor account is not complete in shop: no %s:\n%s", want, got)
		}
	}
	kubectl("", "get", "validatingwebhookconfiguration", "drplan-operator-validating")
	// An upgrade with another image tag is accepted too.
	up := exec.Command(helmBinary(t), "upgrade", "drplan-operator", filepath.Join(root, chartDir), "--kubeconfig", kubeconfig,
		"--namespace", "drplan-helm", "--reuse-values", "--set", "controller.image.tag=0.1.1")
	if uout, err := up.CombinedOutput(); err != nil {
		t.Fatalf("helm upgrade: %v\n%s", err, uout)
	}
	if img := kubectl("", "get", "deployment", "drplan-operator", "-n", "drplan-helm", "-o",
		"jsonpath={.spec.template.spec.containers[0].image}"); img != "registry.example.com/drplan-operator:0.1.1" {
		t.Errorf("after the upgrade the image is %q", img)
	}
}
