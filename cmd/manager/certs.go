package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	drwebhook "github.com/drplan/drplan-operator/internal/webhook"
)

// Values of --webhook-certs.
const (
	// certsSelf: the operator provisions its serving certificate and CA (cert-controller's rotator), keeps
	// them in a Secret, renews them before they expire and keeps the webhook configuration's caBundle current.
	certsSelf = "self"
	// certsProvided: someone else (cert-manager and its CA injector, or a person) writes tls.crt and tls.key
	// into --webhook-cert-dir and the caBundle into the webhook configuration.
	certsProvided = "provided"
)

// certOptions say where the self-provisioned certificate lives and what it is for. The defaults are the
// names config/default gives these objects.
type certOptions struct {
	mode          string
	secret        string
	namespace     string
	service       string
	configuration string
	mutating      string
	extraNames    string
	port          int
}

func bindCertFlags(fs *flag.FlagSet, c *certOptions) {
	fs.StringVar(&c.mode, "webhook-certs", certsProvided,
		"Who provides the webhook serving certificate: self (the operator creates and rotates it, and keeps the "+
			"webhook configuration's caBundle current) or provided (cert-manager or a person writes it to --webhook-cert-dir).")
	fs.StringVar(&c.secret, "webhook-cert-secret", "drplan-webhook-server-cert",
		"With --webhook-certs=self: the Secret holding the certificate and its CA (it must exist; mount it at --webhook-cert-dir).")
	fs.StringVar(&c.namespace, "webhook-cert-namespace", "",
		"With --webhook-certs=self: namespace of the Secret and the webhook Service (default: $POD_NAMESPACE).")
	fs.StringVar(&c.service, "webhook-service", "drplan-webhook-service",
		"With --webhook-certs=self: the Service the API server calls the webhooks through; the certificate names it.")
	fs.StringVar(&c.extraNames, "webhook-cert-extra-names", "",
		"With --webhook-certs=self: more DNS names for the certificate, comma-separated (e.g. for a webhook "+
			"configuration that calls the operator by url instead of through the Service).")
	fs.IntVar(&c.port, "webhook-port", 9443, "Port the webhook server listens on.")
	fs.StringVar(&c.configuration, "webhook-configuration", "drplan-validating-webhook-configuration",
		"With --webhook-certs=self: the ValidatingWebhookConfiguration whose caBundle the operator keeps current.")
	fs.StringVar(&c.mutating, "mutating-webhook-configuration", "drplan-mutating-webhook-configuration",
		"With --webhook-certs=self: the MutatingWebhookConfiguration (it records who paused or approved) whose caBundle the operator keeps current.")
}

// validate checks the flags before anything starts.
func (c certOptions) validate() error {
	switch c.mode {
	case certsProvided:
		return nil
	case certsSelf:
		if c.ns() == "" {
			return errors.New("--webhook-certs=self needs --webhook-cert-namespace or $POD_NAMESPACE")
		}
		return nil
	}
	return fmt.Errorf("--webhook-certs: unknown value %q: want self or provided", c.mode)
}

func (c certOptions) ns() string {
	if c.namespace != "" {
		return c.namespace
	}
	return os.Getenv("POD_NAMESPACE")
}

// serveWebhooks registers the admission webhooks and returns the readiness check. With provided certificates
// they are registered at once. With self-provisioned ones the rotator first writes the certificate into the
// Secret, waits for it to appear in certDir (the mounted Secret) and injects the CA; the webhooks are
// registered only then, since the webhook server cannot start without a certificate. Not ready until they serve:
// the Service only routes admission requests to ready pods.
func serveWebhooks(ctx context.Context, mgr ctrl.Manager, c certOptions, certDir string, opts drwebhook.Options) (healthz.Checker, error) {
	if c.mode != certsSelf {
		if err := drwebhook.SetupWebhooksWithOptions(mgr, opts); err != nil {
			return nil, fmt.Errorf("setting up the webhooks: %w", err)
		}
		return mgr.GetWebhookServer().StartedChecker(), nil
	}
	ns := c.ns()
	certsReady := make(chan struct{})
	cr := &rotator.CertRotator{
		SecretKey:      types.NamespacedName{Namespace: ns, Name: c.secret},
		CertDir:        webhookCertDirOr(certDir),
		CAName:         "drplan-operator-ca",
		CAOrganization: "drplan-operator",
		DNSName:        fmt.Sprintf("%s.%s.svc", c.service, ns),
		ExtraDNSNames: append([]string{fmt.Sprintf("%s.%s.svc.cluster.local", c.service, ns), fmt.Sprintf("%s.%s", c.service, ns)},
			splitNames(c.extraNames)...),
		IsReady:    certsReady,
		Webhooks:   []rotator.WebhookInfo{{Name: c.configuration, Type: rotator.Validating}, {Name: c.mutating, Type: rotator.Mutating}},
		FieldOwner: "drplan-operator",
		// Every replica serves webhooks, so every replica keeps the certificate; concurrent renewals are
		// settled by the Secret's resourceVersion.
		RequireLeaderElection: false,
	}
	if err := rotator.AddRotator(mgr, cr); err != nil {
		return nil, fmt.Errorf("setting up the webhook certificate rotator: %w", err)
	}
	var state atomic.Pointer[error] // nil until the webhooks are registered (or failed to be)
	go func() {
		select {
		case <-certsReady:
		case <-ctx.Done():
			return
		}
		err := drwebhook.SetupWebhooksWithOptions(mgr, opts)
		if err != nil {
			err = fmt.Errorf("setting up the webhooks: %w", err)
			ctrl.Log.WithName("setup").Error(err, "the admission webhooks are not served")
		}
		state.Store(&err)
	}()
	return func(req *http.Request) error {
		errp := state.Load()
		switch {
		case errp == nil:
			return errors.New("waiting for the self-provisioned webhook certificate")
		case *errp != nil:
			return *errp
		}
		return mgr.GetWebhookServer().StartedChecker()(req)
	}, nil
}

// splitNames splits a comma-separated list, dropping empty items.
func splitNames(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}
