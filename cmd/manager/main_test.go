package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

func TestKubeconfigConfigured(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	if kubeconfigConfigured() {
		t.Fatal("nothing configured, yet kubeconfigConfigured is true")
	}
	t.Setenv("KUBECONFIG", "/somewhere/config")
	if !kubeconfigConfigured() {
		t.Fatal("$KUBECONFIG is set")
	}
	t.Setenv("KUBECONFIG", "")
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".kube", "config"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if !kubeconfigConfigured() {
		t.Fatal("~/.kube/config exists")
	}
}

func TestProbeClusterUnreachable(t *testing.T) {
	start := time.Now()
	err := probeCluster(context.Background(), &rest.Config{Host: "https://127.0.0.1:1"}, 2*time.Second)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("want an error naming the host, got %v", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("probe took %s, longer than its timeout", time.Since(start))
	}
}

func TestClusterConfigRejectsUnknownMode(t *testing.T) {
	_, lcp, err := clusterConfig(context.Background(), options{localControlPlane: "sometimes"})
	if err == nil || !strings.Contains(err.Error(), "want auto, never or always") {
		t.Fatalf("got %v", err)
	}
	lcp.stop() // nil-safe
}

func TestWebhookCertPresent(t *testing.T) {
	dir := t.TempDir()
	if webhookCertPresent(dir) {
		t.Fatal("empty directory")
	}
	for _, f := range []string{"tls.crt", "tls.key"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if !webhookCertPresent(dir) {
		t.Fatal("tls.crt and tls.key are there")
	}
	if !strings.HasSuffix(webhookCertDirOr(""), filepath.Join("k8s-webhook-server", "serving-certs")) {
		t.Fatalf("default cert dir %s", webhookCertDirOr(""))
	}
}
