// Command manager is the drplan operator: it validates DRWorkflows and DRPlans and runs DRPlanExecutions.
//
// Against a cluster it behaves like any controller-runtime manager (kubeconfig from -kubeconfig,
// $KUBECONFIG, in-cluster config or ~/.kube/config). Built with -tags localdev (as `make run` does), with
// --local-control-plane=auto and no reachable cluster, or with =always, it first starts a local stack
// (test/stack: kube-apiserver, etcd, Argo's workflow-controller and argoexec...), writes an admin kubeconfig
// and tells how to use kubectl with it. The shipped binary has no such stack (local_prod.go).
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/drplan/drplan-operator/argoexec"
	"github.com/drplan/drplan-operator/cmd/manager/engines"
	"github.com/drplan/drplan-operator/internal/controller"
	drwebhook "github.com/drplan/drplan-operator/internal/webhook"
)

type options struct {
	metricsAddr       string
	probeAddr         string
	secureMetrics     bool
	enableHTTP2       bool
	leaderElect       bool
	leaderElectionNS  string
	defaultExecutor   string
	localControlPlane string
	crdDir            string
	localStateDir     string
	probeTimeout      time.Duration
	enableWebhooks    bool
	webhookCertDir    string
	webhookDir        string
	certs             certOptions
	argoPickupTimeout time.Duration
	// noCrossNamespaceRefs refuses plans referencing another namespace's DRWorkflow.
	noCrossNamespaceRefs bool
	argoUIURL            string
}

func main() {
	var o options
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", "0",
		"Address the metrics endpoint binds to, e.g. :8443 (https) or :8080 with --metrics-secure=false. 0 disables it.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz probes bind to.")
	flag.BoolVar(&o.secureMetrics, "metrics-secure", true,
		"Serve metrics over https, authenticating and authorizing every scraper with the API server.")
	flag.BoolVar(&o.enableHTTP2, "enable-http2", false,
		"Allow HTTP/2 on the metrics and webhook servers (off by default: HTTP/2 rapid reset, CVE-2023-44487).")
	flag.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader so that only one replica reconciles at a time.")
	flag.StringVar(&o.leaderElectionNS, "leader-election-namespace", "",
		"Namespace of the leader election Lease (default: the pod's namespace).")
	flag.StringVar(&o.defaultExecutor, "default-executor", string(controller.ExecutorAuto),
		"Engine for workflows whose spec.executor.type is empty: auto (Argo when its CRDs are served, else native), argo or native.")
	flag.StringVar(&o.localControlPlane, "local-control-plane", localNever,
		"auto: start an embedded control plane (envtest binaries from $KUBEBUILDER_ASSETS) when no cluster is reachable; "+
			"always: start one in any case; never: fail without a cluster.")
	flag.StringVar(&o.crdDir, "crd-dir", "config/crd/bases", "CRDs installed into an embedded control plane.")
	flag.StringVar(&o.localStateDir, "local-state-dir", defaultLocalStateDir(),
		"Where an embedded control plane writes its admin kubeconfig.")
	flag.DurationVar(&o.probeTimeout, "cluster-probe-timeout", 5*time.Second,
		"How long --local-control-plane=auto waits for the configured cluster to answer.")
	flag.BoolVar(&o.noCrossNamespaceRefs, "no-cross-namespace-refs", false,
		"Refuse DRPlans whose workflowRefs name a DRWorkflow in another namespace (webhook and reconcilers), as Flux's flag of the same name.")
	flag.BoolVar(&o.enableWebhooks, "enable-webhooks", true,
		"Serve the validating admission webhooks (config/webhook); they need a serving certificate in --webhook-cert-dir.")
	flag.StringVar(&o.webhookCertDir, "webhook-cert-dir", "",
		"Directory with tls.crt and tls.key for the webhook server (default: controller-runtime's /tmp/k8s-webhook-server/serving-certs).")
	flag.StringVar(&o.webhookDir, "webhook-dir", "config/webhook",
		"Webhook configurations installed into an embedded control plane, pointing at this process.")
	bindCertFlags(flag.CommandLine, &o.certs)
	flag.DurationVar(&o.argoPickupTimeout, "argo-pickup-timeout", argoexec.DefaultPickupTimeout,
		"How long an Argo Workflow may go unpicked by any workflow-controller before its execution says so "+
			"(condition PickedUp=False and a Warning event); the run keeps waiting.")
	flag.StringVar(&o.argoUIURL, "argo-ui-url", "",
		"Base URL of the Argo UI (e.g. https://argo.example.com); each run's status then links to its Workflow's page (status...argoWorkflow.url).")
	// Human-readable logs at info level; --zap-log-level=debug shows the reconcilers' verdicts and envtest's steps.
	zapOpts := zap.Options{Development: true, Level: zapcore.InfoLevel}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	if err := run(signalContext(), o); err != nil {
		ctrl.Log.WithName("setup").Error(err, "manager stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	log := ctrl.Log.WithName("setup")
	executor, err := controller.ParseExecutorChoice(o.defaultExecutor)
	if err != nil {
		return fmt.Errorf("--default-executor: %w", err)
	}
	if err := o.certs.validate(); err != nil {
		return err
	}

	cfg, local, err := clusterConfig(ctx, o)
	if err != nil {
		return err
	}
	defer local.stop()
	if local.providesWebhookCerts() {
		o.certs.mode = certsProvided
	}
	if o.enableWebhooks && local == nil && o.certs.mode == certsProvided && !webhookCertPresent(o.webhookCertDir) {
		// Outside a cluster (make run against a remote kubeconfig) nobody calls this process's webhooks and
		// there is no certificate to serve them with. The reconcilers validate everything again anyway.
		log.Info("no webhook serving certificate; not serving the admission webhooks", "certDir", webhookCertDirOr(o.webhookCertDir))
		o.enableWebhooks = false
	}

	var tlsOpts []func(*tls.Config)
	if !o.enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{BindAddress: o.metricsAddr, SecureServing: o.secureMetrics, TLSOpts: tlsOpts}
	if o.secureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  controller.NewScheme(),
		Metrics:                 metricsOpts,
		WebhookServer:           webhook.NewServer(local.webhookServerOptions(o.webhookCertDir, o.certs.port, tlsOpts)),
		HealthProbeBindAddress:  o.probeAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        "drplan-operator.dr.bkbcs.tencent.com",
		LeaderElectionNamespace: o.leaderElectionNS,
		// Stepping down releases the lease at once, so a new leader takes over without waiting for it to expire.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	built, err := engines.Build(mgr, executor, o.argoPickupTimeout)
	if err != nil {
		return err
	}
	if err := controller.SetupReconcilers(mgr, controller.Options{Engines: built, NoCrossNamespaceRefs: o.noCrossNamespaceRefs, ArgoUIURL: o.argoUIURL}); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding the health check: %w", err)
	}
	ready := healthz.Ping
	if o.enableWebhooks {
		if ready, err = serveWebhooks(ctx, mgr, o.certs, o.webhookCertDir, drwebhook.Options{NoCrossNamespaceRefs: o.noCrossNamespaceRefs}); err != nil {
			return err
		}
	}
	if err := mgr.AddReadyzCheck("readyz", ready); err != nil {
		return fmt.Errorf("adding the ready check: %w", err)
	}

	log.Info("starting the manager", "host", cfg.Host, "defaultExecutor", executor, "leaderElection", o.leaderElect)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running the manager: %w", err)
	}
	return nil
}

// clusterConfig returns the configuration of the cluster to manage, starting an embedded control plane
// when --local-control-plane asks for one. The returned *localControlPlane is nil without one (its methods
// accept a nil receiver).
func clusterConfig(ctx context.Context, o options) (*rest.Config, *localControlPlane, error) {
	log := ctrl.Log.WithName("setup")
	switch o.localControlPlane {
	case localNever:
		cfg, err := ctrl.GetConfig()
		if err != nil {
			return nil, nil, fmt.Errorf("loading the kubeconfig: %w", err)
		}
		return cfg, nil, nil
	case localAuto:
		if !kubeconfigConfigured() {
			log.Info("no kubeconfig and not in a cluster; starting an embedded control plane")
			break
		}
		cfg, err := ctrl.GetConfig()
		if err == nil {
			if err = probeCluster(ctx, cfg, o.probeTimeout); err == nil {
				return cfg, nil, nil
			}
		}
		log.Info("no reachable cluster; starting an embedded control plane", "reason", err.Error())
	case localAlways:
	default:
		return nil, nil, fmt.Errorf("--local-control-plane: unknown value %q: want auto, never or always", o.localControlPlane)
	}
	webhookDir := ""
	if o.enableWebhooks {
		webhookDir = o.webhookDir
	}
	lcp, err := startLocalControlPlane(ctx, o.crdDir, webhookDir, o.localStateDir)
	if err != nil {
		return nil, nil, err
	}
	lcp.printUsage(os.Stderr)
	return lcp.config, lcp, nil
}
