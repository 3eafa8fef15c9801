// Package webhookcerts runs the shipped operator binary with self-provisioned webhook certificates
// (--webhook-certs=self) against a real kube-apiserver: the operator fills its Secret and the webhook
// configuration's caBundle, and the API server then calls its webhooks over TLS.
package webhookcerts

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/drplan/drplan-operator/internal/controller"
	"github.com/drplan/drplan-operator/test/testenv"
)

const (
	ns                    = "drplan-system"
	secretName            = "drplan-webhook-server-cert"
	configuration         = "drplan-validating-webhook-configuration"
	mutatingConfiguration = "drplan-mutating-webhook-configuration"
)

func TestSelfProvisionedCertificates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	env, err := testenv.New(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	admin, err := env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(admin.Config(), client.Options{Scheme: controller.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)

	// What config/default installs: the empty Secret and the webhook configuration without a caBundle. The
	// configuration calls the operator by url (no Service routes to a local process here), at the name the
	// certificate gets through --webhook-cert-extra-names.
	must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	must(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: secretName}, Type: corev1.SecretTypeOpaque}))
	data, err := os.ReadFile(filepath.Join(root, "config", "webhook", "manifests.yaml"))
	must(t, err)
	byURL := func(cc admissionv1.WebhookClientConfig) admissionv1.WebhookClientConfig {
		url := fmt.Sprintf("https://localhost:%d%s", port, *cc.Service.Path)
		return admissionv1.WebhookClientConfig{URL: &url}
	}
	vwc, mwc := &admissionv1.ValidatingWebhookConfiguration{}, &admissionv1.MutatingWebhookConfiguration{}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		switch {
		case strings.Contains(doc, "kind: ValidatingWebhookConfiguration"):
			must(t, yaml.Unmarshal([]byte(doc), vwc))
		case strings.Contains(doc, "kind: MutatingWebhookConfiguration"):
			must(t, yaml.Unmarshal([]byte(doc), mwc))
		}
	}
	vwc.Name, mwc.Name = configuration, mutatingConfiguration
	for i := range vwc.Webhooks {
		vwc.Webhooks[i].ClientConfig = byURL(vwc.Webhooks[i].ClientConfig)
	}
	for i := range mwc.Webhooks {
		mwc.Webhooks[i].ClientConfig = byURL(mwc.Webhooks[i].ClientConfig)
	}
	if len(vwc.Webhooks) == 0 || len(mwc.Webhooks) == 0 {
		t.Fatalf("config/webhook/manifests.yaml: want a validating and a mutating configuration, got %d and %d webhooks",
			len(vwc.Webhooks), len(mwc.Webhooks))
	}
	must(t, c.Create(ctx, vwc))
	must(t, c.Create(ctx, mwc))

	kubeconfig := writeKubeconfig(t, admin)
	bin := filepath.Join(t.TempDir(), "manager")
	if out, err := exec.Command("go", "build", "-o", bin, filepath.Join(root, "cmd", "manager")).CombinedOutput(); err != nil {
		t.Fatalf("building the operator: %v\n%s", err, out)
	}
	certDir := t.TempDir()
	probe := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	var logs bytes.Buffer
	op := exec.Command(bin, "--kubeconfig", kubeconfig, "--webhook-certs=self", "--webhook-cert-namespace="+ns,
		"--webhook-cert-extra-names=localhost", "--webhook-cert-dir="+certDir, fmt.Sprintf("--webhook-port=%d", port),
		"--health-probe-bind-address="+probe, "--metrics-bind-address=0", "--local-control-plane=never")
	op.Stdout, op.Stderr = &logs, &logs
	must(t, op.Start())
	t.Cleanup(func() {
		_ = op.Process.Kill()
		_, _ = op.Process.Wait()
		if t.Failed() {
			t.Logf("operator log:\n%s", logs.String())
		}
	})

	// The kubelet would project the Secret into the pod's certificate directory; none runs here, so the test
	// does what it does: write the Secret's tls.crt and tls.key into the directory once they are there.
	secret := &corev1.Secret{}
	poll(t, ctx, "the operator to write the certificate into its Secret", func() bool {
		return c.Get(ctx, types.NamespacedName{Namespace: ns, Name: secretName}, secret) == nil &&
			len(secret.Data["tls.crt"]) > 0 && len(secret.Data["tls.key"]) > 0 && len(secret.Data["ca.crt"]) > 0
	})
	for _, f := range []string{"tls.crt", "tls.key"} {
		must(t, os.WriteFile(filepath.Join(certDir, f), secret.Data[f], 0o600))
	}

	poll(t, ctx, "the validating caBundle to be the Secret's CA", func() bool {
		got := &admissionv1.ValidatingWebhookConfiguration{}
		if c.Get(ctx, types.NamespacedName{Name: configuration}, got) != nil {
			return false
		}
		for _, w := range got.Webhooks {
			if !bytes.Equal(w.ClientConfig.CABundle, secret.Data["ca.crt"]) {
				return false
			}
		}
		return true
	})
	poll(t, ctx, "the mutating caBundle to be the Secret's CA", func() bool {
		got := &admissionv1.MutatingWebhookConfiguration{}
		if c.Get(ctx, types.NamespacedName{Name: mutatingConfiguration}, got) != nil {
			return false
		}
		for _, w := range got.Webhooks {
			if !bytes.Equal(w.ClientConfig.CABundle, secret.Data["ca.crt"]) {
				return false
			}
		}
		return true
	})
	poll(t, ctx, "/readyz", func() bool {
		resp, err := http.Get("http://" + probe + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	// The API server calls the webhook over TLS with the injected CA: an execution of a missing plan is
	// refused at admission, with the webhook's message (the CRD schema alone would accept it).
	ex := testenv.Execution("default", "run-1", "no-such-plan")
	err = c.Create(ctx, ex)
	if err == nil || !strings.Contains(err.Error(), "DRPlan default/no-such-plan does not exist") {
		t.Fatalf("want the webhook to refuse the execution naming the plan, got %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func poll(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeKubeconfig(t *testing.T, u *envtest.AuthenticatedUser) string {
	t.Helper()
	kc, err := u.KubeConfig()
	must(t, err)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	must(t, os.WriteFile(path, kc, 0o600))
	return path
}
