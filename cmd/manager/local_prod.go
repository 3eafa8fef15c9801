//go:build !localdev

package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// The operator as shipped: no embedded control plane. That is test tooling (envtest, whose init() alone
// panics in a scratch image without /tmp) and lives in local_dev.go, built by `make run` with -tags localdev.

// errNoLocalStack is what --local-control-plane=auto (with no cluster) or =always gets from this binary.
var errNoLocalStack = errors.New("this operator binary has no embedded local stack (it is built without -tags localdev); " +
	"point it at a cluster (--kubeconfig, $KUBECONFIG or in-cluster), or run `make run` from a clone, which builds one that has")

// localControlPlane is never started in this binary; its methods accept the nil receiver clusterConfig returns.
type localControlPlane struct {
	config *rest.Config
}

// signalContext is controller-runtime's: cancelled by SIGINT or SIGTERM, a second one exits at once.
func signalContext() context.Context { return ctrl.SetupSignalHandler() }

func startLocalControlPlane(context.Context, string, string, string) (*localControlPlane, error) {
	return nil, errNoLocalStack
}

func (l *localControlPlane) webhookServerOptions(certDir string, port int, tlsOpts []func(*tls.Config)) webhook.Options {
	return webhook.Options{CertDir: certDir, Port: port, TLSOpts: tlsOpts}
}

func (l *localControlPlane) providesWebhookCerts() bool { return false }

func (l *localControlPlane) stop() {}

func (l *localControlPlane) printUsage(io.Writer) {}
