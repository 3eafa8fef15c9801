package main

import (
	"context"

	"k8s.io/client-go/rest"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/testenv"
)

// operator is the operator's identity in the demo cluster, as config/default would create it.
var operator = testenv.Operator{Namespace: "drplan-system", ServiceAccount: "drplan-operator", ClusterRole: "drplan-operator-manager-role"}

// operatorConfig returns admin impersonating the operator's ServiceAccount, bound to config/rbac/role.yaml, once
// the API server enforces that binding: the demo runs with the operator's real permissions, not an administrator's.
func operatorConfig(ctx context.Context, admin *rest.Config) (*rest.Config, error) {
	c, err := adminClient(admin)
	if err != nil {
		return nil, err
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, err
	}
	cfg, err := testenv.OperatorConfig(ctx, c, admin, root, operator)
	if err != nil {
		return nil, err
	}
	if err := testenv.WaitAllowed(ctx, c, operator.User(), operator.Groups(), "", "dr.bkbcs.tencent.com", "drplanexecutions", "watch"); err != nil {
		return nil, err
	}
	return cfg, nil
}

// prepareDemoNamespace makes the demo namespace ready for the quickstart (testenv.PrepareQuickstartNamespace).
func prepareDemoNamespace(ctx context.Context, admin *rest.Config) error {
	c, err := adminClient(admin)
	if err != nil {
		return err
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	if err := testenv.PrepareQuickstartNamespace(ctx, c, root, fieldOwner, demoNamespace); err != nil {
		return err
	}
	step("namespace %s: executor ServiceAccount %s (config/executor) and Role %s (ConfigMaps, for the quickstart)",
		demoNamespace, drv1.DefaultExecutorServiceAccount, testenv.QuickstartRole)
	return nil
}
